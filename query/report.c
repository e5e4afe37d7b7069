/* The HTML report (see report.h). Everything is drawn here, on the server side of the
   page, as inline SVG: the file must open the same way from a mail attachment, a shared
   drive or a printer, with no script and nothing fetched. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "constituency.h"
#include "mem.h"
#include "query_db.h"
#include "render.h"

#define HEX_SIZE 10.0 /* centre to corner, in SVG user units */
#define NCLASSES 5    /* shades for constituencies with conversations */

/* Light to dark, for 1+ conversations; none is grey so that "not yet" stands apart. */
static const char *const s_shades[NCLASSES] = { "#c6dbef",
                                                "#9ecae1",
                                                "#6baed6",
                                                "#3182bd",
                                                "#08519c" };
#define SHADE_NONE "#e4e4e4"

void
report_hex_center (int q, int r, double size, double *x, double *y)
{
    double w = sqrt (3.0) * size;
    int odd = r % 2 != 0; /* in C, -3 % 2 is -1: test for non-zero, never for 1 */
    *x = w * (q + (odd ? 0.5 : 0.0));
    *y = 1.5 * size * (double)-r;
}

/* Writes text with HTML's five special characters escaped (safe in text and attributes). */
static void
s_esc (FILE *out, const char *text)
{
    for (const char *p = text ? text : ""; *p; p++) {
        switch (*p) {
            case '&':
                fputs ("&amp;", out);
                break;
            case '<':
                fputs ("&lt;", out);
                break;
            case '>':
                fputs ("&gt;", out);
                break;
            case '"':
                fputs ("&quot;", out);
                break;
            case '\'':
                fputs ("&#39;", out);
                break;
            default:
                fputc (*p, out);
        }
    }
}

static const char *
s_val (const resultset_t *rs, size_t row, const char *col)
{
    int c = resultset_find (rs, col);
    if (c < 0 || row >= resultset_rows (rs))
        return NULL;
    return resultset_value (rs, row, (size_t)c);
}

static long long
s_int (const resultset_t *rs, size_t row, const char *col)
{
    const char *v = s_val (rs, row, col);
    return v ? strtoll (v, NULL, 10) : 0;
}

/* Thousands-separated number, printed. */
static void
s_num (FILE *out, long long n)
{
    char *t = render_thousands (n);
    fputs (t, out);
    free (t);
}

/* ---- the shading classes ------------------------------------------------------------ */

/* Lower bounds of the NCLASSES shades: "nice" numbers spread evenly on a log scale up to
   the busiest constituency, so the map shows contrast whether the busiest has 3
   conversations or 3,000. Returns how many classes there are (fewer when max is small). */
static int
s_classes (long long max, long long lower[NCLASSES])
{
    static const long long nice[] = { 1,    2,    3,     4,     5,     10,    15,    20,    25,
                                      30,   40,   50,    75,    100,   150,   200,   250,   300,
                                      400,  500,  750,   1000,  1500,  2000,  2500,  3000,  4000,
                                      5000, 7500, 10000, 15000, 20000, 25000, 50000, 100000 };
    int n = 0;
    lower[n++] = 1;
    for (int k = 1; k < NCLASSES && max > 1; k++) {
        double want = pow ((double)max, (double)k / NCLASSES);
        long long best = 0;
        for (size_t i = 0; i < sizeof nice / sizeof nice[0]; i++)
            if (nice[i] <= want + 1e-9)
                best = nice[i];
        if (best > lower[n - 1] && best <= max)
            lower[n++] = best;
    }
    return n;
}

static int
s_class_of (long long v, const long long lower[], int n)
{
    int k = 0;
    while (k + 1 < n && v >= lower[k + 1])
        k++;
    return k;
}

/* ---- sections ----------------------------------------------------------------------- */

static void
s_head (FILE *out)
{
    fputs ("<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<title>Parley: campaign report</title>\n<style>\n"
           ":root{--ink:#1d2733;--muted:#5b6775;--line:#d5dbe1;--accent:#08519c;--warn:#b45309}\n"
           "*{box-sizing:border-box}\n"
           "body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica "
           "Neue',Arial,sans-serif;"
           "color:var(--ink);background:#fff}\n"
           "main{max-width:1100px;margin:0 auto;padding:16px}\n"
           "h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.2em;margin:0 0 8px;border-bottom:2px "
           "solid var(--line);"
           "padding-bottom:4px}\n"
           ".sub{color:var(--muted);margin:0 0 16px}\n"
           ".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:20px}\n"
           "section{margin:0 0 24px;break-inside:avoid;page-break-inside:avoid}\n"
           ".kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px;"
           "margin-bottom:8px}\n"
           ".kpi{border:1px solid var(--line);border-radius:6px;padding:10px 12px}\n"
           ".kpi b{display:block;font-size:1.7em;line-height:1.2}\n"
           ".kpi span{color:var(--muted);font-size:.9em}\n"
           ".bar{height:10px;background:#eef1f4;border-radius:5px;overflow:hidden;margin-top:6px}\n"
           ".bar i{display:block;height:100%;background:var(--accent)}\n"
           "svg{display:block;width:100%;height:auto}\n"
           ".map svg.hexmap{max-width:720px;margin:0 auto;max-height:92vh}\n"
           ".hex{stroke:#fff;stroke-width:1}\n"
           ".hex:hover{stroke:var(--ink);stroke-width:2}\n"
           ".mp{fill:#fff;stroke:#1d2733;stroke-width:1;pointer-events:none}\n"
           ".note{color:var(--muted);font-size:.85em}\n"
           "table{border-collapse:collapse;width:100%;font-size:.92em}\n"
           "th,td{text-align:left;padding:4px 6px;border-bottom:1px solid var(--line)}\n"
           "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n"
           ".legend{display:flex;flex-wrap:wrap;gap:6px "
           "14px;align-items:center;font-size:.88em;margin:6px 0}\n"
           ".legend "
           "i{display:inline-block;width:14px;height:14px;border-radius:3px;vertical-align:-2px;"
           "margin-right:4px}\n"
           ".wrap{overflow-x:auto}\n"
           "@media (max-width:600px){body{font-size:14px}main{padding:10px}.kpi b{font-size:1.4em}"
           "th,td{padding:3px 4px}}\n"
           "@page{size:A4;margin:12mm}\n"
           "@media print{body{font-size:10.5pt}main{max-width:none;padding:0}"
           ".grid{grid-template-columns:1fr 1fr}.map svg{max-height:240mm}"
           "section.map{break-before:page;page-break-before:always}"
           "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n"
           "</style>\n</head>\n<body>\n<main>\n",
           out);
}

static void
s_kpi (FILE *out, const char *label, long long n, long long of, const char *of_label)
{
    double share = of > 0 ? (double)n / (double)of : 0.0;
    if (share > 1.0)
        share = 1.0;
    fputs ("<div class=\"kpi\"><span>", out);
    s_esc (out, label);
    fputs ("</span><b>", out);
    s_num (out, n);
    fputs ("</b><span>of ", out);
    s_num (out, of);
    fprintf (out,
             " %s (%.1f%%)</span><div class=\"bar\"><i style=\"width:%.1f%%\"></i></div></div>\n",
             of_label,
             of > 0 ? 100.0 * (double)n / (double)of : 0.0,
             100.0 * share);
}

static void
s_progress (FILE *out, const resultset_t *p)
{
    long long conv = s_int (p, 0, "conversations"), target = s_int (p, 0, "target");
    long long seats = s_int (p, 0, "constituencies");
    fputs ("<section class=\"progress\"><h2>Progress</h2>\n<div class=\"kpis\">\n", out);
    s_kpi (out, "Conversations", conv, target, "target");
    s_kpi (out,
           "Constituencies reached",
           s_int (p, 0, "constituencies_reached"),
           seats,
           "constituencies");
    s_kpi (out, "MPs engaged", s_int (p, 0, "mps_engaged"), seats, "MPs");
    fputs ("</div>\n<p>", out);
    const char *deadline = s_val (p, 0, "deadline");
    const char *proj = s_val (p, 0, "projected_at_deadline");
    fputs ("Target: ", out);
    s_num (out, target);
    fputs (" conversations", out);
    if (deadline) {
        fputs (" by ", out);
        s_esc (out, deadline);
    }
    fputs (". ", out);
    if (proj) {
        long long pr = strtoll (proj, NULL, 10);
        fputs ("At the pace so far, about <b>", out);
        s_num (out, pr);
        fprintf (
          out, "</b> by the deadline (%s).", pr >= target ? "target met" : "short of the target");
    } else {
        fputs ("No conversations yet, so no projection.", out);
    }
    fputs ("</p>\n</section>\n", out);
}

/* The weekly curve: cumulative conversations (line), each week's count (bars), the target
   (dashed) and the straight-line projection to the deadline (dotted). */
static void
s_weekly (FILE *out, const resultset_t *w, const resultset_t *p)
{
    fputs ("<section class=\"weekly\"><h2>Week by week</h2>\n", out);
    size_t n = resultset_rows (w);
    if (n == 0) {
        fputs ("<p class=\"note\">No conversations yet.</p></section>\n", out);
        return;
    }
    long long target = s_int (p, 0, "target");
    const char *proj_text = s_val (w, n - 1, "projected_at_deadline");
    long long proj = proj_text ? strtoll (proj_text, NULL, 10) : 0;
    long long last = s_int (w, n - 1, "cumulative_conversations");
    long long ymax = target;
    long long wmax = 1;
    for (size_t i = 0; i < n; i++)
        if (s_int (w, i, "conversations") > wmax)
            wmax = s_int (w, i, "conversations");
    if (last > ymax)
        ymax = last;
    if (proj > ymax)
        ymax = proj;
    if (ymax < 1)
        ymax = 1;
    /* Gridlines at a "nice" step (1, 2, 2.5 or 5 times a power of ten), the top rounded up
       to a whole number of steps. */
    double rough = (double)ymax / 4.0, mag = pow (10.0, floor (log10 (rough)));
    double step = mag;
    static const double mults[] = { 1.0, 2.0, 2.5, 5.0, 10.0 };
    for (size_t i = 0; i < sizeof mults / sizeof mults[0]; i++)
        if (mults[i] * mag >= rough) {
            step = mults[i] * mag;
            break;
        }
    if (step < 1.0)
        step = 1.0;
    int nsteps = (int)ceil ((double)ymax / step);
    ymax = (long long)llround (nsteps * step);
    /* The x axis runs from the first week to the deadline's week (or the last week). */
    const double W = 640, H = 240, L = 48, R = 14, T = 14, B = 30;
    int weeks_to_deadline = 0;
    const char *dl = s_val (w, n - 1, "deadline");
    const char *ws_first = s_val (w, 0, "week_start"), *ws_last = s_val (w, n - 1, "week_start");
    if (dl && ws_last) {
        struct tm a = { 0 }, b = { 0 };
        if (strptime (ws_last, "%Y-%m-%d", &a) && strptime (dl, "%Y-%m-%d", &b)) {
            double days = difftime (timegm (&b), timegm (&a)) / 86400.0;
            if (days > 0)
                weeks_to_deadline = (int)ceil (days / 7.0);
        }
    }
    double span = (double)(n - 1 + (size_t)weeks_to_deadline);
    if (span < 1)
        span = 1;
#define X(i) (L + (W - L - R) * (double)(i) / span)
#define Y(v) (T + (H - T - B) * (1.0 - (double)(v) / (double)ymax))
    fprintf (out,
             "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"Cumulative conversations by "
             "week\">\n",
             W,
             H);
    /* Axis and gridlines at quarters of the top value. */
    for (int g = 0; g <= nsteps; g++) {
        long long v = (long long)llround (step * g);
        fprintf (out,
                 "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e2e6ea\"/>",
                 L,
                 W - R,
                 Y (v),
                 Y (v));
        fprintf (out,
                 "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" "
                 "fill=\"#5b6775\">%lld</text>\n",
                 L - 4,
                 Y (v) + 3,
                 v);
    }
    /* Weekly bars, scaled to the lower third. */
    double bw = (W - L - R) / span * 0.7;
    for (size_t i = 0; i < n; i++) {
        long long c = s_int (w, i, "conversations");
        double h = (H - T - B) / 3.0 * (double)c / (double)wmax;
        fprintf (
          out,
          "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#c6dbef\"><title>",
          X (i) - bw / 2,
          H - B - h,
          bw > 1 ? bw : 1,
          h);
        s_esc (out, s_val (w, i, "week"));
        fprintf (out, ": %lld conversations</title></rect>\n", c);
    }
    fprintf (
      out,
      "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#5b6775\">busiest week: %lld</text>\n",
      L + 4,
      H - B - (H - T - B) / 3.0 - 4,
      wmax);
    /* Target line. */
    fprintf (out,
             "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#b45309\" "
             "stroke-dasharray=\"6 4\"/>"
             "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\" "
             "fill=\"#b45309\">target %lld</text>\n",
             L,
             W - R,
             Y (target),
             Y (target),
             W - R,
             Y (target) - 4,
             target);
    /* Cumulative line. */
    fputs ("<polyline fill=\"none\" stroke=\"#08519c\" stroke-width=\"2.5\" points=\"", out);
    for (size_t i = 0; i < n; i++)
        fprintf (out, "%.1f,%.1f ", X (i), Y (s_int (w, i, "cumulative_conversations")));
    fputs ("\"/>\n", out);
    if (proj_text && weeks_to_deadline > 0)
        fprintf (out,
                 "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#08519c\" "
                 "stroke-width=\"2\" "
                 "stroke-dasharray=\"2 4\"/><text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" "
                 "text-anchor=\"end\" "
                 "fill=\"#08519c\">projected %lld</text>\n",
                 X (n - 1),
                 Y (last),
                 X (span),
                 Y (proj),
                 X (span) - 70,
                 Y (proj) + (fabs (Y (proj) - Y (target)) < 16 || Y (proj) < T + 20 ? 16 : -6),
                 proj);
    /* x labels: first week, last week with data, deadline. */
    fprintf (out, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"#5b6775\">", L, H - 10);
    s_esc (out, ws_first);
    fputs ("</text>", out);
    if (dl) {
        fprintf (out,
                 "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"end\" "
                 "fill=\"#5b6775\">deadline ",
                 W - R,
                 H - 10);
        s_esc (out, dl);
        fputs ("</text>", out);
    }
    fputs ("\n</svg>\n<p class=\"note\">Line: conversations so far, by the week they took place. "
           "Bars: each week. "
           "Dashed: the target. Dotted: where the average pace so far ends at the "
           "deadline.</p>\n</section>\n",
           out);
#undef X
#undef Y
}

/* The hex cartogram: every constituency from the compiled-in table, shaded from the
   summary view; a white dot marks the constituencies whose MP has been spoken to. */
static void
s_map (FILE *out, const resultset_t *sum, const resultset_t *mps)
{
    size_t nc = constituency_count ();
    long long max = 0;
    for (size_t r = 0; r < resultset_rows (sum); r++)
        if (s_int (sum, r, "conversations") > max)
            max = s_int (sum, r, "conversations");
    long long lower[NCLASSES];
    int ncls = s_classes (max, lower);

    double minx = 1e9, maxx = -1e9, miny = 1e9, maxy = -1e9;
    for (size_t i = 0; i < nc; i++) {
        const constituency_t *c = constituency_at (i);
        double x, y;
        report_hex_center (c->hex_q, c->hex_r, HEX_SIZE, &x, &y);
        minx = fmin (minx, x), maxx = fmax (maxx, x), miny = fmin (miny, y), maxy = fmax (maxy, y);
    }
    double pad = HEX_SIZE * 1.2;
    double vx = minx - pad, vy = miny - pad, vw = maxx - minx + 2 * pad,
           vh = maxy - miny + 2 * pad + 14;

    fputs ("<section class=\"map\"><h2>Constituencies</h2>\n<div class=\"legend\">"
           "<span><i style=\"background:" SHADE_NONE "\"></i>no conversation yet</span>",
           out);
    for (int k = 0; k < ncls; k++) {
        long long hi = k + 1 < ncls ? lower[k + 1] - 1 : max;
        fprintf (out, "<span><i style=\"background:%s\"></i>", s_shades[k + (NCLASSES - ncls)]);
        if (hi > lower[k])
            fprintf (out, "%lld&ndash;%lld conversations</span>", lower[k], hi);
        else
            fprintf (out, "%lld conversation%s</span>", lower[k], lower[k] == 1 ? "" : "s");
    }
    fputs ("<span><svg width=\"14\" height=\"14\" viewBox=\"0 0 14 14\" "
           "style=\"display:inline;width:14px;"
           "vertical-align:-2px\"><circle cx=\"7\" cy=\"7\" r=\"4\" class=\"mp\"/></svg> MP spoken "
           "to</span>"
           "</div>\n",
           out);
    fprintf (out,
             "<svg class=\"hexmap\" viewBox=\"%.1f %.1f %.1f %.1f\" role=\"img\" "
             "aria-label=\"Hex map of the 650 constituencies shaded by conversations\">\n",
             vx,
             vy,
             vw,
             vh);

    /* Corners of a pointy-top hex, relative to its centre. */
    double cx[6], cy[6];
    for (int k = 0; k < 6; k++) {
        double a = M_PI / 180.0 * (60.0 * k - 30.0);
        cx[k] = HEX_SIZE * cos (a);
        cy[k] = HEX_SIZE * sin (a);
    }
    for (size_t i = 0; i < nc; i++) {
        const constituency_t *c = constituency_at (i);
        size_t row = resultset_rows (sum);
        /* The view is ordered by code, as the table is: usually i is the row. */
        if (i < resultset_rows (sum) && strcmp (s_val (sum, i, "constituency_code"), c->code) == 0)
            row = i;
        else
            for (size_t r = 0; r < resultset_rows (sum); r++)
                if (strcmp (s_val (sum, r, "constituency_code"), c->code) == 0)
                    row = r;
        long long conv = s_int (sum, row, "conversations"),
                  mpc = s_int (sum, row, "mp_conversations");
        const char *fill =
          conv > 0 ? s_shades[s_class_of (conv, lower, ncls) + (NCLASSES - ncls)] : SHADE_NONE;
        double x, y;
        report_hex_center (c->hex_q, c->hex_r, HEX_SIZE, &x, &y);
        fputs ("<polygon class=\"hex\" points=\"", out);
        for (int k = 0; k < 6; k++)
            fprintf (out, "%s%.2f,%.2f", k ? " " : "", x + cx[k] * 0.97, y + cy[k] * 0.97);
        fprintf (out, "\" fill=\"%s\" data-code=\"%s\"><title>", fill, c->code);
        s_esc (out, c->name);
        fputs (" (", out);
        s_esc (out, c->region);
        fprintf (out,
                 ")&#10;%lld conversation%s; with the MP: %lld; associations: %lld",
                 conv,
                 conv == 1 ? "" : "s",
                 mpc,
                 s_int (sum, row, "associations"));
        const char *mean = s_val (sum, row, "mean_stance");
        if (mean)
            fprintf (out, "; mean stance %.2f", strtod (mean, NULL));
        for (size_t m = 0; m < resultset_rows (mps); m++)
            if (strcmp (s_val (mps, m, "constituency_code"), c->code) == 0) {
                fputs ("&#10;MP: ", out);
                s_esc (out, s_val (mps, m, "mp_name"));
                if (s_val (mps, m, "party")) {
                    fputs (" (", out);
                    s_esc (out, s_val (mps, m, "party"));
                    fputs (")", out);
                }
                break;
            }
        fputs ("</title></polygon>\n", out);
        if (mpc > 0)
            fprintf (out,
                     "<circle class=\"mp\" cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\"/>\n",
                     x,
                     y,
                     HEX_SIZE * 0.32);
    }
    fprintf (out,
             "<text x=\"%.1f\" y=\"%.1f\" font-size=\"9\" text-anchor=\"end\" fill=\"#5b6775\">"
             "Hex layout: Open Innovations (CC BY 4.0)</text>\n</svg>\n",
             vx + vw - 2,
             vy + vh - 4);
    fputs ("<p class=\"note\">Each hexagon is one constituency (2024 boundaries), placed by Open "
           "Innovations' "
           "hex cartogram; hover over one (or tap it) for its name and figures. Hex layout: Open "
           "Innovations, "
           "CC BY 4.0.</p>\n</section>\n",
           out);
}

static void
s_stances (FILE *out, const resultset_t *sum)
{
    static const char *const cols[] = { "stance_opposed",    "stance_sceptical", "stance_neutral",
                                        "stance_supportive", "stance_champion",  "stance_unknown" };
    static const char *const labels[] = { "Opposed",    "Sceptical", "Neutral",
                                          "Supportive", "Champion",  "Unknown" };
    static const char *const colours[] = { "#b2182b", "#ef8a62", "#bababa",
                                           "#67a9cf", "#2166ac", "#e4e4e4" };
    long long total[6] = { 0 }, all = 0, most = 1;
    for (size_t r = 0; r < resultset_rows (sum); r++)
        for (int k = 0; k < 6; k++)
            total[k] += s_int (sum, r, cols[k]);
    for (int k = 0; k < 6; k++) {
        all += total[k];
        if (total[k] > most)
            most = total[k];
    }
    fputs ("<section class=\"stances\"><h2>Stances</h2>\n", out);
    fputs ("<svg viewBox=\"0 0 420 160\" role=\"img\" aria-label=\"Stance distribution\">\n", out);
    for (int k = 0; k < 6; k++) {
        double y = 4 + 26.0 * k, w = 220.0 * (double)total[k] / (double)most;
        fprintf (out,
                 "<text x=\"84\" y=\"%.0f\" font-size=\"12\" text-anchor=\"end\">%s</text>"
                 "<rect x=\"90\" y=\"%.0f\" width=\"%.1f\" height=\"18\" fill=\"%s\"/>"
                 "<text x=\"%.1f\" y=\"%.0f\" font-size=\"12\">%lld (%.0f%%)</text>\n",
                 y + 13,
                 labels[k],
                 y,
                 w,
                 colours[k],
                 94 + w,
                 y + 13,
                 total[k],
                 all ? 100.0 * (double)total[k] / (double)all : 0.0);
    }
    fputs (
      "</svg>\n<p class=\"note\">Stance recorded in each conversation that counts.</p></section>\n",
      out);
}

static void
s_topics (FILE *out, const resultset_t *t)
{
    fputs ("<section class=\"topics\"><h2>Top topics</h2>\n", out);
    size_t n = resultset_rows (t);
    if (n == 0) {
        fputs ("<p class=\"note\">No topics yet.</p></section>\n", out);
        return;
    }
    long long most = s_int (t, 0, "conversations");
    if (most < 1)
        most = 1;
    /* Room for the longest topic (at most 40 characters) at about 7.5 units a character. */
    size_t longest = 4;
    for (size_t i = 0; i < n; i++)
        if (render_text_width (s_val (t, i, "topic")) > longest)
            longest = render_text_width (s_val (t, i, "topic"));
    double lx = 7.5 * (double)longest + 8, bar = 200.0;
    fprintf (out,
             "<svg viewBox=\"0 0 %.0f %zu\" role=\"img\" aria-label=\"Top topics\">\n",
             lx + bar + 50,
             6 + 22 * n);
    for (size_t i = 0; i < n; i++) {
        long long c = s_int (t, i, "conversations");
        double y = 4 + 22.0 * (double)i, w = bar * (double)c / (double)most;
        fprintf (
          out, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" text-anchor=\"end\">", lx - 6, y + 13);
        s_esc (out, s_val (t, i, "topic"));
        fprintf (
          out,
          "</text><rect x=\"%.0f\" y=\"%.0f\" width=\"%.1f\" height=\"16\" fill=\"#6baed6\"/>"
          "<text x=\"%.1f\" y=\"%.0f\" font-size=\"12\">%lld</text>\n",
          lx,
          y,
          w,
          lx + 4 + w,
          y + 13,
          c);
    }
    fputs ("</svg>\n</section>\n", out);
}

static void
s_regions (FILE *out, const resultset_t *rg)
{
    fputs ("<section class=\"regions\"><h2>Regions</h2>\n<div "
           "class=\"wrap\"><table>\n<thead><tr><th>Region</th>"
           "<th class=\"n\">Seats</th><th class=\"n\">Reached</th><th class=\"n\">MPs engaged</th>"
           "<th class=\"n\">Conversations</th></tr></thead>\n<tbody>\n",
           out);
    for (size_t r = 0; r < resultset_rows (rg); r++) {
        fputs ("<tr><td>", out);
        s_esc (out, s_val (rg, r, "region"));
        fprintf (out,
                 "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
                 "<td class=\"n\">",
                 s_int (rg, r, "constituencies"),
                 s_int (rg, r, "constituencies_reached"),
                 s_int (rg, r, "mps_engaged"));
        s_num (out, s_int (rg, r, "conversations"));
        fputs ("</td></tr>\n", out);
    }
    fputs ("</tbody></table></div>\n</section>\n", out);
}

int
report_write_html (PGconn *conn, FILE *out)
{
    int rc = -1;
    resultset_t *p = NULL, *w = NULL, *sum = NULL, *mps = NULL, *topics = NULL, *rg = NULL,
                *now = NULL;
    p = query_db_resultset (
      conn,
      "SELECT p.conversations, p.target, p.constituencies_reached, p.mps_engaged,"
      "       (SELECT count(*) FROM parley.constituency_summary) AS constituencies, t.deadline,"
      "       (SELECT w.projected_at_deadline FROM parley.weekly_progress w"
      "         ORDER BY w.week_start DESC LIMIT 1) AS projected_at_deadline"
      "  FROM parley.progress p CROSS JOIN parley.campaign_target t",
      0,
      NULL);
    if (!p || resultset_rows (p) != 1)
        goto out;
    w = query_db_resultset (
      conn, "SELECT * FROM parley.weekly_progress ORDER BY week_start", 0, NULL);
    if (!w)
        goto out;
    sum = query_db_resultset (
      conn, "SELECT * FROM parley.constituency_summary ORDER BY constituency_code", 0, NULL);
    if (!sum)
        goto out;
    mps = query_db_resultset (conn,
                              "SELECT constituency_code, mp_name, party FROM parley.sitting_mps"
                              " ORDER BY constituency_code",
                              0,
                              NULL);
    if (!mps)
        goto out;
    topics = query_db_resultset (
      conn,
      "SELECT topic, sum(conversations)::bigint AS conversations FROM parley.constituency_topics"
      " WHERE conversations > 0 GROUP BY topic ORDER BY 2 DESC, topic LIMIT 12",
      0,
      NULL);
    if (!topics)
        goto out;
    rg = query_db_resultset (
      conn, "SELECT * FROM parley.region_summary ORDER BY country, region", 0, NULL);
    if (!rg)
        goto out;
    now = query_db_resultset (
      conn, "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS at", 0, NULL);
    if (!now)
        goto out;

    s_head (out);
    fputs ("<h1>Parley: campaign report</h1>\n<p class=\"sub\">Conversations between housing "
           "associations and "
           "politicians, counted by constituency. Generated ",
           out);
    s_esc (out, s_val (now, 0, "at"));
    fputs (" UTC.</p>\n", out);
    s_progress (out, p);
    s_weekly (out, w, p);
    s_map (out, sum, mps);
    fputs ("<div class=\"grid\">\n", out);
    s_stances (out, sum);
    s_topics (out, topics);
    fputs ("</div>\n", out);
    s_regions (out, rg);
    fputs (
      "<p class=\"note\">Constituency names and codes: ONS (Open Government Licence v3.0). Sitting "
      "MPs: "
      "UK Parliament (Open Parliament Licence). Hex layout: Open Innovations (CC BY 4.0).</p>\n"
      "</main>\n</body>\n</html>\n",
      out);
    rc = 0;
out:
    if (p && resultset_rows (p) != 1 && rc != 0)
        query_error ("the progress view has no row");
    resultset_destroy (&p);
    resultset_destroy (&w);
    resultset_destroy (&sum);
    resultset_destroy (&mps);
    resultset_destroy (&topics);
    resultset_destroy (&rg);
    resultset_destroy (&now);
    return rc;
}
