/* daemon_signals: the daemons' signal handling (see daemon_signals.h). */
#include "daemon_signals.h"

#include <string.h>
#include <unistd.h>

#include "log.h"

static volatile sig_atomic_t s_stop = 0;
static volatile sig_atomic_t s_reload = 0;
static volatile sig_atomic_t s_usr1 = 0;
static volatile sig_atomic_t s_usr2 = 0;
static int s_budget_s = 0;
/* The lines written from the handlers, made at install (a handler may not format). */
static char s_stop_line[4][160];
static char s_budget_line[200];

static struct {
    daemon_signals_reload_t fn;
    void *ctx;
} s_reloads[DAEMON_SIGNALS_RELOAD_MAX];
static int s_nreloads = 0;

static void
s_write_line (const char *line)
{
    ssize_t n = write (STDERR_FILENO, line, strlen (line));
    (void)n; /* nothing to be done if stderr is gone */
}

static void
s_on_alarm (int signum)
{
    (void)signum;
    s_write_line (s_budget_line);
    _exit (0);
}

static void
s_on_stop (int signum)
{
    int i = signum == SIGTERM ? 0 : signum == SIGINT ? 1 : signum == SIGQUIT ? 2 : 3;
    s_write_line (s_stop_line[i]);
    if (!s_stop && s_budget_s > 0)
        alarm ((unsigned)s_budget_s);
    s_stop = 1;
}

static void
s_on_flag (int signum)
{
    if (signum == SIGHUP)
        s_reload = 1;
    else if (signum == SIGUSR1)
        s_usr1 = 1;
    else if (signum == SIGUSR2)
        s_usr2 = 1;
}

int
daemon_signals_install (const char *program, int stop_budget_s)
{
    static const char *const names[] = { "SIGTERM", "SIGINT", "SIGQUIT", "?" };
    for (int i = 0; i < 4; i++)
        snprintf (s_stop_line[i],
                  sizeof s_stop_line[i],
                  "level=info prog=%s comp=signals msg=\"stop requested\" signal=%s\n",
                  program,
                  names[i]);
    snprintf (s_budget_line,
              sizeof s_budget_line,
              "level=warn prog=%s comp=signals"
              " msg=\"stop budget exhausted, leaving without acknowledging what is held\""
              " budget_s=%d\n",
              program,
              stop_budget_s);
    s_budget_s = stop_budget_s;
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sigemptyset (&sa.sa_mask);
    /* No SA_RESTART: a signal must interrupt the poll the loop is waiting in. */
    sa.sa_handler = s_on_stop;
    if (sigaction (SIGTERM, &sa, NULL) != 0 || sigaction (SIGINT, &sa, NULL) != 0 ||
        sigaction (SIGQUIT, &sa, NULL) != 0)
        return -1;
    sa.sa_handler = s_on_flag;
    if (sigaction (SIGHUP, &sa, NULL) != 0 || sigaction (SIGUSR1, &sa, NULL) != 0 ||
        sigaction (SIGUSR2, &sa, NULL) != 0)
        return -1;
    sa.sa_handler = s_on_alarm;
    if (sigaction (SIGALRM, &sa, NULL) != 0)
        return -1;
    sa.sa_handler = SIG_IGN;
    return sigaction (SIGPIPE, &sa, NULL);
}

volatile sig_atomic_t *
daemon_signals_stop_flag (void)
{
    return &s_stop;
}

int
daemon_signals_on_reload (daemon_signals_reload_t fn, void *ctx)
{
    if (s_nreloads == DAEMON_SIGNALS_RELOAD_MAX)
        return -1;
    s_reloads[s_nreloads].fn = fn;
    s_reloads[s_nreloads].ctx = ctx;
    s_nreloads++;
    return 0;
}

void
daemon_signals_clear_reload (void)
{
    s_nreloads = 0;
}

bool
daemon_signals_turn (void)
{
    if (s_usr1) {
        s_usr1 = 0;
        log_info ("signals", "signal ignored", "signal=SIGUSR1");
    }
    if (s_usr2) {
        s_usr2 = 0;
        log_info ("signals", "signal ignored", "signal=SIGUSR2");
    }
    if (!s_reload)
        return false;
    s_reload = 0; /* before the callbacks: a SIGHUP during them reloads again next turn */
    log_info ("signals", "reload requested", "signal=SIGHUP callbacks=%d", s_nreloads);
    for (int i = 0; i < s_nreloads; i++)
        s_reloads[i].fn (s_reloads[i].ctx);
    return true;
}

static void
s_log_change (const options_def_t *def, const char *old_text, const char *new_text, void *ctx)
{
    int *reloaded = ctx;
    if (def->flags & OPTIONS_RELOADABLE) {
        (*reloaded)++;
        /* warn, not info: a reload that lowers the level must still say so. */
        log_warn ("signals",
                  "option reloaded",
                  "key=%s old=\"%s\" new=\"%s\"",
                  def->name,
                  old_text,
                  new_text);
    } else
        log_warn ("signals", "option changed, needs a restart", "key=%s", def->name);
}

int
daemon_signals_apply_options (const options_spec_t *spec, void *current, void *fresh)
{
    int reloaded = 0;
    int changed = options_diff (spec, current, fresh, s_log_change, &reloaded);
    options_take_reloadable (spec, current, fresh);
    options_fini (spec, fresh);
    log_info ("signals", "configuration reloaded", "changed=%d reloaded=%d", changed, reloaded);
    return reloaded;
}
