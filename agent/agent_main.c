/* parley-agent: options, logging, signals, then the agent's loop (agent.c). */
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "agent_options.h"
#include "log.h"
#include "relay.h"

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

int
main (int argc, char **argv)
{
    log_set_program ("parley-agent");
    /* Before any socket exists: czmq must not take over SIGINT/SIGTERM, nor write on
       stdout, which carries the --once summary. */
    zsys_handler_set (NULL);
    zsys_set_logstream (stderr);

    agent_options_t opts;
    options_result_t parsed = agent_options_parse (&opts, argc, argv, stdout, stderr);
    if (parsed != OPTIONS_RUN)
        return options_exit_code (parsed);
    log_threshold = (log_level_t)opts.log_level;
    s_install_signals ();

    char err[1024];
    agent_t *agent = agent_new (&opts, err, sizeof err);
    if (!agent) {
        fprintf (stderr, "parley-agent: %s\n", err);
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
            agent_destroy (&agent);
            agent_options_fini (&opts);
            return 1;
        }
    }
    int rc = agent_run (agent, &s_stop);
    if (opts.once && !s_stop)
        agent_print_summary (agent, stdout);
    agent_destroy (&agent);
    agent_options_fini (&opts);
    relay_destroy (&relay); /* after the agent, as agent.h asks of producers */
    zsys_shutdown ();
    return rc == 0 ? 0 : 1;
}
