/* daemon_signals: what each signal does to a daemon (parley-agent, parley-collector), in
   one place, so that no signal ever ends a daemon without a log line (issue 11).

     SIGTERM, SIGINT, SIGQUIT  stop: the stop flag is set (the loop ends at its next turn and
                               saves what it holds, as for SIGTERM), and a line is logged at
                               once ("stop requested" signal=...). SIGQUIT does not dump
                               core: it is a stop like the others. With a stop budget, the
                               process leaves after that many seconds even if the loop is
                               stuck, logging it.
     SIGHUP                    reload: at the loop's next turn, "reload requested" is logged
                               and the reload callbacks run in the order registered (the
                               program's own first: it re-reads the config file and logs each
                               key that changed, or that needs a restart).
     SIGUSR1, SIGUSR2          reserved: logged ("signal ignored") at the next turn, nothing
                               else.
     SIGPIPE                   ignored: a write to a closed pipe or socket fails with EPIPE
                               and the writer logs that.

   The handlers only set flags (and write one line with write(2) on a stop); the loop calls
   daemon_signals_turn, which does the rest outside the handler. No handler has SA_RESTART,
   so a signal cuts short the poll the loop waits in. */
#ifndef PARLEY_DAEMON_SIGNALS_H
#define PARLEY_DAEMON_SIGNALS_H
#include <signal.h>
#include <stdbool.h>

#include "options.h"
#include "parley.h"

/* How many reload callbacks may be registered. */
#define DAEMON_SIGNALS_RELOAD_MAX 16

/* Installs the handlers above for program ("parley-agent", named in the lines written from
   a handler). stop_budget_s > 0: after a stop signal, the process exits 0 that many seconds
   later if it is still running (SIGALRM; what a stuck stop must not exceed); 0: none.
   Returns 0, or -1 if sigaction failed (errno kept). */
int daemon_signals_install (const char *program, int stop_budget_s) PARLEY_MUST_CHECK;

/* The flag a stop signal sets, for the loop's `while (!*stop)`. Never NULL. */
volatile sig_atomic_t *daemon_signals_stop_flag (void);

/* A reload callback: runs in the loop's thread, from daemon_signals_turn. */
typedef void (*daemon_signals_reload_t) (void *ctx);

/* Registers fn (with ctx, borrowed) to run on every SIGHUP, after those registered before
   (the program registers its options reload first, so later callbacks see the new values
   in the options struct). Returns 0, or -1 when DAEMON_SIGNALS_RELOAD_MAX are registered. */
int daemon_signals_on_reload (daemon_signals_reload_t fn, void *ctx) PARLEY_MUST_CHECK;

/* Forgets every reload callback (before the objects they use are destroyed). */
void daemon_signals_clear_reload (void);

/* From each turn of the daemon's loop: logs the signals received since the last turn and
   runs the reload callbacks once if SIGHUP came (however many times). Returns true if a
   reload ran. */
bool daemon_signals_turn (void);

/* The SIGHUP reload of an options struct, shared by the daemons: fresh is the program's
   options parsed again (config file and command line) into a struct of spec. Logs each key
   that differs from current: a reloadable one as "option reloaded" with the old and new
   values, any other as "option changed, needs a restart" (current keeps the old value);
   moves the reloadable values into current and finishes fresh (options_fini). Returns how
   many reloadable keys changed. */
int daemon_signals_apply_options (const options_spec_t *spec, void *current, void *fresh);

#endif
