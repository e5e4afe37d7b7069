/* daemon_signals: what each signal does to a daemon. Real signals, raised at this process:
   none ends it; SIGHUP runs the reload callbacks once at the next turn; a stop signal sets
   the stop flag; the options reload takes only the reloadable keys. */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "daemon_signals.h"
#include "log.h"
#include "options.h"

static int s_calls[2];

static void
s_count (void *ctx)
{
    (*(int *)ctx)++;
}

static void
test_sighup_runs_each_callback_once_at_the_next_turn_and_stops_nothing (void **state)
{
    (void)state;
    assert_int_equal (daemon_signals_install ("test", 0), 0);
    daemon_signals_clear_reload ();
    assert_int_equal (daemon_signals_on_reload (s_count, &s_calls[0]), 0);
    assert_int_equal (daemon_signals_on_reload (s_count, &s_calls[1]), 0);
    assert_false (daemon_signals_turn ());
    raise (SIGHUP);
    raise (SIGHUP);
    assert_int_equal (s_calls[0], 0); /* not in the handler */
    assert_true (daemon_signals_turn ());
    assert_int_equal (s_calls[0], 1);
    assert_int_equal (s_calls[1], 1);
    assert_false (daemon_signals_turn ());
    assert_int_equal (*daemon_signals_stop_flag (), 0);
    daemon_signals_clear_reload ();
}

static void
test_usr1_usr2_and_sigpipe_neither_stop_nor_end_the_process (void **state)
{
    (void)state;
    assert_int_equal (daemon_signals_install ("test", 0), 0);
    raise (SIGUSR1);
    raise (SIGUSR2);
    raise (SIGPIPE);
    assert_false (daemon_signals_turn ());
    assert_int_equal (*daemon_signals_stop_flag (), 0);
}

static void
test_the_callbacks_are_bounded (void **state)
{
    (void)state;
    daemon_signals_clear_reload ();
    int n = 0;
    for (int i = 0; i < DAEMON_SIGNALS_RELOAD_MAX; i++)
        assert_int_equal (daemon_signals_on_reload (s_count, &n), 0);
    assert_int_equal (daemon_signals_on_reload (s_count, &n), -1);
    daemon_signals_clear_reload ();
}

typedef struct {
    int log_level;
    int batch;
} t_opts_t;

static const options_def_t s_defs[] = {
    OPTIONS_LOG_LEVEL_ROW (t_opts_t, log_level),
    { .name = "batch",
      .arg = "N",
      .type = OPTIONS_INT,
      OPTIONS_AT (t_opts_t, batch),
      .min = 1,
      .max = 9,
      .def = "2",
      .help = "n" },
};
static const options_spec_t s_spec = { .program = "t",
                                       .usage = "t",
                                       OPTIONS_TABLE (s_defs),
                                       .size = sizeof (t_opts_t) };

static void
test_apply_options_takes_the_reloadable_keys_and_keeps_the_others (void **state)
{
    (void)state;
    t_opts_t current = { .log_level = LOG_LEVEL_INFO, .batch = 2 };
    t_opts_t fresh = { .log_level = LOG_LEVEL_DEBUG, .batch = 5 };
    assert_int_equal (daemon_signals_apply_options (&s_spec, &current, &fresh), 1);
    assert_int_equal (current.log_level, LOG_LEVEL_DEBUG);
    assert_int_equal (current.batch, 2);
    t_opts_t same = current;
    assert_int_equal (daemon_signals_apply_options (&s_spec, &current, &same), 0);
}

/* Last: the stop flag stays set. */
static void
test_sigterm_sigint_and_sigquit_set_the_stop_flag_and_return (void **state)
{
    (void)state;
    int stops[] = { SIGTERM, SIGINT, SIGQUIT };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal (daemon_signals_install ("test", 0), 0);
        *daemon_signals_stop_flag () = 0;
        raise (stops[i]);
        assert_int_equal (*daemon_signals_stop_flag (), 1);
    }
}

int
main (void)
{
    log_threshold = LOG_LEVEL_ERROR;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_sighup_runs_each_callback_once_at_the_next_turn_and_stops_nothing),
        cmocka_unit_test (test_usr1_usr2_and_sigpipe_neither_stop_nor_end_the_process),
        cmocka_unit_test (test_the_callbacks_are_bounded),
        cmocka_unit_test (test_apply_options_takes_the_reloadable_keys_and_keeps_the_others),
        cmocka_unit_test (test_sigterm_sigint_and_sigquit_set_the_stop_flag_and_return),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
