/* parley-collector: options, logging, signals, collector_run, exit status. */
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "collector_options.h"
#include "log.h"
#include "subcommand.h"
#include "service_notify.h"
#include "verify.h"

static volatile sig_atomic_t s_stop = 0;

/* The stop budget: SIGTERM must end the process within 5 s. A clean stop takes well under
   a second; if something blocks longer (a database that stopped answering mid-query, with
   the connection still open), the process leaves at 4 s without acknowledging what it
   holds. That is safe by design: nothing unacknowledged is lost (the agents resend it) and
   a transaction cut short is rolled back, or, if it committed, its resend is a duplicate. */
#define S_STOP_BUDGET_S 4

static void
s_on_alarm (int signum)
{
    (void)signum;
    static const char line[] =
      "level=warn prog=parley-collector comp=main"
      " msg=\"stop budget exhausted, leaving without acknowledging what is held\"\n";
    ssize_t n = write (STDERR_FILENO, line, sizeof line - 1);
    (void)n;
    _exit (0);
}

static void
s_on_signal (int signum)
{
    (void)signum;
    if (!s_stop)
        alarm (S_STOP_BUDGET_S);
    s_stop = 1;
}

/* Receives and stores until SIGTERM or SIGINT; the exit status. */
static int
s_serve (const collector_options_t *opts)
{
    collector_t *collector = collector_new (opts);
    if (!collector)
        return 1;
    int rc = collector_run (collector, &s_stop);
    service_notify_stopping ();
    collector_destroy (&collector);
    zsys_shutdown ();
    return rc;
}

/* `parley-collector NAME …`: the commands beside the daemon (common/subcommand.h). */
static const subcommand_t s_subcommands[] = {
    { "verify", verify_main, "recompute every aggregate and report each difference" },
    { "rebuild", verify_rebuild_main, "recompute state and aggregates from the events" },
    { NULL, NULL, NULL },
};

int
main (int argc, char **argv)
{
    log_set_program ("parley-collector");
    const subcommand_t *command = subcommand_find (s_subcommands, argc, argv);
    if (command)
        return command->run (argc - 1, argv + 1);
    collector_options_t opts;
    options_result_t parsed = collector_options_parse (&opts, argc, argv, stdout, stderr);
    if (parsed != OPTIONS_RUN)
        return options_exit_code (parsed);
    log_threshold = (log_level_t)opts.log_level;
    /* czmq would install its own SIGINT/SIGTERM handlers on first use and write its log to
       stdout: take both back before any socket exists. */
    zsys_handler_set (NULL);
    zsys_set_logstream (stderr);
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset (&sa.sa_mask);
    /* No SA_RESTART: a signal must interrupt the poll the loop is waiting in. */
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    sa.sa_handler = s_on_alarm;
    sigaction (SIGALRM, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);

    int rc = opts.migrate_only ? collector_migrate_only (&opts) : s_serve (&opts);
    collector_options_fini (&opts);
    return rc;
}
