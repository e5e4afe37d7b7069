/* pg/db: what needs no server. COPY text fields are escaped so that any value (the MP list's
   names, a feed's notes) arrives as written; error texts are one line that fits a logfmt
   value; a result without SQLSTATE (the connection went away) is worth a retry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "db.h"

static void
test_copy_fields_escape_backslash_tab_newline_and_carriage_return (void **state)
{
    (void)state;
    db_buf_t buf;
    db_buf_init (&buf);
    const char value[] = "a\\b\tc\nd\re \"f\" \xC3\xB8";
    db_buf_put_field (&buf, value, strlen (value));
    db_buf_putc (&buf, '\t');
    db_buf_put_null (&buf);
    db_buf_putc (&buf, '\n');
    const char want[] = "a\\\\b\\tc\\nd\\re \"f\" \xC3\xB8\t\\N\n";
    assert_int_equal (buf.len, strlen (want));
    assert_memory_equal (buf.data, want, buf.len);
    db_buf_reset (&buf);
    assert_int_equal (buf.len, 0);
    db_buf_fini (&buf);
    assert_null (buf.data);
}

static void
test_copy_buffer_grows_past_its_first_block (void **state)
{
    (void)state;
    db_buf_t buf;
    db_buf_init (&buf);
    for (int i = 0; i < 5000; i++)
        db_buf_puts (&buf, "\\\\\\\\");
    assert_int_equal (buf.len, 20000);
    char big[9000];
    memset (big, '\t', sizeof big);
    db_buf_put_field (&buf, big, sizeof big); /* each tab doubles */
    assert_int_equal (buf.len, 20000 + 2 * sizeof big);
    assert_memory_equal (buf.data + 20000, "\\t\\t", 4);
    db_buf_fini (&buf);
}

static void
test_flatten_makes_one_line_without_double_quotes (void **state)
{
    (void)state;
    char text[] = "relation \"parley.mp\" does not exist\nLINE 1: DELETE\tFROM  \n ";
    db_flatten (text);
    assert_string_equal (text, "relation 'parley.mp' does not exist LINE 1: DELETE FROM");
}

static void
test_no_result_or_no_sqlstate_is_a_retry (void **state)
{
    (void)state;
    assert_int_equal (db_classify (NULL, NULL), DB_RETRY);
    PGresult *res = PQmakeEmptyPGresult (NULL, PGRES_FATAL_ERROR);
    assert_non_null (res);
    assert_int_equal (db_classify (NULL, res), DB_RETRY);
    char err[128];
    db_error_text (NULL, NULL, err, sizeof err);
    assert_string_equal (err, "no connection to the server");
    PQclear (res);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_copy_fields_escape_backslash_tab_newline_and_carriage_return),
        cmocka_unit_test (test_copy_buffer_grows_past_its_first_block),
        cmocka_unit_test (test_flatten_makes_one_line_without_double_quotes),
        cmocka_unit_test (test_no_result_or_no_sqlstate_is_a_retry),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
