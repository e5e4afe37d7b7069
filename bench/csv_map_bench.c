/* CSV mapping rate, and a small front end to csv_check until `parley-agent --check` exists.

     csv_map_bench [ROWS [MAPPING]]          generate a Google-Forms-style export of ROWS
                                             rows (default 100000) in /tmp, map it with
                                             MAPPING (default examples/forms/
                                             google-engagement-log.ini), print rows/s
     csv_map_bench --check MAPPING CSV...    print the check report of each CSV file
                                             (exit 1 when a row is rejected)
     csv_map_bench --events MAPPING CSV      print the events, one JSON line each, and the
                                             refused rows on stderr

   The rate covers everything the agent does with a row before the spool: reading the file,
   RFC 4180 parsing, translating labels and UK local times, the v1 event checks and the
   UUIDv5 id. Build: see bench/README.md. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "csv_check.h"
#include "csv_feed.h"
#include "csv_mapping.h"
#include "event.h"

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
s_check (int argc, char **argv)
{
    char err[512];
    csv_mapping_t *m = csv_mapping_load (argv[2], err, sizeof err);
    if (!m) {
        fprintf (stderr, "%s\n", err);
        return 2;
    }
    int status = 0;
    for (int i = 3; i < argc; i++) {
        csv_check_report_t report;
        if (csv_check_file (argv[i], m, event_now_us (), &report) != 0 || report.rejected > 0)
            status = 1;
        csv_check_print (&report, argv[i], stdout);
        csv_check_report_fini (&report);
    }
    csv_mapping_destroy (&m);
    return status;
}

static int
s_events (const char *mapping, const char *path)
{
    char err[512];
    csv_mapping_t *m = csv_mapping_load (mapping, err, sizeof err);
    csv_feed_t *feed = m ? csv_feed_open (path, m, err, sizeof err) : NULL;
    if (!feed) {
        fprintf (stderr, "%s\n", err);
        csv_mapping_destroy (&m);
        return 2;
    }
    int status = 0;
    for (bool done = false; !done;) {
        csv_feed_item_t item;
        switch (csv_feed_next (feed, event_now_us (), &item)) {
            case CSV_FEED_EVENT:
                printf ("%.*s\n", (int)item.event.len, item.event.line);
                break;
            case CSV_FEED_REJECT:
                fprintf (stderr,
                         "%s line %" PRIu64 ": %s%s%s%s\n",
                         path,
                         item.line,
                         item.why.field[0] ? "column \"" : "",
                         item.why.field,
                         item.why.field[0] ? "\": " : "",
                         item.why.reason);
                status = 1;
                break;
            case CSV_FEED_ERROR:
                fprintf (stderr, "%s\n", csv_feed_error (feed));
                status = 1;
                done = true;
                break;
            default:
                done = true;
        }
    }
    csv_feed_destroy (&feed);
    csv_mapping_destroy (&m);
    return status;
}

int
main (int argc, char **argv)
{
    if (argc >= 4 && strcmp (argv[1], "--check") == 0)
        return s_check (argc, argv);
    if (argc == 4 && strcmp (argv[1], "--events") == 0)
        return s_events (argv[2], argv[3]);
    long rows = argc > 1 ? atol (argv[1]) : 100000;
    const char *mapping = argc > 2 ? argv[2] : "examples/forms/google-engagement-log.ini";
    char err[512];
    csv_mapping_t *m = csv_mapping_load (mapping, err, sizeof err);
    if (!m) {
        fprintf (stderr, "%s\n", err);
        return 2;
    }
    static const char *people[] = { "Rt Hon Alison Reed MP",
                                    "Cllr Peter Okafor",
                                    "Fiona McLeod",
                                    "Lord Ashby of Tynemouth",
                                    "Chloé Lefèvre MP" };
    static const char *roles[] = {
        "MP", "Local councillor", "Local councillor", "Peer / Lord", "MP"
    };
    static const char *places[] = { "Newcastle upon Tyne Central & West",
                                    "Newcastle upon Tyne East and Wallsend",
                                    "North Durham",
                                    "Tynemouth",
                                    "City of Durham" };
    static const char *stances[] = {
        "Very receptive", "Receptive", "Neutral", "Sceptical", "Hostile"
    };
    static const char *topics[] = { "\"Damp, mould and condensation, Retrofit\"",
                                    "New homes",
                                    "\"Planning, Repairs, Homelessness\"",
                                    "",
                                    "Retrofit" };
    char path[] = "/tmp/csv_map_bench_XXXXXX";
    int fd = mkstemp (path);
    FILE *f = fd >= 0 ? fdopen (fd, "w") : NULL;
    if (!f) {
        perror ("mkstemp");
        return 1;
    }
    fputs ("Timestamp,Email address,Date of meeting,Who did you meet?,Their role,Party,"
           "Constituency,Meeting type,How receptive were they?,Topics discussed,Follow-up "
           "needed?,Notes\n",
           f);
    for (long i = 0; i < rows; i++) {
        int day = (int)(i % 28) + 1, month = (int)(i / 28 % 12) + 1, k = (int)(i % 5);
        fprintf (f,
                 "%02d/%02d/2026 %02ld:%02ld:%02ld,officer%d@northernhomes.example,%02d/%02d/2026,"
                 "%s %ld,%s,Labour,%s,In person,%s,%s,%s,\"Note %ld, with a comma\"\n",
                 day,
                 month,
                 i % 24,
                 i / 24 % 60,
                 i / 1440 % 60,
                 k,
                 day,
                 month,
                 people[k],
                 i,
                 roles[k],
                 places[k],
                 stances[k],
                 topics[k],
                 i % 2 ? "Yes" : "No",
                 i);
    }
    fclose (f);
    /* Generated dates run to 28/12/2026: check against a clock after them. */
    int64_t now = event_now_us ();
    const int64_t end2026 = INT64_C (1798761600) * 1000000;
    if (now < end2026)
        now = end2026;
    double best = 0;
    csv_check_report_t report;
    for (int run = 0; run < 3; run++) {
        double t0 = s_now ();
        if (csv_check_file (path, m, now, &report) != 0) {
            fprintf (stderr, "%s\n", report.error);
            return 1;
        }
        double rate = (double)report.rows / (s_now () - t0);
        if (rate > best)
            best = rate;
        if (run < 2)
            csv_check_report_fini (&report);
    }
    printf ("%" PRIu64 " rows, %" PRIu64 " accepted, %" PRIu64 " rejected: best of 3 runs %.0f "
            "rows/s\n",
            report.rows,
            report.accepted,
            report.rejected,
            best);
    if (report.rejected)
        csv_check_print (&report, path, stdout);
    csv_check_report_fini (&report);
    unlink (path);
    csv_mapping_destroy (&m);
    return 0;
}
