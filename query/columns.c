/* Shaping a result set by column name (see columns.h). */
#include "columns.h"

#include <stdbool.h>

/* The index of column in rs, if it has one. */
static bool
s_find (const resultset_t *rs, const char *column, size_t *index)
{
    int c = resultset_find (rs, column);
    *index = c >= 0 ? (size_t)c : 0;
    return c >= 0;
}

void
columns_label (resultset_t *rs, const char *column, const char *label)
{
    size_t c;
    if (s_find (rs, column, &c))
        resultset_set_label (rs, c, label);
}

void
columns_hide (resultset_t *rs, const char *column)
{
    size_t c;
    if (s_find (rs, column, &c))
        resultset_hide_in_table (rs, c);
}

void
columns_table_only (resultset_t *rs, const char *column)
{
    size_t c;
    if (s_find (rs, column, &c))
        resultset_table_only (rs, c);
}

void
columns_min_width (resultset_t *rs, const char *column, size_t width)
{
    size_t c;
    if (s_find (rs, column, &c))
        resultset_set_min_width (rs, c, width);
}
