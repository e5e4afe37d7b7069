/* curve_cert: making, loading and reading CurveZMQ certificates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "curve_cert.h"

static char s_dir[64];

static int
s_setup (void **state)
{
    (void)state;
    snprintf (s_dir, sizeof s_dir, "/tmp/parley-curve-cert-XXXXXX");
    return mkdtemp (s_dir) ? 0 : -1;
}

static int
s_teardown (void **state)
{
    (void)state;
    char cmd[128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", s_dir);
    return system (cmd) == 0 ? 0 : -1;
}

static void
test_keygen_writes_public_0644_and_secret_0600_with_the_metadata (void **state)
{
    (void)state;
    char base[128], pub[160], sec[160], key[CURVE_CERT_KEY_LEN + 1];
    snprintf (base, sizeof base, "%s/agent", s_dir);
    const char *meta[] = { CURVE_CERT_META_ASSOCIATIONS, "A1,B2", CURVE_CERT_META_REGIONS, NULL };
    assert_int_equal (curve_cert_keygen (base, meta, 2, key), 0);
    assert_int_equal (strlen (key), CURVE_CERT_KEY_LEN);
    snprintf (pub, sizeof pub, "%s.cert", base);
    snprintf (sec, sizeof sec, "%s.cert_secret", base);
    struct stat st;
    assert_int_equal (stat (pub, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0644);
    assert_int_equal (stat (sec, &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    zcert_t *cert = zcert_load (pub);
    assert_non_null (cert);
    assert_string_equal (zcert_public_txt (cert), key);
    assert_string_equal (zcert_meta (cert, CURVE_CERT_META_ASSOCIATIONS), "A1,B2");
    assert_null (zcert_meta (cert, CURVE_CERT_META_REGIONS));
    zcert_destroy (&cert);
    char err[256];
    zcert_t *secret = curve_cert_load_secret (sec, err, sizeof err);
    assert_non_null (secret);
    assert_string_equal (zcert_public_txt (secret), key);
    zcert_destroy (&secret);
}

static void
test_keygen_refuses_to_overwrite_either_file (void **state)
{
    (void)state;
    char base[128], sec[160];
    snprintf (base, sizeof base, "%s/twice", s_dir);
    assert_int_equal (curve_cert_keygen (base, NULL, 0, NULL), 0);
    snprintf (sec, sizeof sec, "%s.cert_secret", base);
    struct stat before, after;
    assert_int_equal (stat (sec, &before), 0);
    errno = 0;
    assert_int_equal (curve_cert_keygen (base, NULL, 0, NULL), -1);
    assert_int_equal (errno, EEXIST);
    /* Only the public file gone: the secret one still stops it. */
    char pub[160];
    snprintf (pub, sizeof pub, "%s.cert", base);
    assert_int_equal (unlink (pub), 0);
    assert_int_equal (curve_cert_keygen (base, NULL, 0, NULL), -1);
    assert_int_equal (stat (sec, &after), 0);
    assert_int_equal (before.st_ino, after.st_ino);
}

static void
test_a_secret_readable_by_others_or_a_public_cert_is_not_a_secret_key (void **state)
{
    (void)state;
    char base[128], pub[160], sec[160], err[256];
    snprintf (base, sizeof base, "%s/loose", s_dir);
    assert_int_equal (curve_cert_keygen (base, NULL, 0, NULL), 0);
    snprintf (pub, sizeof pub, "%s.cert", base);
    snprintf (sec, sizeof sec, "%s.cert_secret", base);
    assert_null (curve_cert_load_secret (pub, err, sizeof err)); /* 0644 */
    assert_non_null (strstr (err, "readable by others"));
    assert_int_equal (chmod (pub, 0600), 0);
    assert_null (curve_cert_load_secret (pub, err, sizeof err));
    assert_non_null (strstr (err, "no secret key"));
    assert_int_equal (chmod (sec, 0640), 0);
    assert_null (curve_cert_load_secret (sec, err, sizeof err));
}

static void
test_public_key_from_z85_text_or_a_cert_file (void **state)
{
    (void)state;
    char base[128], pub[160], key[CURVE_CERT_KEY_LEN + 1], got[CURVE_CERT_KEY_LEN + 1], err[256];
    snprintf (base, sizeof base, "%s/server", s_dir);
    assert_int_equal (curve_cert_keygen (base, NULL, 0, key), 0);
    snprintf (pub, sizeof pub, "%s.cert", base);
    assert_int_equal (curve_cert_public_key (pub, got, err, sizeof err), 0);
    assert_string_equal (got, key);
    assert_int_equal (curve_cert_public_key (key, got, err, sizeof err), 0);
    assert_string_equal (got, key);
    assert_int_equal (curve_cert_public_key ("not-a-key-and-no-such-file", got, err, sizeof err),
                      -1);
    /* Z85 keys hold '/' and '.' too (a path-looking key is still a key). */
    const char *slashy = "Ab/cD.eF/0123456789abcdefghijklmnopqrstu";
    uint8_t bin[32];
    assert_non_null (zmq_z85_decode (bin, slashy));
    assert_int_equal (curve_cert_public_key (slashy, got, err, sizeof err), 0);
    assert_string_equal (got, slashy);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_keygen_writes_public_0644_and_secret_0600_with_the_metadata),
        cmocka_unit_test (test_keygen_refuses_to_overwrite_either_file),
        cmocka_unit_test (test_a_secret_readable_by_others_or_a_public_cert_is_not_a_secret_key),
        cmocka_unit_test (test_public_key_from_z85_text_or_a_cert_file),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
