/* parley-agent --check (see agent_check.h). */
#include "agent_check.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>

#include "event.h"
#include "feed.h"

int
agent_check_jsonl (const char *path, int64_t now_us, csv_check_report_t *report)
{
    memset (report, 0, sizeof *report);
    report->lines = true;
    feed_t *feed = feed_open (path, report->error, sizeof report->error);
    if (!feed)
        return -1;
    int rc = 0;
    for (bool done = false; !done;) {
        feed_line_t line;
        switch (feed_next (feed, &line)) {
            case FEED_LINE: {
                reject_t why;
                if (line.too_long) {
                    report->rows++;
                    report->rejected++;
                    reject_set (&why,
                                "",
                                "line is %" PRIu64 " bytes long (at most %d)",
                                line.total_len,
                                FEED_LINE_MAX);
                    csv_check_add_reject (report, line.number, &why);
                    break;
                }
                size_t i = 0;
                while (i < line.len && strchr (" \t\r", line.data[i]))
                    i++;
                if (i == line.len) {
                    report->blank++;
                    break;
                }
                report->rows++;
                event_t ev;
                if (event_parse (&ev, line.data, line.len, now_us, &why) == 0) {
                    report->accepted++;
                    report->amended += ev.type == EVENT_AMENDED;
                } else {
                    report->rejected++;
                    csv_check_add_reject (report, line.number, &why);
                }
                event_fini (&ev);
                break;
            }
            case FEED_AGAIN: /* a long stretch without a newline: read on */
                break;
            case FEED_WAIT: {
                /* A pipe with nothing yet: this is an offline check, so wait for it. */
                struct pollfd pfd = { .fd = feed_fd (feed), .events = POLLIN };
                (void)poll (&pfd, 1, -1);
                break;
            }
            case FEED_EOF:
                done = true;
                break;
            case FEED_ERROR:
            default:
                snprintf (report->error,
                          sizeof report->error,
                          "could not read input \"%s\": %s",
                          path,
                          strerror (errno));
                rc = -1;
                done = true;
                break;
        }
    }
    feed_destroy (&feed);
    return rc;
}

int
agent_check_run (const agent_options_t *opts, const csv_mapping_t *mapping, FILE *out)
{
    int status = 0;
    int64_t now_us = event_now_us ();
    for (int i = 0; i < opts->ninputs; i++) {
        const char *path = opts->inputs[i];
        csv_check_report_t report;
        int rc = agent_options_is_csv (path) ? csv_check_file (path, mapping, now_us, &report)
                                             : agent_check_jsonl (path, now_us, &report);
        csv_check_print (&report, path, out);
        if (rc != 0 || report.rejected > 0)
            status = 1;
        csv_check_report_fini (&report);
    }
    fflush (out);
    return status;
}
