/* `parley report --html FILE`: one self-contained HTML page (inline CSS and SVG; no script,
   nothing fetched) with the progress toward the target and the weekly curve, a hex
   cartogram of the 650 constituencies shaded by conversations (hex positions from the
   compiled-in constituency table, Open Innovations' "odd-r" layout), the stance
   distribution, the top topics and the regions table. It reads only the parley.* views,
   inside the caller's (read-only) transaction. */
#ifndef PARLEY_REPORT_H
#define PARLEY_REPORT_H
#include <stdio.h>
#include <libpq-fe.h>
#include "parley.h"

/* Writes the report to `out`. Returns 0, or -1 with a one-line error printed. */
int report_write_html (PGconn *conn, FILE *out) PARLEY_MUST_CHECK;

/* The centre of hex (q, r) in "odd-r" layout for hexes of `size` (centre to corner), pointy
   top, with y = -r so that north is up: odd rows (r % 2 != 0, negative r included) are
   shifted half a hex to the right. */
void report_hex_center (int q, int r, double size, double *x, double *y);

#endif
