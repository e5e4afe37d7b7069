/* columns: a command's table shape, applied by column name. */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "render.h"

/* Renders rs in format into a string. Caller frees. */
static char *
s_render (const resultset_t *rs, render_format_t format)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream (&buf, &len);
    assert_non_null (f);
    render_write (rs, format, f, "(none)");
    fclose (f);
    return buf;
}

static resultset_t *
s_people (void)
{
    const char *names[] = { "person_key", "name", "stance", "stance_text" };
    const column_type_t types[] = { COLUMN_TEXT, COLUMN_TEXT, COLUMN_INT, COLUMN_TEXT };
    resultset_t *rs = resultset_new (4, names, types);
    const char *row[] = { "ann lee", "Ann Lee", "1", "supportive" };
    resultset_add_row (rs, row);
    return rs;
}

static void
test_labels_hidden_and_table_only_columns_reach_only_the_table (void **state)
{
    (void)state;
    static const columns_shape_t shape[] = {
        { "person_key", .flags = COLUMNS_HIDE },
        { "name", .label = "Name" },
        { "stance", .flags = COLUMNS_HIDE },
        { "stance_text", .label = "Stance", .flags = COLUMNS_TABLE_ONLY },
    };
    resultset_t *rs = s_people ();
    columns_shape (rs, shape, COLUMNS_COUNT (shape));
    char *table = s_render (rs, RENDER_TABLE), *csv = s_render (rs, RENDER_CSV);
    assert_non_null (strstr (table, "Name"));
    assert_non_null (strstr (table, "Stance"));
    assert_non_null (strstr (table, "supportive"));
    assert_null (strstr (table, "ann lee"));
    assert_null (strstr (table, "stance_text"));
    /* CSV keeps the views' names and numbers, and leaves the table's words out. */
    assert_string_equal (csv, "person_key,name,stance\r\nann lee,Ann Lee,1\r\n");
    free (table);
    free (csv);
    resultset_destroy (&rs);
}

static void
test_a_row_for_a_column_the_result_set_lacks_does_nothing (void **state)
{
    (void)state;
    static const columns_shape_t shape[] = {
        { "no_such_column", .label = "X", .flags = COLUMNS_HIDE, .min_width = 40 },
    };
    resultset_t *rs = s_people (), *plain = s_people ();
    columns_shape (rs, shape, COLUMNS_COUNT (shape));
    char *a = s_render (rs, RENDER_TABLE), *b = s_render (plain, RENDER_TABLE);
    assert_string_equal (a, b);
    free (a);
    free (b);
    resultset_destroy (&rs);
    resultset_destroy (&plain);
}

/* min_width keeps a column from being cut below it when a table must shrink to fit. */
static void
test_min_width_keeps_a_column_whole_when_the_table_is_cut (void **state)
{
    (void)state;
    const char *names[] = { "name", "notes" };
    const column_type_t types[] = { COLUMN_TEXT, COLUMN_TEXT };
    char name[41], notes[81];
    memset (name, 'n', 40), name[40] = '\0';
    memset (notes, 'x', 80), notes[80] = '\0';
    const char *row[] = { name, notes };
    static const columns_shape_t shape[] = { { "name", .min_width = 40 } };
    resultset_t *rs = resultset_new (2, names, types);
    resultset_add_row (rs, row);
    columns_shape (rs, shape, COLUMNS_COUNT (shape));
    char *table = s_render (rs, RENDER_TABLE);
    assert_non_null (strstr (table, name));
    assert_null (strstr (table, notes));
    free (table);
    resultset_destroy (&rs);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_labels_hidden_and_table_only_columns_reach_only_the_table),
        cmocka_unit_test (test_a_row_for_a_column_the_result_set_lacks_does_nothing),
        cmocka_unit_test (test_min_width_keeps_a_column_whole_when_the_table_is_cut),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
