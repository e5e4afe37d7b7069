#include "retention.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "mem.h"
#include "options.h"
#include "schema.h"

struct retention {
    int days;
    int64_t due_at; /* monotonic ms; 0: at the first step */
    bool running;
    uint64_t blanked, batches; /* of the run under way */
    int64_t started_ms, longest_ms;
};

static int64_t
s_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

retention_t *
retention_new (int days)
{
    retention_t *self = xcalloc (1, sizeof *self);
    self->days = days;
    return self;
}

void
retention_destroy (retention_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

int64_t
retention_blank_batch (PGconn *conn, int days, int limit, char *err, size_t errlen)
{
    char d[16], l[16];
    snprintf (d, sizeof d, "%d", days);
    snprintf (l, sizeof l, "%d", limit);
    const char *params[] = { d, l };
    db_status_t st;
    PGresult *res = db_query (conn,
                              "SELECT parley.retention_blank_notes ($1::integer, $2::integer)",
                              2,
                              params,
                              &st,
                              err,
                              errlen);
    if (!res)
        return -1;
    int64_t n = PQntuples (res) == 1 ? strtoll (PQgetvalue (res, 0, 0), NULL, 10) : 0;
    PQclear (res);
    return n;
}

retention_status_t
retention_step (retention_t *self, PGconn *conn, int64_t now_ms)
{
    if (!conn || (self->due_at && now_ms < self->due_at))
        return RETENTION_IDLE;
    if (!self->running) {
        self->running = true;
        self->blanked = self->batches = 0;
        self->longest_ms = 0;
        self->started_ms = s_mono_ms ();
    }
    char err[512];
    int64_t t0 = s_mono_ms ();
    int64_t n = retention_blank_batch (conn, self->days, RETENTION_BATCH, err, sizeof err);
    int64_t took = s_mono_ms () - t0;
    if (n < 0) {
        log_warn ("retention",
                  "could not blank old notes, trying again later",
                  "days=%d retry_ms=%" PRId64 " error=\"%s\"",
                  self->days,
                  RETENTION_RETRY_MS,
                  err);
        self->running = false;
        self->due_at = now_ms + RETENTION_RETRY_MS;
        return RETENTION_FAILED;
    }
    self->batches++;
    self->blanked += (uint64_t)n;
    if (took > self->longest_ms)
        self->longest_ms = took;
    if (n > 0)
        return RETENTION_BATCH_DONE;
    log_info ("retention",
              "old notes blanked",
              "days=%d events=%" PRIu64 " batches=%" PRIu64 " longest_batch_ms=%" PRId64
              " run_ms=%" PRId64,
              self->days,
              self->blanked,
              self->batches,
              self->longest_ms,
              s_mono_ms () - self->started_ms);
    self->running = false;
    self->due_at = now_ms + RETENTION_PERIOD_MS;
    return RETENTION_RUN_DONE;
}

/* ---- parley-collector retention -------------------------------------------------- */

typedef struct {
    const char *db;
    int days;
    int log_level;
} s_cli_t;

#define S_AT(member) OPTIONS_AT (s_cli_t, member)

/* clang-format off */
static const options_def_t s_defs[] = {
    { .name = "db", .short_name = 'd', .arg = "CONNINFO", .type = OPTIONS_STRING, S_AT (db),
      .flags = OPTIONS_EMPTY_OK,
      .help = "libpq connection string or URI; without it, the libpq environment (PGHOST, "
              "PGDATABASE ...)" },
    { .name = "days", .arg = "N", .type = OPTIONS_INT, S_AT (days), .min = 0, .max = 36500,
      .def = "0",
      .help = "blank the notes of conversations that took place more than N days ago "
              "(the daemon's --notes-retention-days)" },
    OPTIONS_LOG_LEVEL_ROW (s_cli_t, log_level),
};
/* clang-format on */

static const options_spec_t s_spec = {
    .program = "parley-collector retention",
    OPTIONS_TABLE (s_defs),
    .size = sizeof (s_cli_t),
    .usage = "parley-collector retention --days N [--db CONNINFO]",
    .about = "Blanks, now, the notes of conversations that took place more than N days ago "
             "(in parley.event:\nthe notes column and the raw line), keeping every count. "
             "The daemon does the same\nonce a day with --notes-retention-days N.",
    .epilog = "Prints how many events were blanked. Exit status: 0 success, 1 database "
              "failure, 2 bad usage.\nSee docs/SECURITY.md, \"Personal data\".",
};

int
retention_main (int argc, char **argv)
{
    s_cli_t cli;
    options_result_t parsed = options_parse (&s_spec, &cli, argc, argv, stdout, stderr, NULL);
    if (parsed == OPTIONS_RUN && cli.days < 1) {
        options_fini (&s_spec, &cli);
        parsed = options_error (&s_spec, stderr, "--days N (1 or more) is required");
    }
    if (parsed != OPTIONS_RUN)
        return options_exit_code (parsed);
    log_threshold = (log_level_t)cli.log_level;
    int rc = 1;
    PGconn *conn = PQconnectdb (cli.db ? cli.db : "");
    if (PQstatus (conn) != CONNECTION_OK) {
        char err[512];
        snprintf (err, sizeof err, "%s", PQerrorMessage (conn));
        db_flatten (err);
        log_error ("retention", "could not connect to the database", "error=\"%s\"", err);
        goto done;
    }
    /* As a daemon's start: the owner migrates, a writer only checks (schema.h). */
    if (schema_migrate (conn, SCHEMA_START) != 0)
        goto done; /* logged */
    uint64_t blanked = 0, batches = 0;
    int64_t longest = 0;
    for (;;) {
        char err[512];
        int64_t t0 = s_mono_ms ();
        int64_t n = retention_blank_batch (conn, cli.days, RETENTION_BATCH, err, sizeof err);
        int64_t took = s_mono_ms () - t0;
        if (n < 0) {
            log_error ("retention", "could not blank old notes", "error=\"%s\"", err);
            goto done;
        }
        batches++;
        longest = took > longest ? took : longest;
        if (n == 0)
            break;
        blanked += (uint64_t)n;
    }
    log_info ("retention",
              "old notes blanked",
              "days=%d events=%" PRIu64 " batches=%" PRIu64 " longest_batch_ms=%" PRId64,
              cli.days,
              blanked,
              batches,
              longest);
    printf ("parley-collector retention: blanked the notes of %" PRIu64
            " events of conversations more than %d days old\n",
            blanked,
            cli.days);
    rc = 0;
done:
    PQfinish (conn);
    options_fini (&s_spec, &cli);
    return rc;
}
