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
#include "daemon_signals.h"
#include "curve_cert.h"
#include "log.h"
#include "mem.h"
#include "subcommand.h"
#include "webhook.h"
#include "relay.h"
#include "service_notify.h"

/* What SIGHUP re-reads: the command line as first given, and the options in force. */
typedef struct {
    int argc;
    char **argv; /* a copy of the array (getopt_long reorders the one it parses) */
    agent_options_t *opts;
} s_reload_t;

/* SIGHUP also makes a hub re-read its --relay-authorized-keys: the relay reads this flag at
   its next turn (relay_watch_reload). */
static volatile sig_atomic_t s_keys_reload = 0;

static void
s_reload_keys (void *ctx)
{
    (void)ctx;
    s_keys_reload = 1;
}

/* SIGHUP: the config file and the command line parsed again; what may change without a
   restart (the log level) changes, the rest is logged as needing one. A file that no longer
   parses changes nothing. */
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
    agent_options_t fresh;
    options_result_t parsed = agent_options_parse (&fresh, r->argc, r->argv, msgs, msgs);
    fclose (msgs);
    if (parsed != OPTIONS_RUN) {
        size_t n = strlen (text);
        while (n > 0 && text[n - 1] == '\n')
            text[--n] = '\0';
        log_error (
          "main", "configuration not reloaded, keeping the old one", "reason=\"%s\"", text);
    } else {
        free (fresh.inputs); /* the inputs need a restart: only compared */
        fresh.inputs = NULL;
        int reloaded = daemon_signals_apply_options (&agent_options_spec, r->opts, &fresh);
        (void)reloaded; /* logged by daemon_signals_apply_options */
        log_threshold = (log_level_t)r->opts->log_level;
    }
    free (text);
}

/* `parley-agent NAME …`: the commands beside the daemon (common/subcommand.h). */
static int
s_keygen (int argc, char **argv)
{
    return curve_cert_keygen_main ("parley-agent", true, argc, argv);
}

static const subcommand_t s_subcommands[] = {
    { "keygen",
      s_keygen,
      "write a CurveZMQ certificate pair: keygen --associations ID,ID | --region CODE BASE" },
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

    s_reload_t reload = { .argc = argc, .argv = xcalloc ((size_t)argc + 1, sizeof (char *)) };
    memcpy (reload.argv, argv, (size_t)argc * sizeof (char *));
    agent_options_t opts;
    options_result_t parsed = agent_options_parse (&opts, argc, argv, stdout, stderr);
    if (parsed != OPTIONS_RUN) {
        if (parsed == OPTIONS_DONE && subcommand_help_asked (argc, reload.argv))
            subcommand_print_help (s_subcommands, stdout);
        free (reload.argv);
        return options_exit_code (parsed);
    }
    log_threshold = (log_level_t)opts.log_level;
    reload.opts = &opts;

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
    /* No stop budget: the agent's stop saves the read positions, which must not be cut
       short (the unit's TimeoutStopSec bounds it). */
    if (daemon_signals_install ("parley-agent", 0) != 0 ||
        daemon_signals_on_reload (s_reload, &reload) != 0 ||
        daemon_signals_on_reload (s_reload_keys, NULL) != 0) {
        fprintf (stderr, "parley-agent: could not install the signal handlers\n");
        csv_mapping_destroy (&mapping);
        agent_options_fini (&opts);
        free (reload.argv);
        return 1;
    }

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
        wire_server_options_t so = { .endpoints = opts.relay_bind.items,
                                     .count = opts.relay_bind.count,
                                     .insecure = opts.insecure,
                                     .curve_secret = opts.relay_curve_secret,
                                     .authorized_keys = opts.relay_authorized_keys };
        relay = relay_new (&so, agent_intake (agent));
        if (relay)
            relay_watch_reload (relay, &s_keys_reload);
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
    int rc = agent_run (agent, daemon_signals_stop_flag ());
    daemon_signals_clear_reload ();
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
    free (reload.argv);
    zsys_shutdown ();
    return status;
}
