/* Offline check of a CSV feed (see csv_check.h). */
#include "csv_check.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "csv_feed.h"
#include "mem.h"

/* The reason with every quoted value ("…") and number replaced, so that one mistake made
   on many rows ("Quite keen", "Keen") is one kind. */
static bool
s_number_here (const char *reason, const char *p)
{
    static const char *before[] = { "line ", "field ", "has ", "is ", ": ", "(" };
    for (size_t i = 0; i < sizeof before / sizeof before[0]; i++) {
        size_t n = strlen (before[i]);
        if ((size_t)(p - reason) >= n && memcmp (p - n, before[i], n) == 0)
            return true;
    }
    return false;
}

/* The reason with every quoted value and the numbers and dates that vary from row to row
   replaced by '…' and '#', so that one mistake made on many rows ("Quite keen", "Keen") is
   one kind. */
static void
s_kind (const char *reason, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = reason; *p && n + 6 < size;) {
        if (*p == '"') {
            const char *q = strchr (p + 1, '"');
            if (q) {
                memcpy (out + n, "\"…\"", 5);
                n += 5;
                p = q + 1;
                continue;
            }
        }
        if (*p >= '0' && *p <= '9' && s_number_here (reason, p)) {
            out[n++] = '#';
            while ((*p >= '0' && *p <= '9') ||
                   (strchr ("-:.TZ", *p) && p[1] >= '0' && p[1] <= '9') ||
                   (*p == 'Z' && p > reason && p[-1] >= '0' && p[-1] <= '9'))
                p++;
            continue;
        }
        out[n++] = *p++;
    }
    out[n] = '\0';
}

void
csv_check_add_reject (csv_check_report_t *report, uint64_t line, const reject_t *why)
{
    char kind[REJECT_REASON_MAX];
    s_kind (why->reason, kind, sizeof kind);
    csv_check_reason_t *r = NULL;
    for (size_t i = 0; i < report->nreasons && !r; i++)
        if (strcmp (report->reasons[i].field, why->field) == 0 &&
            strcmp (report->reasons[i].kind, kind) == 0)
            r = &report->reasons[i];
    if (!r) {
        report->reasons =
          xrealloc (report->reasons, (report->nreasons + 1) * sizeof *report->reasons);
        r = &report->reasons[report->nreasons++];
        memset (r, 0, sizeof *r);
        snprintf (r->field, sizeof r->field, "%s", why->field);
        snprintf (r->kind, sizeof r->kind, "%s", kind);
    }
    r->count++;
    if (r->nexamples < CSV_CHECK_EXAMPLES) {
        r->examples[r->nexamples].line = line;
        snprintf (r->examples[r->nexamples].reason,
                  sizeof r->examples[r->nexamples].reason,
                  "%s",
                  why->reason);
        r->nexamples++;
    }
}

int
csv_check_file (const char *path,
                const csv_mapping_t *mapping,
                int64_t now_us,
                csv_check_report_t *report)
{
    memset (report, 0, sizeof *report);
    csv_feed_t *feed = csv_feed_open (path, mapping, report->error, sizeof report->error);
    if (!feed)
        return -1;
    int rc = 0;
    for (bool done = false; !done;) {
        csv_feed_item_t item;
        switch (csv_feed_next (feed, now_us, &item)) {
            case CSV_FEED_EVENT:
                report->rows++;
                report->accepted++;
                report->amended += item.event.amended;
                break;
            case CSV_FEED_REJECT:
                report->rows++;
                report->rejected++;
                csv_check_add_reject (report, item.line, &item.why);
                break;
            case CSV_FEED_ERROR:
                snprintf (report->error, sizeof report->error, "%s", csv_feed_error (feed));
                rc = -1;
                done = true;
                break;
            case CSV_FEED_AGAIN: /* a long stretch without a row: read on */
                break;
            case CSV_FEED_EOF:
            case CSV_FEED_WAIT: /* not following: only a stream with nothing yet */
                done = true;
                break;
        }
    }
    csv_feed_destroy (&feed);
    return rc;
}

void
csv_check_print (const csv_check_report_t *report, const char *source, FILE *out)
{
    if (report->error[0]) {
        fprintf (out, "%s: not checked: %s\n", source, report->error);
        return;
    }
    fprintf (out,
             "%s: %" PRIu64 " %s read, %" PRIu64 " would be accepted (%" PRIu64
             " %s), %" PRIu64 " rejected",
             source,
             report->rows,
             report->lines ? "lines" : "rows",
             report->accepted,
             report->amended,
             report->amended == 1 ? "amendment" : "amendments",
             report->rejected);
    if (report->blank > 0)
        fprintf (out,
                 ", %" PRIu64 " blank %s skipped",
                 report->blank,
                 report->blank == 1 ? "line" : "lines");
    fputc ('\n', out);
    for (size_t i = 0; i < report->nreasons; i++) {
        const csv_check_reason_t *r = &report->reasons[i];
        if (r->field[0])
            fprintf (out,
                     "  %" PRIu64 " × %s \"%s\": %s\n",
                     r->count,
                     report->lines ? "field" : "column",
                     r->field,
                     r->kind);
        else
            fprintf (out, "  %" PRIu64 " × %s\n", r->count, r->kind);
        for (size_t j = 0; j < r->nexamples; j++)
            fprintf (
              out, "      line %" PRIu64 ": %s\n", r->examples[j].line, r->examples[j].reason);
    }
}

void
csv_check_report_fini (csv_check_report_t *report)
{
    free (report->reasons);
    report->reasons = NULL;
    report->nreasons = 0;
}
