/* uuid_text: event ids are 8-4-4-4-12 hexadecimal, any case, normalised to lower case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "uuid_text.h"

static int
s_norm (const char *text, char out[UUID_TEXT_LEN + 1])
{
    return uuid_text_normalise (text, strlen (text), out);
}

static void
test_any_case_is_lower_cased (void **state)
{
    (void)state;
    char out[UUID_TEXT_LEN + 1];
    assert_int_equal (s_norm ("0F8FAD5B-D9CB-469F-A165-70867728950E", out), 0);
    assert_string_equal (out, "0f8fad5b-d9cb-469f-a165-70867728950e");
    assert_int_equal (s_norm ("0f8fAD5b-d9cb-469f-a165-70867728950e", out), 0);
    assert_string_equal (out, "0f8fad5b-d9cb-469f-a165-70867728950e");
    assert_int_equal (s_norm ("00000000-0000-0000-0000-000000000000", out), 0);
    assert_string_equal (out, "00000000-0000-0000-0000-000000000000");
}

static void
test_other_shapes_are_refused_and_leave_out_alone (void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "0f8fad5b-d9cb-469f-a165-70867728950",    /* 35 characters */
        "0f8fad5b-d9cb-469f-a165-70867728950e0",  /* 37 */
        "0f8fad5bd9cb469fa16570867728950e",       /* no dashes */
        "{0f8fad5b-d9cb-469f-a165-70867728950e}", /* braces */
        "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
        "0f8fad5b-d9cb-469f-a165-70867728950g", /* g is not hex */
        "0f8fad5b_d9cb-469f-a165-70867728950e", /* wrong separator */
        "0f8fad5-bd9cb-469f-a165-70867728950e", /* dash in the wrong place */
        " 0f8fad5b-d9cb-469f-a165-70867728950",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char out[UUID_TEXT_LEN + 1] = "untouched";
        if (s_norm (bad[i], out) != -1)
            fail_msg ("accepted \"%s\"", bad[i]);
        assert_string_equal (out, "untouched");
    }
}

static void
test_length_is_taken_from_len_not_a_nul (void **state)
{
    (void)state;
    char out[UUID_TEXT_LEN + 1];
    const char *t = "0f8fad5b-d9cb-469f-a165-70867728950eXYZ";
    assert_int_equal (uuid_text_normalise (t, 36, out), 0);
    assert_string_equal (out, "0f8fad5b-d9cb-469f-a165-70867728950e");
    assert_int_equal (uuid_text_normalise (t, 37, out), -1);
}

/* RFC 9562 appendix A.4: UUIDv5 of "www.example.com" in the DNS namespace. */
static void
test_v5_matches_the_rfc_9562_dns_example (void **state)
{
    (void)state;
    char out[UUID_TEXT_LEN + 1];
    const char *name = "www.example.com";
    assert_int_equal (
      uuid_text_v5 ("6ba7b810-9dad-11d1-80b4-00c04fd430c8", name, strlen (name), out), 0);
    assert_string_equal (out, "2ed6657d-e927-568b-95e1-2665a8aea6a2");
    /* The namespace in upper case is the same namespace. */
    assert_int_equal (
      uuid_text_v5 ("6BA7B810-9DAD-11D1-80B4-00C04FD430C8", name, strlen (name), out), 0);
    assert_string_equal (out, "2ed6657d-e927-568b-95e1-2665a8aea6a2");
}

static void
test_v5_is_deterministic_and_sets_version_and_variant (void **state)
{
    (void)state;
    char a[UUID_TEXT_LEN + 1], b[UUID_TEXT_LEN + 1], c[UUID_TEXT_LEN + 1];
    const char *ns = "6ba7b811-9dad-11d1-80b4-00c04fd430c8"; /* the URL namespace */
    assert_int_equal (uuid_text_v5 (ns, "row\0one", 7, a), 0);
    assert_int_equal (uuid_text_v5 (ns, "row\0one", 7, b), 0);
    assert_int_equal (uuid_text_v5 (ns, "row\0onf", 7, c), 0);
    assert_string_equal (a, b);
    assert_string_not_equal (a, c);
    /* Bytes after a NUL count: the name is bytes, not a C string. */
    assert_int_equal (uuid_text_v5 (ns, "row\0one", 3, c), 0);
    assert_string_not_equal (a, c);
    assert_int_equal (a[14], '5');
    assert_true (a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b');
    char normalised[UUID_TEXT_LEN + 1];
    assert_int_equal (uuid_text_normalise (a, strlen (a), normalised), 0);
    assert_string_equal (normalised, a);
}

static void
test_v5_refuses_a_namespace_that_is_not_a_uuid (void **state)
{
    (void)state;
    char out[UUID_TEXT_LEN + 1] = "untouched";
    assert_int_equal (uuid_text_v5 ("not-a-uuid", "x", 1, out), -1);
    assert_string_equal (out, "untouched");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_any_case_is_lower_cased),
        cmocka_unit_test (test_other_shapes_are_refused_and_leave_out_alone),
        cmocka_unit_test (test_length_is_taken_from_len_not_a_nul),
        cmocka_unit_test (test_v5_matches_the_rfc_9562_dns_example),
        cmocka_unit_test (test_v5_is_deterministic_and_sets_version_and_variant),
        cmocka_unit_test (test_v5_refuses_a_namespace_that_is_not_a_uuid),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
