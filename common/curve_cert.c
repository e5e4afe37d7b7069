/* CurveZMQ certificates (see curve_cert.h). */
#include "curve_cert.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "constituency.h"
#include "log.h"

static bool
s_exists (const char *path)
{
    struct stat st;
    return lstat (path, &st) == 0 || errno != ENOENT;
}

int
curve_cert_keygen (const char *base, const char *const *meta, size_t n, char *public_txt)
{
    char pub[4096], sec[4096 + 8];
    if (snprintf (pub, sizeof pub, "%s.cert", base) >= (int)sizeof pub) {
        errno = ENAMETOOLONG;
        return -1;
    }
    snprintf (sec, sizeof sec, "%s_secret", pub);
    if (s_exists (pub) || s_exists (sec)) {
        errno = EEXIST;
        return -1;
    }
    zcert_t *cert = zcert_new ();
    if (!cert) {
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (meta[2 * i + 1])
            zcert_set_meta (cert, meta[2 * i], "%s", meta[2 * i + 1]);
    /* The secret file is made 0600 by czmq (zsys_file_mode_private); the umask cannot widen
       it. A file appearing between the check and here is overwritten by czmq: the window is
       the operator's own. */
    mode_t old = umask (022);
    int rc = zcert_save (cert, pub);
    umask (old);
    if (rc == 0 && chmod (sec, 0600) != 0)
        rc = -1;
    if (rc == 0 && public_txt) {
        memcpy (public_txt, zcert_public_txt (cert), CURVE_CERT_KEY_LEN);
        public_txt[CURVE_CERT_KEY_LEN] = '\0';
    }
    int err = errno;
    zcert_destroy (&cert);
    errno = err;
    return rc == 0 ? 0 : -1;
}

zcert_t *
curve_cert_load_secret (const char *path, char *err, size_t errcap)
{
    struct stat st;
    if (stat (path, &st) != 0) {
        snprintf (err, errcap, "cannot read %s: %s", path, strerror (errno));
        return NULL;
    }
    if (st.st_mode & 077) {
        snprintf (err,
                  errcap,
                  "%s is readable by others (mode %04o; expected 0600)",
                  path,
                  (unsigned)(st.st_mode & 07777));
        return NULL;
    }
    /* Read the file itself: zcert_load (NAME.cert) would take NAME.cert_secret if present. */
    zconfig_t *root = zconfig_load (path);
    const char *secret = root ? zconfig_get (root, "/curve/secret-key", NULL) : NULL;
    bool has_secret = secret && strlen (secret) == CURVE_CERT_KEY_LEN;
    zconfig_destroy (&root);
    zcert_t *cert = has_secret ? zcert_load (path) : NULL;
    if (!cert) {
        snprintf (err, errcap, "%s holds no secret key (give the .cert_secret file)", path);
        zcert_destroy (&cert);
        return NULL;
    }
    return cert;
}

int
curve_cert_public_key (const char *key_or_path, char *out, char *err, size_t errcap)
{
    /* Z85 has '/' and '.' in its alphabet: 40 characters that are not a file are a key. */
    struct stat st;
    if (strlen (key_or_path) == CURVE_CERT_KEY_LEN && stat (key_or_path, &st) != 0) {
        uint8_t bin[32];
        if (!zmq_z85_decode (bin, key_or_path)) {
            snprintf (err, errcap, "not a Z85 key: %s", key_or_path);
            return -1;
        }
        memcpy (out, key_or_path, CURVE_CERT_KEY_LEN + 1);
        return 0;
    }
    zcert_t *cert = zcert_load (key_or_path);
    if (!cert) {
        snprintf (err, errcap, "cannot read a certificate from %s", key_or_path);
        return -1;
    }
    memcpy (out, zcert_public_txt (cert), CURVE_CERT_KEY_LEN);
    out[CURVE_CERT_KEY_LEN] = '\0';
    zcert_destroy (&cert);
    return 0;
}

/* Every item of a comma-separated list of region codes names a region. */
static bool
s_regions_known (const char *list, const char **bad)
{
    static char item[64];
    const char *p = list;
    while (*p) {
        size_t n = strcspn (p, ",");
        if (n == 0 || n >= sizeof item) {
            *bad = n ? p : "(empty)";
            return false;
        }
        memcpy (item, p, n);
        item[n] = '\0';
        bool found = false;
        for (size_t i = 0; i < constituency_region_count () && !found; i++)
            found = strcasecmp (constituency_region_at (i)->code, item) == 0;
        if (!found) {
            *bad = item;
            return false;
        }
        p += n;
        if (*p)
            p++;
    }
    return true;
}

int
curve_cert_keygen_main (const char *program, bool with_scope, int argc, char **argv)
{
    static const struct option longs[] = { { "associations", required_argument, NULL, 'a' },
                                           { "region", required_argument, NULL, 'r' },
                                           { "help", no_argument, NULL, 'h' },
                                           { NULL, 0, NULL, 0 } };
    const char *assoc = NULL, *region = NULL;
    const char *usage =
      with_scope ? "(--associations ID,ID... | --region CODE,CODE...) BASE" : "BASE";
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long (argc, argv, "+h", with_scope ? longs : longs + 2, NULL)) != -1) {
        switch (c) {
            case 'a':
                assoc = optarg;
                break;
            case 'r':
                region = optarg;
                break;
            case 'h':
                printf ("usage: %s keygen %s\n", program, usage);
                printf ("Writes a CurveZMQ certificate pair in czmq's format: BASE.cert (public, "
                        "0644) and\nBASE.cert_secret (0600); refuses to overwrite either.%s\n",
                        with_scope ? " The scope\n(the associations, or the region codes of a "
                                     "hub) is written into BASE.cert,\nwhich goes into the "
                                     "collector's --authorized-keys folder."
                                   : "");
                return 0;
            default:
                fprintf (stderr, "%s keygen: unknown option %s\n", program, argv[optind - 1]);
                return 2;
        }
    }
    if (optind + 1 != argc) {
        fprintf (stderr, "usage: %s keygen %s\n", program, usage);
        return 2;
    }
    if (with_scope && !assoc && !region) {
        fprintf (stderr,
                 "%s keygen: --associations ID,ID or --region CODE is required (what the key "
                 "may report for)\n",
                 program);
        return 2;
    }
    const char *bad;
    if (region && !s_regions_known (region, &bad)) {
        fprintf (stderr,
                 "%s keygen: invalid --region \"%s\" (expected GSS region codes such as "
                 "E12000008)\n",
                 program,
                 bad);
        return 2;
    }
    const char *meta[] = { CURVE_CERT_META_ASSOCIATIONS, assoc, CURVE_CERT_META_REGIONS, region };
    char pub[CURVE_CERT_KEY_LEN + 1];
    if (curve_cert_keygen (argv[optind], meta, 2, pub) != 0) {
        fprintf (stderr,
                 "%s keygen: could not write %s.cert%s: %s\n",
                 program,
                 argv[optind],
                 errno == EEXIST ? " (it or its secret exists; not overwritten)" : "",
                 strerror (errno));
        return 1;
    }
    printf ("%s.cert %s\n", argv[optind], pub);
    return 0;
}
