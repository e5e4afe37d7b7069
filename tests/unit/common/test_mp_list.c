/* The MP list's checks (common/mp_list.c): a bad file yields no list, and every bad row is
   named with its file and line. Names go through the strict UTF-8 check of the feeds, and
   `since` through the RFC 3339 date parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mp_list.h"

#define HEADER "constituency_code,name,party,since\n"

/* Parses csv, which must be refused; returns what was reported (caller frees) and sets
 *nbad. */
static char *
s_refused (const char *csv, size_t len, int *nbad)
{
    char *buf = NULL;
    size_t buflen = 0;
    FILE *f = open_memstream (&buf, &buflen);
    mp_list_t *list = mp_list_parse (csv, len, "new.csv", f, nbad);
    fclose (f);
    assert_null (list);
    return buf;
}

/* The one-row file HEADER + "E14001063,NAME,PARTY,SINCE" is refused with `reason` on line 2. */
static void
s_row_refused (const char *name, const char *party, const char *since, const char *reason)
{
    char csv[512];
    int n = snprintf (csv, sizeof csv, HEADER "E14001063,%s,%s,%s\n", name, party, since);
    int nbad = 0;
    char *out = s_refused (csv, (size_t)n, &nbad);
    char want[256];
    snprintf (want, sizeof want, "new.csv:2: %s", reason);
    if (!strstr (out, want))
        fail_msg ("name \"%s\" party \"%s\" since \"%s\": wanted \"%s\", got \"%s\"",
                  name,
                  party,
                  since,
                  want,
                  out);
    assert_int_equal (nbad, 1);
    free (out);
}

static void
test_a_good_file_gives_every_row_in_order_with_its_person_key (void **state)
{
    (void)state;
    /* A byte order mark, a quoted field with a comma and quotes, empty party and since. */
    const char *csv =
      "\xEF\xBB\xBF" HEADER "E14001063,Rt Hon Alex Baker MP,Labour,2024-07-04\n"
      "E14001064,\"Ms Yasmin \xC3\x98rsted\",\"Sinn F\xC3\xA9in, \"\"the\"\" party\",\n"
      "e14001065,Connor Rand,,2024-02-29\n";
    int nbad = -1;
    mp_list_t *list = mp_list_parse (csv, strlen (csv), "new.csv", stderr, &nbad);
    assert_non_null (list);
    assert_int_equal (nbad, 0);
    assert_int_equal (mp_list_count (list), 3);
    const mp_list_entry_t *a = mp_list_at (list, 0), *b = mp_list_at (list, 1),
                          *c = mp_list_at (list, 2);
    assert_string_equal (a->constituency_code, "E14001063");
    assert_string_equal (a->name, "Rt Hon Alex Baker MP");
    assert_string_equal (a->person_key, "alex baker");
    assert_string_equal (a->party, "Labour");
    assert_string_equal (a->since, "2024-07-04");
    assert_string_equal (b->party, "Sinn F\xC3\xA9in, \"the\" party");
    assert_null (b->since);
    assert_string_equal (c->constituency_code, "E14001065"); /* any case, stored upper */
    assert_null (c->party);
    assert_string_equal (c->since, "2024-02-29"); /* a leap day */
    assert_null (mp_list_at (list, 3));
    mp_list_destroy (&list);
    assert_null (list);
    mp_list_destroy (&list); /* NULL-safe */
}

static void
test_each_bad_row_is_named_with_file_and_line_and_nothing_is_returned (void **state)
{
    (void)state;
    const char *csv = HEADER "E14001063,Alex Baker,Labour,2024-07-04\n"
                             "E1400106,Someone,Labour,2024-07-04\n"
                             "e14001063,Alex Baker,Labour,2024-07-04\n"
                             "E14001064,Mr,Conservative,2015-05-07\n"
                             "E14001065,Connor Rand,Labour,2024-02-30\n"
                             "E14001066,Linsey Farnsworth,Labour\n";
    int nbad = 0;
    char *out = s_refused (csv, strlen (csv), &nbad);
    assert_int_equal (nbad, 5);
    assert_non_null (strstr (out, "new.csv:3: unknown constituency code \"E1400106\"\n"));
    assert_non_null (
      strstr (out, "new.csv:4: constituency E14001063 (Aldershot) is listed twice\n"));
    assert_non_null (strstr (out, "new.csv:5: name \"Mr\" has no person key"));
    assert_non_null (strstr (out, "new.csv:6: since \"2024-02-30\" is not a date"));
    assert_non_null (strstr (out, "new.csv:7: expected 4 fields"));
    free (out);
}

static void
test_the_header_is_checked_and_an_empty_file_is_refused (void **state)
{
    (void)state;
    const char *csv = "code,name,party\nE14001063,Alex Baker,Labour\n";
    int nbad = 0;
    char *out = s_refused (csv, strlen (csv), &nbad);
    assert_non_null (strstr (out, "new.csv:1: the header must be"));
    free (out);
    out = s_refused ("", 0, &nbad);
    assert_non_null (strstr (out, "new.csv:1: the file is empty"));
    assert_int_equal (nbad, 1);
    free (out);
}

/* The old check of collector/mps.c accepted all of these but the first; the feeds' check
   (common/utf8.c) refuses every one. */
static void
test_names_and_parties_must_be_strict_utf8 (void **state)
{
    (void)state;
    static const struct {
        const char *text, *what;
    } rows[] = {
        { "Alex \xC0\xAF Baker", "overlong 2-byte '/'" },
        { "Alex \xE0\x80\xAF Baker", "overlong 3-byte '/'" },
        { "Alex \xF0\x80\x81\x81 Baker", "overlong 4-byte 'A'" },
        { "Alex \xED\xA0\x80 Baker", "surrogate U+D800" },
        { "Alex \xED\xBF\xBF Baker", "surrogate U+DFFF" },
        { "Alex \xF4\x90\x80\x80 Baker", "above U+10FFFF" },
        { "Alex \xF5\x80\x80\x80 Baker", "lead byte F5" },
        { "Alex \xC3 Baker", "truncated sequence" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        print_message ("name: %s\n", rows[i].what);
        s_row_refused (rows[i].text, "Labour", "2024-07-04", "not valid UTF-8");
        print_message ("party: %s\n", rows[i].what);
        s_row_refused ("Alex Baker", rows[i].text, "2024-07-04", "not valid UTF-8");
    }
}

static void
test_since_must_be_a_real_calendar_date (void **state)
{
    (void)state;
    static const char *const bad[] = {
        "2024-02-30", "2023-02-29",  "2024-13-01",           "2024-00-10", "2024-07-00",
        "1799-12-31", "2024-+1-01",  "+202-07-04",           "24-07-04",   "2024-7-4",
        "2024/07/04", "2024-07-04x", "2024-07-04T10:00:00Z", "yesterday",  "2024-07-0",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char reason[64];
        snprintf (reason, sizeof reason, "since \"%s\" is not a date (YYYY-MM-DD)", bad[i]);
        s_row_refused ("Alex Baker", "Labour", bad[i], reason);
    }
}

static void
test_length_limits_and_nul_bytes (void **state)
{
    (void)state;
    char name[MP_LIST_NAME_MAX + 2];
    memset (name, 'a', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    s_row_refused (name, "Labour", "", "name is longer than 200 bytes");
    char party[MP_LIST_PARTY_MAX + 2];
    memset (party, 'p', sizeof party - 1);
    party[sizeof party - 1] = '\0';
    s_row_refused ("Alex Baker", party, "", "party is longer than 100 bytes");
    /* A NUL inside a field would otherwise cut the name short without a word. */
    static const char csv[] = HEADER "E14001063,Alex\0 Baker,Labour,\n";
    int nbad = 0;
    char *out = s_refused (csv, sizeof csv - 1, &nbad);
    assert_non_null (strstr (out, "new.csv:2: name contains a NUL byte"));
    free (out);
}

static void
test_after_twenty_errors_only_a_count (void **state)
{
    (void)state;
    size_t cap = 8192, len = 0;
    char *csv = malloc (cap);
    len += (size_t)snprintf (csv + len, cap - len, HEADER);
    for (int i = 0; i < 25; i++)
        len += (size_t)snprintf (csv + len, cap - len, "X%d,Someone,Labour,\n", i);
    int nbad = 0;
    char *out = s_refused (csv, len, &nbad);
    assert_int_equal (nbad, 25);
    assert_non_null (strstr (out, "new.csv:21: unknown constituency code \"X19\"\n"));
    assert_null (strstr (out, "new.csv:22:"));
    assert_non_null (strstr (out, "new.csv: 5 more errors not shown\n"));
    free (out);
    free (csv);
}

static void
test_the_compiled_in_list_passes_its_own_checks (void **state)
{
    (void)state;
    int nbad = -1;
    mp_list_t *list = mp_list_parse_builtin (stderr, &nbad);
    assert_non_null (list);
    assert_int_equal (nbad, 0);
    assert_int_equal (mp_list_count (list), 650);
    mp_list_destroy (&list);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_good_file_gives_every_row_in_order_with_its_person_key),
        cmocka_unit_test (test_each_bad_row_is_named_with_file_and_line_and_nothing_is_returned),
        cmocka_unit_test (test_the_header_is_checked_and_an_empty_file_is_refused),
        cmocka_unit_test (test_names_and_parties_must_be_strict_utf8),
        cmocka_unit_test (test_since_must_be_a_real_calendar_date),
        cmocka_unit_test (test_length_limits_and_nul_bytes),
        cmocka_unit_test (test_after_twenty_errors_only_a_count),
        cmocka_unit_test (test_the_compiled_in_list_passes_its_own_checks),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
