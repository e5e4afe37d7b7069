/* How the people spoken to are shown: stances as words (-2 "opposed" ... 2 "champion",
   and "unknown" for none given), and the SQL that puts the words, a change of mind and a
   short role name into a narrow table. CSV and JSON carry the views' numbers and role
   names as they are. */
#ifndef PARLEY_STAKEHOLDER_H
#define PARLEY_STAKEHOLDER_H
#include <stdbool.h>

#include "parley.h"

/* The word for stance (-2 to 2), or NULL for anything else. A static string. */
const char *stakeholder_stance_word (int stance);

/* Reads a stance as typed for `--stance`: a word (any case), a number from -2 to 2, or
   "unknown" (*unknown set: no stance given). Returns 0, or -1 for anything else. */
int stakeholder_parse_stance (const char *text, int *stance, bool *unknown) PARLEY_MUST_CHECK;

/* A stance column as its word, in SQL. */
#define STAKEHOLDER_STANCE_WORD_SQL(col)                                                           \
    "CASE " col " WHEN -2 THEN 'opposed' WHEN -1 THEN 'sceptical' WHEN 0 THEN 'neutral'"           \
    " WHEN 1 THEN 'supportive' WHEN 2 THEN 'champion' END"

/* The latest stance as a word, with an arrow when it differs from the one before (a
   change of mind shows in a narrow table). */
#define STAKEHOLDER_STANCE_CHANGE_SQL                                                              \
    STAKEHOLDER_STANCE_WORD_SQL ("latest_stance")                                                  \
    " || CASE WHEN latest_stance > previous_stance THEN ' \u2191'"                                 \
    " WHEN latest_stance < previous_stance THEN ' \u2193' ELSE '' END"

/* Short role names, in SQL. */
#define STAKEHOLDER_ROLE_SHORT_SQL                                                                 \
    "CASE role WHEN 'mp' THEN 'MP' WHEN 'councillor' THEN 'Cllr' WHEN 'peer' THEN 'Peer'"          \
    " WHEN 'mayor' THEN 'Mayor' WHEN 'official' THEN 'Official'"                                   \
    " WHEN 'opinion_former' THEN 'Opinion' ELSE role END"

#endif
