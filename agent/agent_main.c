/* parley-agent: options, logging, signals, the mapping, then the agent's loop (agent.c)
   or the offline check (agent_check.c), and the exit status. */
#include <czmq.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "agent_check.h"
#include "agent_metrics.h"
#include "agent_status.h"
#include "agent_options.h"
#include "csv_mapping.h"
#include "log.h"
#include "subcommand.h"
#include "webhook.h"
#include "relay.h"
#include "service_notify.h"

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int signum)
{
    (void)signum;
    s_stop = 1;
}

/* SIGTERM and SIGINT end the loop at its next turn; without SA_RESTART they also cut
   short the poll it is waiting in. SIGPIPE is ignored: a closed pipe shows as EPIPE. */
static void
s_install_signals (void)
{
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigemptyset (&sa.sa_mask);
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
}

/* `parley-agent NAME …`: the commands beside the daemon (common/subcommand.h). */
static const subcommand_t s_subcommands[] = {
    { "status", agent_status_run, "the spool's backlog, read from its files (--spool DIR)" },
    { NULL, NULL, NULL },
};

int
main (int argc, char **argv)
{
    log_set_program ("parley-agent");
    const subcommand_t *command = subcommand_find (s_subcommands, argc, argv);
    if (command)
        return command->run (argc - 1, argv + 1);
    /* Before any socket exists: czmq must not take over SIGINT/SIGTERM, nor write on
       stdout, which carries the --once summary. */
    zsys_handler_set (NULL);
    zsys_set_logstream (stderr);

    agent_options_t opts;
    options_result_t parsed = agent_options_parse (&opts, argc, argv, stdout, stderr);
    if (parsed != OPTIONS_RUN)
        return options_exit_code (parsed);
    log_threshold = (log_level_t)opts.log_level;

    /* A mapping that does not load is a usage error: nothing would map. */
    csv_mapping_t *mapping = NULL;
    char err[1024];
    if (opts.mapping) {
        mapping = csv_mapping_load (opts.mapping, err, sizeof err);
        if (!mapping) {
            fprintf (stderr, "parley-agent: %s\n", err);
            agent_options_fini (&opts);
            return 2;
        }
    }
    if (opts.check) {
        int status = agent_check_run (&opts, mapping, stdout);
        csv_mapping_destroy (&mapping);
        agent_options_fini (&opts);
        return status;
    }
    s_install_signals ();

    agent_t *agent = agent_new (&opts, mapping, err, sizeof err);
    if (!agent) {
        fprintf (stderr, "parley-agent: %s\n", err);
        csv_mapping_destroy (&mapping);
        agent_options_fini (&opts);
        return 1;
    }
    webhook_t *webhook = NULL;
    if (opts.http_bind && !(webhook = webhook_new (&opts, agent, err, sizeof err))) {
        fprintf (stderr, "parley-agent: %s\n", err);
        agent_destroy (&agent);
        csv_mapping_destroy (&mapping);
        agent_options_fini (&opts);
        return 1;
    }
    agent_metrics_t *metrics = agent_metrics_new (&opts, agent, err, sizeof err);
    if (!metrics) {
        fprintf (stderr, "parley-agent: %s\n", err);
        webhook_destroy (&webhook);
        agent_destroy (&agent);
        csv_mapping_destroy (&mapping);
        agent_options_fini (&opts);
        return 1;
    }
    /* A regional hub: the relay joins the agent's loop and feeds its intake. */
    relay_t *relay = NULL;
    if (opts.relay_bind.count > 0) {
        relay = relay_new (opts.relay_bind.items, opts.relay_bind.count, agent_intake (agent));
        agent_producer_t producer = relay ? relay_producer (relay) : (agent_producer_t){ 0 };
        if (!relay || agent_add_producer (agent, &producer) != 0) {
            fprintf (stderr, "parley-agent: could not start the relay (see the log above)\n");
            relay_destroy (&relay);
            agent_metrics_destroy (&metrics);
            agent_destroy (&agent);
            agent_options_fini (&opts);
            return 1;
        }
    }
    int rc = agent_run (agent, &s_stop);
    agent_metrics_destroy (&metrics); /* before the agent it reads */
    service_notify_stopping ();
    bool timed_out = false;
    int status = rc == 0 ? 0 : 1;
    if (opts.once) {
        agent_print_summary (agent, stdout);
        /* A --once run that did not finish must not look like one that did: a nightly
           job has to be able to fail. */
        if (agent_stopped_early (agent, &timed_out)) {
            uint64_t pending = agent_unacknowledged (agent);
            char when[64];
            if (timed_out)
                snprintf (when, sizeof when, "timed out after %d s", opts.timeout_s);
            else
                snprintf (when, sizeof when, "stopped before the end");
            fprintf (stderr,
                     "parley-agent: %s: %" PRIu64 " events still unacknowledged%s\n",
                     when,
                     pending,
                     agent_inputs_read (agent) ? "" : ", inputs not read to their end");
            status = 1;
        }
    }
    agent_destroy (&agent);
    csv_mapping_destroy (&mapping);
    webhook_destroy (&webhook); /* answers given at the agent's finish get written here */
    agent_options_fini (&opts);
    relay_destroy (&relay); /* after the agent, as agent.h asks of producers */
    zsys_shutdown ();
    return status;
}
