/* Shaping a result set's table rendering by column name, as the commands do before they
   print (relabel, hide, keep to the table, widen). Each does nothing when the result set
   has no column of that name, so a command's shaping survives a view that drops one. */
#ifndef PARLEY_COLUMNS_H
#define PARLEY_COLUMNS_H
#include <stddef.h>

#include "render.h"

/* The table's heading for column (resultset_set_label). */
void columns_label (resultset_t *rs, const char *column, const char *label);

/* Leaves column out of the table (resultset_hide_in_table). */
void columns_hide (resultset_t *rs, const char *column);

/* Shows column in the table only, not in CSV or JSON (resultset_table_only). */
void columns_table_only (resultset_t *rs, const char *column);

/* Never narrows column below width when the table is cut to fit (resultset_set_min_width). */
void columns_min_width (resultset_t *rs, const char *column, size_t width);

#endif
