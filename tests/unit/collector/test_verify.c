/* parley-collector verify and rebuild: their command lines and exit statuses without a
   database (what they do on one is tested against a real PostgreSQL in
   tests/integration/test_verify.py). */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "log.h"
#include "verify.h"

/* Runs main with the arguments (argv[0] included), a copy it may reorder. */
static int
s_run (int (*main_fn) (int, char **), int argc, const char *const *args)
{
    char *argv[8];
    assert_true (argc < 8);
    for (int i = 0; i < argc; i++)
        argv[i] = (char *)args[i];
    argv[argc] = NULL;
    return main_fn (argc, argv);
}

static void
test_an_unknown_option_is_a_usage_error (void **state)
{
    (void)state;
    const char *verify[] = { "verify", "--bind", "tcp://127.0.0.1:1" };
    assert_int_equal (s_run (verify_main, 3, verify), 2);
    const char *rebuild[] = { "rebuild", "--force" };
    assert_int_equal (s_run (verify_rebuild_main, 2, rebuild), 2);
}

static void
test_an_operand_is_a_usage_error (void **state)
{
    (void)state;
    const char *verify[] = { "verify", "constituency_agg" };
    assert_int_equal (s_run (verify_main, 2, verify), 2);
}

static void
test_help_exits_zero (void **state)
{
    (void)state;
    const char *verify[] = { "verify", "--help" };
    assert_int_equal (s_run (verify_main, 2, verify), 0);
    const char *rebuild[] = { "rebuild", "--help" };
    assert_int_equal (s_run (verify_rebuild_main, 2, rebuild), 0);
}

static void
test_no_database_is_a_runtime_failure (void **state)
{
    (void)state;
    const char *verify[] = { "verify", "--db", "host=/nonexistent-parley-socket-dir port=1" };
    assert_int_equal (s_run (verify_main, 3, verify), 1);
    const char *rebuild[] = { "rebuild", "--db", "host=/nonexistent-parley-socket-dir port=1" };
    assert_int_equal (s_run (verify_rebuild_main, 3, rebuild), 1);
}

int
main (void)
{
    log_threshold = LOG_LEVEL_ERROR;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_an_unknown_option_is_a_usage_error),
        cmocka_unit_test (test_an_operand_is_a_usage_error),
        cmocka_unit_test (test_help_exits_zero),
        cmocka_unit_test (test_no_database_is_a_runtime_failure),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
