/* A result set's table shaped by column name (see columns.h). */
#include "columns.h"

void
columns_shape (resultset_t *rs, const columns_shape_t *rows, size_t nrows)
{
    for (size_t i = 0; i < nrows; i++) {
        int found = resultset_find (rs, rows[i].column);
        if (found < 0)
            continue;
        size_t c = (size_t)found;
        if (rows[i].label)
            resultset_set_label (rs, c, rows[i].label);
        if (rows[i].flags & COLUMNS_HIDE)
            resultset_hide_in_table (rs, c);
        if (rows[i].flags & COLUMNS_TABLE_ONLY)
            resultset_table_only (rs, c);
        if (rows[i].min_width)
            resultset_set_min_width (rs, c, rows[i].min_width);
    }
}
