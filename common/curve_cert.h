/* CurveZMQ certificates in czmq's zcert format (docs/SECURITY.md): making a pair
   (`parley-collector keygen`, `parley-agent keygen`), loading one's own secret cert and a
   peer's public key, and applying them to a socket.

   A pair is NAME.cert (public key and metadata, mode 0644: what the collector's operator
   drops into the authorised-keys folder) and NAME.cert_secret (both keys, mode 0600).
   curve_cert_keygen never overwrites either file. The agent's cert carries its scope as
   metadata (CURVE_CERT_META_ASSOCIATIONS, CURVE_CERT_META_REGIONS: key_scope.h reads them),
   which zauth passes on with every message of a connection made with that key. */
#ifndef PARLEY_CURVE_CERT_H
#define PARLEY_CURVE_CERT_H
#include <czmq.h>
#include <stdbool.h>
#include "parley.h"

#define CURVE_CERT_META_ASSOCIATIONS "X-Parley-Associations"
#define CURVE_CERT_META_REGIONS "X-Parley-Region"
/* A public key as Z85 text. */
#define CURVE_CERT_KEY_LEN 40
/* The ZAP domain every Parley server socket sets (ZAP is enforced on it). */
#define CURVE_CERT_ZAP_DOMAIN "parley"

/* Writes base.cert (0644) and base.cert_secret (0600), with the metadata pairs
   meta[0..2*n) (name, value; NULL value: left out). Refuses (returns -1, errno EEXIST) when
   either file exists; -1 with errno on any other failure. On success the public key's Z85
   text is copied to public_txt (CURVE_CERT_KEY_LEN + 1 bytes) when not NULL. */
int curve_cert_keygen (const char *base, const char *const *meta, size_t n, char *public_txt)
  PARLEY_MUST_CHECK;

/* Loads a secret cert (NAME.cert_secret). Returns NULL with the reason in err when the file
   cannot be read, holds no secret key, or is readable by group or others. Caller owns the
   result (zcert_destroy). */
zcert_t *curve_cert_load_secret (const char *path, char *err, size_t errcap);

/* A peer's public key: either 40 characters of Z85 text (that name no file), or the path of
   a cert file (public or secret) to read it from. Writes the Z85 text to out (CURVE_CERT_KEY_LEN +
   1). Returns 0, or -1 with the reason in err. */
int curve_cert_public_key (const char *key_or_path, char *out, char *err, size_t errcap)
  PARLEY_MUST_CHECK;

/* The `keygen` subcommand's main, shared by both programs: `PROGRAM keygen [--associations
   ID,ID] [--region CODE,CODE] BASE`. with_scope: the agent's form (the scope options are
   accepted). Exit status: 0, 1 (could not write, or a file exists), 2 (bad usage). */
int curve_cert_keygen_main (const char *program, bool with_scope, int argc, char **argv);

#endif
