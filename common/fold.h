/* Name folding, so that differently written names of one place or person compare equal:
   accented Latin letters become their base letter (é→e, ŵ→w, ç→c, ß→ss …), ASCII letters
   are lower-cased, '&' reads as "and", and every run of characters that are neither
   letters nor digits is one space; leading and trailing spaces go.
     "Brighton, Kemptown & Peacehaven" → "brighton kemptown and peacehaven"
   Person keys also drop honorifics and post-nominals wherever they stand (rt hon the mp
   msp ms mla cllr councillor dr mr mrs miss mx sir dame lord lady baroness baron prof
   professor obe mbe cbe kc qc mayor), keeping word order:
     "Rt Hon Jane Smith MP" → "jane smith" */
#ifndef PARLEY_FOLD_H
#define PARLEY_FOLD_H

/* Folds UTF-8 text (assumed valid). Caller owns the result (free). Characters outside
   Latin that are letters (Greek, Cyrillic, CJK …) are kept as they are; symbols and
   punctuation separate words. */
char *fold_name (const char *text);
/* The person key of a name; may be "" (e.g. for "Mr"). Caller owns the result. */
char *fold_person_key (const char *name);

#endif
