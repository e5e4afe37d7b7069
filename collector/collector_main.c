/* parley-collector: options, logging, signals, collector_run, exit status. */
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "collector_options.h"
#include "daemon_signals.h"
#include "curve_cert.h"
#include "log.h"
#include "mem.h"
#include "retention.h"
#include "subcommand.h"
#include "service_notify.h"
#include "verify.h"

/* SIGHUP also re-reads the authorised keys, at the loop's next turn
   (collector_watch_reload). */
static volatile sig_atomic_t s_keys_reload = 0;

static void
s_reload_keys (void *ctx)
{
    (void)ctx;
    s_keys_reload = 1;
}

/* The stop budget: SIGTERM must end the process within 5 s. A clean stop takes well under
   a second; if something blocks longer (a database that stopped answering mid-query, with
   the connection still open), the process leaves at 4 s without acknowledging what it
   holds. That is safe by design: nothing unacknowledged is lost (the agents resend it) and
   a transaction cut short is rolled back, or, if it committed, its resend is a duplicate. */
#define S_STOP_BUDGET_S 4

/* What SIGHUP re-reads: the command line as first given, and the options in force. */
typedef struct {
    int argc;
    char **argv; /* a copy of the array (getopt_long reorders the one it parses) */
    collector_options_t *opts;
} s_reload_t;

/* SIGHUP: the config file and the command line parsed again; the log level changes, the
   rest is logged as needing a restart. A file that no longer parses changes nothing. */
static void
s_reload (void *ctx)
{
    s_reload_t *r = ctx;
    char *text = NULL;
    size_t len = 0;
    FILE *msgs = open_memstream (&text, &len);
    if (!msgs) {
        log_error ("main", "configuration not reloaded", "reason=\"out of memory\"");
        return;
    }
    collector_options_t fresh;
    options_result_t parsed = collector_options_parse (&fresh, r->argc, r->argv, msgs, msgs);
    fclose (msgs);
    if (parsed != OPTIONS_RUN) {
        size_t n = strlen (text);
        while (n > 0 && text[n - 1] == '\n')
            text[--n] = '\0';
        log_error (
          "main", "configuration not reloaded, keeping the old one", "reason=\"%s\"", text);
    } else {
        int reloaded = daemon_signals_apply_options (&collector_options_spec, r->opts, &fresh);
        (void)reloaded; /* logged by daemon_signals_apply_options */
        log_threshold = (log_level_t)r->opts->log_level;
    }
    free (text);
}

/* Receives and stores until SIGTERM or SIGINT; the exit status. */
static int
s_serve (const collector_options_t *opts)
{
    collector_t *collector = collector_new (opts);
    if (!collector)
        return 1;
    collector_watch_reload (collector, &s_keys_reload);
    int rc = collector_run (collector, daemon_signals_stop_flag ());
    daemon_signals_clear_reload ();
    service_notify_stopping ();
    collector_destroy (&collector);
    zsys_shutdown ();
    return rc;
}

/* parley-collector migrate [--dry-run]: the schema brought up to date by its owner. */
static int
s_migrate (int argc, char **argv)
{
    collector_migrate_options_t opts;
    options_result_t parsed = collector_migrate_options_parse (&opts, argc, argv, stdout, stderr);
    if (parsed != OPTIONS_RUN)
        return options_exit_code (parsed);
    log_threshold = (log_level_t)opts.log_level;
    int rc = collector_migrate (opts.db, opts.dry_run);
    collector_migrate_options_fini (&opts);
    return rc;
}

/* `parley-collector NAME …`: the commands beside the daemon (common/subcommand.h). */
static int
s_keygen (int argc, char **argv)
{
    return curve_cert_keygen_main ("parley-collector", false, argc, argv);
}

static const subcommand_t s_subcommands[] = {
    { "migrate",
      s_migrate,
      "bring the database schema up to date as its owner (--dry-run: list what is pending)" },
    { "keygen", s_keygen, "write a CurveZMQ certificate pair: keygen BASE" },
    { "verify", verify_main, "recompute every aggregate and report each difference" },
    { "rebuild", verify_rebuild_main, "recompute state and aggregates from the events" },
    { "retention", retention_main, "blank the notes of old conversations now (--days N)" },
    { NULL, NULL, NULL },
};

int
main (int argc, char **argv)
{
    log_set_program ("parley-collector");
    const subcommand_t *command = subcommand_find (s_subcommands, argc, argv);
    if (command)
        return command->run (argc - 1, argv + 1);
    char **argv_copy = xcalloc ((size_t)argc + 1, sizeof (char *));
    memcpy (argv_copy, argv, (size_t)argc * sizeof (char *));
    collector_options_t opts;
    options_result_t parsed = collector_options_parse (&opts, argc, argv, stdout, stderr);
    if (parsed != OPTIONS_RUN) {
        if (parsed == OPTIONS_DONE && subcommand_help_asked (argc, argv_copy))
            subcommand_print_help (s_subcommands, stdout);
        free (argv_copy);
        return options_exit_code (parsed);
    }
    log_threshold = (log_level_t)opts.log_level;
    /* czmq would install its own SIGINT/SIGTERM handlers on first use and write its log to
       stdout: take both back before any socket exists. */
    zsys_handler_set (NULL);
    zsys_set_logstream (stderr);
    s_reload_t reload = { .argc = argc, .argv = argv_copy, .opts = &opts };
    if (daemon_signals_install ("parley-collector", S_STOP_BUDGET_S) != 0 ||
        daemon_signals_on_reload (s_reload, &reload) != 0 ||
        daemon_signals_on_reload (s_reload_keys, NULL) != 0) {
        fprintf (stderr, "parley-collector: could not install the signal handlers\n");
        collector_options_fini (&opts);
        free (argv_copy);
        return 1;
    }

    int rc = opts.migrate_only ? collector_migrate_only (&opts) : s_serve (&opts);
    collector_options_fini (&opts);
    free (argv_copy);
    return rc;
}
