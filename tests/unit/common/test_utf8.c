/* utf8: the strict validator that stands before JSON parsing, and the helpers that fold.c
   and messages use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "utf8.h"

typedef struct {
    const char *bytes;
    size_t len;
    size_t bad_at; /* expected utf8_invalid_offset; len when valid */
} utf8_case_t;

#define OK(s)                                                                                      \
    {                                                                                              \
        s, sizeof s - 1, sizeof s - 1                                                              \
    }
#define BAD(s, at)                                                                                 \
    {                                                                                              \
        s, sizeof s - 1, at                                                                        \
    }

static const utf8_case_t s_cases[] = {
    OK (""),
    OK ("plain ASCII, with \x01 controls"),
    OK ("Ynys M\xc3\xb4n"),      /* ô, 2 bytes */
    OK ("\xe2\x80\x99"),         /* ’, 3 bytes */
    OK ("\xf0\x9f\x8f\xa0"),     /* 🏠, 4 bytes */
    OK ("\xc2\x80"),             /* U+0080, smallest 2-byte */
    OK ("\xe0\xa0\x80"),         /* U+0800, smallest 3-byte */
    OK ("\xed\x9f\xbf"),         /* U+D7FF, just below the surrogates */
    OK ("\xee\x80\x80"),         /* U+E000, just above them */
    OK ("\xf0\x90\x80\x80"),     /* U+10000, smallest 4-byte */
    OK ("\xf4\x8f\xbf\xbf"),     /* U+10FFFF, the largest */
    { "a\0b", 3, 3 },            /* NUL is U+0000: valid UTF-8 */
    BAD ("\xc0\x80", 0),         /* overlong NUL */
    BAD ("\xc1\xbf", 0),         /* overlong 2-byte */
    BAD ("ab\xe0\x80\x80", 2),   /* overlong 3-byte */
    BAD ("\xe0\x9f\xbf", 0),     /* overlong U+07FF */
    BAD ("\xf0\x80\x80\x80", 0), /* overlong 4-byte */
    BAD ("\xf0\x8f\xbf\xbf", 0), /* overlong U+FFFF */
    BAD ("x\xed\xa0\x80", 1),    /* U+D800, a surrogate */
    BAD ("\xed\xbf\xbf", 0),     /* U+DFFF */
    BAD ("\xf4\x90\x80\x80", 0), /* U+110000 */
    BAD ("\xf5\x80\x80\x80", 0), /* lead byte beyond any code point */
    BAD ("\xff", 0),
    BAD ("abc\x80", 3),            /* stray continuation byte */
    BAD ("\xc3", 0),               /* truncated at the end */
    BAD ("M\xc3\xb4n\xe2\x80", 4), /* truncated 3-byte */
    BAD ("\xc3(", 0),              /* continuation missing */
    BAD ("\xe2\x28\xa1", 0),
    BAD ("\xf0\x9f\x8f(", 0),
};

static void
test_validity_and_offset_of_first_bad_byte (void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        const utf8_case_t *c = &s_cases[i];
        size_t got = utf8_invalid_offset (c->bytes, c->len);
        if (got != c->bad_at)
            fail_msg ("case %zu: offset %zu, expected %zu", i, got, c->bad_at);
        assert_int_equal (utf8_is_valid (c->bytes, c->len), c->bad_at == c->len);
    }
}

static void
test_next_decodes_code_points_and_steps_over_bad_bytes (void **state)
{
    (void)state;
    const char *t = "a\xc3\xb4\xe2\x80\x99\xf0\x9f\x8f\xa0\xff"
                    "b";
    size_t len = strlen (t), pos = 0;
    const uint32_t want[] = { 'a', 0xF4, 0x2019, 0x1F3E0, 0xFFFD, 'b' };
    for (size_t i = 0; i < 6; i++)
        assert_int_equal (utf8_next (t, len, &pos), want[i]);
    assert_int_equal (pos, len);
}

static void
test_prefix_never_splits_a_character (void **state)
{
    (void)state;
    const char *t = "ab\xc3\xb4"
                    "cd"; /* a b ô c d: ô is bytes 2-3 */
    assert_int_equal (utf8_prefix (t, 6, 10), 6);
    assert_int_equal (utf8_prefix (t, 6, 6), 6);
    assert_int_equal (utf8_prefix (t, 6, 4), 4);
    assert_int_equal (utf8_prefix (t, 6, 3), 2); /* would cut ô in half */
    assert_int_equal (utf8_prefix (t, 6, 2), 2);
    assert_int_equal (utf8_prefix (t, 6, 0), 0);
    const char *emoji = "\xf0\x9f\x8f\xa0";
    for (size_t max = 0; max < 4; max++)
        assert_int_equal (utf8_prefix (emoji, 4, max), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_validity_and_offset_of_first_bad_byte),
        cmocka_unit_test (test_next_decodes_code_points_and_steps_over_bad_bytes),
        cmocka_unit_test (test_prefix_never_splits_a_character),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
