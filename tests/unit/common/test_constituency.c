/* constituency: the compiled-in table of the 650 Westminster constituencies of 2024. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>
#include "constituency.h"

static void *
s_first_use (void *arg)
{
    (void)arg;
    return (void *)constituency_by_code ("w07000112");
}

/* Runs first, so the table is built while eight threads race for it. */
static void
test_first_use_from_many_threads_builds_one_table (void **state)
{
    (void)state;
    pthread_t threads[8];
    for (int i = 0; i < 8; i++)
        assert_int_equal (pthread_create (&threads[i], NULL, s_first_use, NULL), 0);
    const constituency_t *first = NULL;
    for (int i = 0; i < 8; i++) {
        void *got;
        assert_int_equal (pthread_join (threads[i], &got), 0);
        assert_non_null (got);
        if (!first)
            first = got;
        assert_ptr_equal (got, first);
    }
    assert_string_equal (first->name, "Ynys Môn");
}

static void
test_table_has_650_rows_sorted_by_code_with_every_column (void **state)
{
    (void)state;
    assert_int_equal (constituency_count (), 650);
    size_t per_country[4] = { 0 };
    static const char *countries[4] = { "England", "Northern Ireland", "Scotland", "Wales" };
    for (size_t i = 0; i < 650; i++) {
        const constituency_t *c = constituency_at (i);
        assert_non_null (c);
        assert_int_equal (strlen (c->code), 9);
        if (i > 0)
            assert_true (strcmp (constituency_at (i - 1)->code, c->code) < 0);
        assert_true (c->name[0] && c->region[0] && c->folded_name[0]);
        assert_int_equal (strlen (c->region_code), 9);
        int k = -1;
        for (int j = 0; j < 4; j++)
            if (strcmp (c->country, countries[j]) == 0)
                k = j;
        assert_true (k >= 0);
        assert_int_equal (c->code[0], "ENSW"[k]);
        per_country[k]++;
    }
    assert_int_equal (per_country[0], 543);
    assert_int_equal (per_country[1], 18);
    assert_int_equal (per_country[2], 57);
    assert_int_equal (per_country[3], 32);
    assert_null (constituency_at (650));
}

static void
test_a_row_read_from_the_csv (void **state)
{
    (void)state;
    const constituency_t *c = constituency_by_code ("S14000067");
    assert_non_null (c);
    assert_string_equal (c->name, "Argyll, Bute and South Lochaber"); /* quoted in the CSV */
    assert_string_equal (c->country, "Scotland");
    assert_string_equal (c->region, "Scotland");
    assert_string_equal (c->region_code, "S92000003");
    assert_int_equal (c->hex_q, 49);
    assert_int_equal (c->hex_r, -5);
    c = constituency_by_code ("E14001063");
    assert_string_equal (c->name, "Aldershot");
    assert_string_equal (c->region, "South East");
    assert_int_equal (c->hex_r, -40);
}

static void
test_by_code_any_case_and_nothing_else (void **state)
{
    (void)state;
    const constituency_t *c = constituency_by_code ("E14001063");
    assert_non_null (c);
    assert_ptr_equal (constituency_by_code ("e14001063"), c);
    static const char *bad[] = { "",           "E1400106",   "E140010630", "E99999999",
                                 " E14001063", "E14001063 ", "Aldershot",  "E12000008" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (constituency_by_code (bad[i]))
            fail_msg ("found \"%s\"", bad[i]);
}

static void
test_by_name_after_folding (void **state)
{
    (void)state;
    const constituency_t *mon = constituency_by_code ("W07000112");
    assert_ptr_equal (constituency_by_name ("Ynys Môn"), mon);
    assert_ptr_equal (constituency_by_name ("ynys mon"), mon);
    assert_ptr_equal (constituency_by_name ("  YNYS-MON "), mon);
    assert_ptr_equal (constituency_by_name ("Ynys Mo\xcc\x82n"), mon); /* decomposed ô */
    const constituency_t *bk = constituency_by_code ("E14001129");
    assert_ptr_equal (constituency_by_name ("Brighton, Kemptown & Peacehaven"), bk);
    assert_ptr_equal (constituency_by_name ("brighton kemptown and peacehaven"), bk);
    assert_null (constituency_by_name ("Brighton"));
    assert_null (constituency_by_name ("Atlantis"));
    assert_null (constituency_by_name (""));
    assert_null (constituency_by_name ("E14001063"));
}

static void
test_every_constituency_is_found_by_its_own_code_and_name (void **state)
{
    (void)state;
    for (size_t i = 0; i < constituency_count (); i++) {
        const constituency_t *c = constituency_at (i);
        assert_ptr_equal (constituency_by_code (c->code), c);
        if (constituency_by_name (c->name) != c)
            fail_msg ("\"%s\" not found by name", c->name);
    }
}

static void
test_twelve_regions_covering_all_650 (void **state)
{
    (void)state;
    assert_int_equal (constituency_region_count (), 12);
    size_t total = 0, english = 0;
    for (size_t i = 0; i < 12; i++) {
        const constituency_region_t *r = constituency_region_at (i);
        if (i > 0)
            assert_true (strcmp (constituency_region_at (i - 1)->code, r->code) < 0);
        total += r->constituencies;
        english += strcmp (r->country, "England") == 0;
    }
    assert_int_equal (total, 650);
    assert_int_equal (english, 9);
    assert_null (constituency_region_at (12));
    const constituency_region_t *se = constituency_region_at (7);
    assert_string_equal (se->code, "E12000008");
    assert_string_equal (se->name, "South East");
    assert_int_equal (se->constituencies, 91);
}

static void
test_suggestions_for_misspelt_or_partial_names (void **state)
{
    (void)state;
    const constituency_t *out[5];
    /* Exact word matches rank before near misses ("Brixton", "Leighton"). */
    size_t n = constituency_suggest ("Brighton", out, 5);
    assert_true (n >= 2);
    assert_string_equal (out[0]->name, "Brighton Pavilion");
    assert_string_equal (out[1]->name, "Brighton Kemptown and Peacehaven");

    n = constituency_suggest ("brighton kemptwn", out, 5);
    assert_true (n >= 1);
    assert_string_equal (out[0]->name, "Brighton Kemptown and Peacehaven");

    n = constituency_suggest ("Aldershoot", out, 5);
    assert_true (n >= 1);
    assert_string_equal (out[0]->name, "Aldershot");

    n = constituency_suggest ("Ynys Mon", out, 5);
    assert_true (n >= 1);
    assert_string_equal (out[0]->code, "W07000112");

    n = constituency_suggest ("newcastle", out, 2);
    assert_int_equal (n, 2); /* there are more than two; max is respected */

    assert_int_equal (constituency_suggest ("qqqqqqqqqqqq", out, 5), 0);
    assert_int_equal (constituency_suggest ("", out, 5), 0);
    assert_int_equal (constituency_suggest ("--", out, 5), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_first_use_from_many_threads_builds_one_table),
        cmocka_unit_test (test_table_has_650_rows_sorted_by_code_with_every_column),
        cmocka_unit_test (test_a_row_read_from_the_csv),
        cmocka_unit_test (test_by_code_any_case_and_nothing_else),
        cmocka_unit_test (test_by_name_after_folding),
        cmocka_unit_test (test_every_constituency_is_found_by_its_own_code_and_name),
        cmocka_unit_test (test_twelve_regions_covering_all_650),
        cmocka_unit_test (test_suggestions_for_misspelt_or_partial_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
