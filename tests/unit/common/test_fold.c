/* fold: name folding and person keys (issue 2, "Folding" and "Person key"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "constituency.h"
#include "fold.h"

typedef struct {
    const char *in;
    const char *folded;
} fold_case_t;

static const fold_case_t s_names[] = {
    /* The examples. */
    { "Ynys Môn", "ynys mon" },
    { "Brighton, Kemptown & Peacehaven", "brighton kemptown and peacehaven" },
    { "Brighton Kemptown and Peacehaven", "brighton kemptown and peacehaven" },
    /* Case, spacing and punctuation runs. */
    { "  ALDERSHOT  ", "aldershot" },
    { "Aldridge-Brownhills", "aldridge brownhills" },
    { "Ashton-under-Lyne", "ashton under lyne" },
    { "St Helens--North!!", "st helens north" },
    { "A&B", "a and b" },
    { "&", "and" },
    { "&&", "and and" },
    { "", "" },
    { " ,.-;' ", "" },
    { "2024 Intake", "2024 intake" },
    { "tab\there\nnewline", "tab here newline" },
    /* Apostrophes, straight or typographic, separate words. */
    { "O'Brien", "o brien" },
    { "O’Brien", "o brien" },
    { "Oʼ Brien", "o brien" },
    { "“Quoted” – dash — em", "quoted dash em" },
    /* Accents: Latin-1, Latin Extended-A, Welsh, Extended Additional. */
    { "Ŵ ŵ Ŷ ŷ Ẁ ẁ Ẃ ẃ Ẅ ẅ Ỳ ỳ", "w w y y w w w w w w y y" },
    { "Llanelli Ŵyl Ffŷr", "llanelli wyl ffyr" },
    { "Ćeská Žofie Łódź Ñandú Øresund", "ceska zofie lodz nandu oresund" },
    { "Straße Æsir Œuvre Þór Ðorð Đakovo Ħamrun ĳssel Ŋ",
      "strasse aesir oeuvre thor dord dakovo hamrun ijssel ng" },
    { "Ĳssel ſ ı", "ijssel s i" },
    { "Hà Nội Ẩm", "ha noi am" },
    { "Ṁaġ Ḃríġid", "mag brigid" },
    { "ünïcödé", "unicode" },
    /* A decomposed accent (e + U+0301) folds like the composed one. */
    { "Cafe\xcc\x81", "cafe" },
    /* Letters outside Latin are kept as they are; symbols still separate. */
    { "Ελλάδα", "Ελλάδα" },
    { "Москва-Сити", "Москва Сити" },
    { "東京 都", "東京 都" },
    { "Jane★Smith", "jane smith" },
    { "Smith 🏠 Jones", "smith jones" },
    { "×÷£§", "" },
    { "ª º", "a o" },
    /* Invalid UTF-8 is a separator (U+FFFD), never a crash. */
    { "ab\xff"
      "cd",
      "ab cd" },
};

static void
test_folding_examples (void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_names / sizeof s_names[0]; i++) {
        char *got = fold_name (s_names[i].in);
        if (strcmp (got, s_names[i].folded) != 0)
            fail_msg (
              "fold_name(\"%s\") = \"%s\", expected \"%s\"", s_names[i].in, got, s_names[i].folded);
        free (got);
    }
}

static const fold_case_t s_people[] = {
    /* The examples: one person key. */
    { "Rt Hon Jane Smith MP", "jane smith" },
    { "Cllr. jane  SMITH", "jane smith" },
    { "Jane Smith", "jane smith" },
    /* Titles wherever they stand; word order kept. */
    { "Smith, Jane (Cllr)", "smith jane" },
    { "The Rt. Hon. the Lord Smith of Anytown KC", "smith of anytown" },
    { "Dame Jane Smith DBE", "jane smith dbe" },
    { "Sir Keir Starmer KC MP", "keir starmer" },
    { "Baroness Smith of Basildon", "smith of basildon" },
    { "Prof. Dr. Mx Alex Doe OBE", "alex doe" },
    { "Councillor Mrs Ann Mayor-Jones", "ann jones" },
    { "Mayor of London", "of london" },
    { "Mr Ó Ceallaigh MLA", "o ceallaigh" },
    { "Ms Siân James MSP", "sian james" },
    { "Lady Hale QC CBE MBE", "hale" },
    { "Lord Smith of the Isles", "smith of isles" },
    { "Miss Marple", "marple" },
    /* Words that only start with a title are kept. */
    { "Mrsmith Drake Theobald Lordan", "mrsmith drake theobald lordan" },
    /* Nothing left. */
    { "Mr", "" },
    { "Rt Hon MP", "" },
    { "the", "" },
    { "", "" },
    { " - ", "" },
};

static void
test_person_keys (void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_people / sizeof s_people[0]; i++) {
        char *got = fold_person_key (s_people[i].in);
        if (strcmp (got, s_people[i].folded) != 0)
            fail_msg ("fold_person_key(\"%s\") = \"%s\", expected \"%s\"",
                      s_people[i].in,
                      got,
                      s_people[i].folded);
        free (got);
    }
}

/* Encodes cp as UTF-8 into buf (NUL-terminated). */
static void
s_utf8 (uint32_t cp, char buf[5])
{
    if (cp < 0x800) {
        buf[0] = (char)(0xC0 | (cp >> 6));
        buf[1] = (char)(0x80 | (cp & 0x3F));
        buf[2] = 0;
    } else {
        buf[0] = (char)(0xE0 | (cp >> 12));
        buf[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        buf[2] = (char)(0x80 | (cp & 0x3F));
        buf[3] = 0;
    }
}

static void
test_every_latin1_and_extended_a_letter_folds_to_ascii_letters (void **state)
{
    (void)state;
    for (uint32_t cp = 0xC0; cp <= 0x17F; cp++) {
        char in[5];
        s_utf8 (cp, in);
        char *got = fold_name (in);
        if (cp == 0xD7 || cp == 0xF7) /* × ÷ */
            assert_string_equal (got, "");
        else {
            size_t n = strlen (got);
            if (n < 1 || n > 2 || strspn (got, "abcdefghijklmnopqrstuvwxyz") != n)
                fail_msg ("U+%04X folds to \"%s\"", (unsigned)cp, got);
        }
        free (got);
    }
}

static void
test_folding_is_idempotent_and_tidy (void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof s_names / sizeof s_names[0]; i++) {
        char *once = fold_name (s_names[i].in);
        char *twice = fold_name (once);
        assert_string_equal (once, twice);
        size_t n = strlen (once);
        if (n > 0) {
            assert_true (once[0] != ' ' && once[n - 1] != ' ');
            assert_null (strstr (once, "  "));
        }
        free (once);
        free (twice);
    }
}

static void
test_long_and_pathological_input (void **state)
{
    (void)state;
    /* The worst expansion: every '&' becomes "and" plus a space. */
    char in[4097];
    memset (in, '&', 4096);
    in[4096] = '\0';
    char *got = fold_name (in);
    assert_int_equal (strlen (got), 4096 * 4 - 1);
    free (got);
    memset (in, 'A', 4096);
    got = fold_person_key (in);
    assert_int_equal (strlen (got), 4096);
    assert_true (got[0] == 'a' && got[4095] == 'a');
    free (got);
}

static int
s_cmp_str (const void *a, const void *b)
{
    return strcmp (*(char *const *)a, *(char *const *)b);
}

static void
test_all_650_constituency_names_fold_to_distinct_ascii_keys (void **state)
{
    (void)state;
    size_t n = constituency_count ();
    assert_int_equal (n, 650);
    char **keys = calloc (n, sizeof *keys);
    for (size_t i = 0; i < n; i++) {
        const constituency_t *c = constituency_at (i);
        keys[i] = fold_name (c->name);
        assert_string_equal (keys[i], c->folded_name);
        /* Every official name is Latin: its key is plain ASCII words. */
        if (strspn (keys[i], "abcdefghijklmnopqrstuvwxyz0123456789 ") != strlen (keys[i]))
            fail_msg ("\"%s\" folds to non-ASCII \"%s\"", c->name, keys[i]);
    }
    qsort (keys, n, sizeof *keys, s_cmp_str);
    for (size_t i = 1; i < n; i++)
        if (strcmp (keys[i - 1], keys[i]) == 0)
            fail_msg ("two constituencies fold to \"%s\"", keys[i]);
    for (size_t i = 0; i < n; i++)
        free (keys[i]);
    free (keys);
}

static void
test_real_constituency_names_with_accents_and_commas (void **state)
{
    (void)state;
    static const fold_case_t cases[] = {
        { "W07000112", "ynys mon" },
        { "E14001129", "brighton kemptown and peacehaven" },
        { "S14000067", "argyll bute and south lochaber" },
        { "W07000085", "brecon radnor and cwm tawe" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const constituency_t *c = constituency_by_code (cases[i].in);
        assert_non_null (c);
        assert_string_equal (c->folded_name, cases[i].folded);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_folding_examples),
        cmocka_unit_test (test_person_keys),
        cmocka_unit_test (test_every_latin1_and_extended_a_letter_folds_to_ascii_letters),
        cmocka_unit_test (test_folding_is_idempotent_and_tidy),
        cmocka_unit_test (test_long_and_pathological_input),
        cmocka_unit_test (test_all_650_constituency_names_fold_to_distinct_ascii_keys),
        cmocka_unit_test (test_real_constituency_names_with_accents_and_commas),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
