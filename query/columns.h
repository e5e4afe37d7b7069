/* How a command shapes a result set's table rendering, as data: one row per column it
   relabels, hides, keeps to the table or widens, applied by name. A row naming a column
   the result set does not have does nothing, so a command's shape survives a view that
   drops one. CSV and JSON keep the views' column names; only a table-only column is
   left out of them. */
#ifndef PARLEY_COLUMNS_H
#define PARLEY_COLUMNS_H
#include <stddef.h>

#include "render.h"

enum {
    COLUMNS_HIDE = 1u << 0,       /* not in the table (resultset_hide_in_table) */
    COLUMNS_TABLE_ONLY = 1u << 1, /* in the table only, not in CSV or JSON */
};

typedef struct {
    const char *column; /* the column's name */
    const char *label;  /* the table's heading; NULL: the name */
    unsigned flags;     /* COLUMNS_HIDE, COLUMNS_TABLE_ONLY */
    size_t min_width;   /* never narrower when the table is cut to fit; 0: no floor */
} columns_shape_t;

/* Applies rows[0..nrows) to rs. */
void columns_shape (resultset_t *rs, const columns_shape_t *rows, size_t nrows);

/* The number of rows of an array of them. */
#define COLUMNS_COUNT(rows) (sizeof (rows) / sizeof (rows)[0])

#endif
