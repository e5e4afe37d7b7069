/* parley-collector's command line, and the COPY text escaping its store relies on (the
   database side of the store is tested against a real PostgreSQL in
   tests/integration/test_store.py). */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_capture.h"
#include "collector_options.h"
#include "db.h"
#include "log.h"

typedef struct {
    options_result_t result;
    cli_capture_t cli; /* the arguments (which the options borrow) and the output */
} s_run_t;

static void
s_parse (s_run_t *r, collector_options_t *opts, int argc, const char *const *args)
{
    cli_capture_begin (&r->cli, argc, args);
    r->result = collector_options_parse (opts, r->cli.argc, r->cli.argv, r->cli.outf, r->cli.errf);
    cli_capture_end (&r->cli);
}

static void
test_db_and_repeated_bind_are_kept_in_order (void **state)
{
    (void)state;
    collector_options_t o;
    s_run_t r;
    const char *args[] = {
        "parley-collector",     "--db", "dbname=parley host=/tmp", "--bind",
        "tcp://127.0.0.1:5570", "-b",   "ipc:///tmp/c.sock",       "--insecure"
    };
    s_parse (&r, &o, 8, args);
    assert_int_equal (r.result, OPTIONS_RUN);
    assert_string_equal (o.db, "dbname=parley host=/tmp");
    assert_int_equal (o.bind.count, 2);
    assert_string_equal (o.bind.items[0], "tcp://127.0.0.1:5570");
    assert_string_equal (o.bind.items[1], "ipc:///tmp/c.sock");
    assert_int_equal (o.max_events, COLLECTOR_MAX_EVENTS_DEF);
    assert_int_equal (o.stats_interval_s, 10);
    assert_int_equal (o.log_level, LOG_LEVEL_INFO);
    assert_false (o.migrate_only);
    collector_options_fini (&o);
}

/* Notes retention and the rate limit are off unless asked for; their values are checked. */
static void
test_retention_and_rate_limit_are_off_by_default_and_checked (void **state)
{
    (void)state;
    collector_options_t o;
    s_run_t r;
    const char *plain[] = { "parley-collector", "--bind", "tcp://127.0.0.1:*", "--insecure" };
    s_parse (&r, &o, 4, plain);
    assert_int_equal (r.result, OPTIONS_RUN);
    assert_int_equal (o.notes_retention_days, 0);
    assert_int_equal (o.rate_limit, 0);
    assert_int_equal (o.rate_burst, 5000);
    collector_options_fini (&o);
    const char *set[] = { "parley-collector",
                          "--bind",
                          "tcp://127.0.0.1:*",
                          "--notes-retention-days",
                          "365",
                          "--rate-limit",
                          "200",
                          "--rate-burst",
                          "1000",
                          "--insecure" };
    s_parse (&r, &o, 10, set);
    assert_int_equal (r.result, OPTIONS_RUN);
    assert_int_equal (o.notes_retention_days, 365);
    assert_int_equal (o.rate_limit, 200);
    assert_int_equal (o.rate_burst, 1000);
    collector_options_fini (&o);
    const char *bad[][2] = { { "--notes-retention-days", "-1" },
                             { "--rate-limit", "-5" },
                             { "--rate-burst", "0" },
                             { "--rate-limit", "fast" } };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *args[] = {
            "parley-collector", "--bind", "tcp://127.0.0.1:*", bad[i][0], bad[i][1]
        };
        s_parse (&r, &o, 5, args);
        assert_int_equal (r.result, OPTIONS_BAD);
        assert_non_null (strstr (r.cli.err, bad[i][0]));
    }
}

/* Every interface, and a free port (the tests bind tcp://127.0.0.1:*). */
static void
test_bind_takes_every_interface_and_a_free_port (void **state)
{
    (void)state;
    collector_options_t o;
    s_run_t r;
    const char *args[] = { "parley-collector",   "-b",
                           "tcp://*:5570",       "-b",
                           "tcp://0.0.0.0:5571", "-b",
                           "tcp://127.0.0.1:*",  "-b",
                           "tcp://[::1]:5572",   "--curve-secret",
                           "/etc/c.cert_secret", "--authorized-keys",
                           "/etc/keys" };
    s_parse (&r, &o, 13, args);
    assert_int_equal (r.result, OPTIONS_RUN);
    assert_string_equal (r.cli.err, "");
    assert_int_equal (o.bind.count, 4);
    assert_string_equal (o.bind.items[0], "tcp://*:5570");
    assert_string_equal (o.bind.items[1], "tcp://0.0.0.0:5571");
    assert_string_equal (o.bind.items[2], "tcp://127.0.0.1:*");
    assert_string_equal (o.bind.items[3], "tcp://[::1]:5572");
    collector_options_fini (&o);
}

static void
test_db_may_be_left_to_the_libpq_environment (void **state)
{
    (void)state;
    collector_options_t o;
    s_run_t r;
    const char *args[] = { "parley-collector", "--bind", "tcp://127.0.0.1:*", "--insecure" };
    s_parse (&r, &o, 4, args);
    assert_int_equal (r.result, OPTIONS_RUN);
    assert_null (o.db);
    collector_options_fini (&o);
    /* An empty --db (an unset variable in a unit file) is the environment too. */
    const char *empty[] = { "parley-collector",  "--db",      "", "--bind",
                            "tcp://127.0.0.1:*", "--insecure" };
    s_parse (&r, &o, 6, empty);
    assert_int_equal (r.result, OPTIONS_RUN);
    assert_string_equal (o.db, "");
    collector_options_fini (&o);
}

static void
test_version_prints_name_and_version (void **state)
{
    (void)state;
    collector_options_t o;
    s_run_t r;
    const char *args[] = { "parley-collector", "--version" };
    s_parse (&r, &o, 2, args);
    assert_int_equal (r.result, OPTIONS_DONE);
    assert_string_equal (r.cli.out, "parley-collector 0.1.0\n");
    collector_options_fini (&o);
}

static void
test_help_lists_every_option (void **state)
{
    (void)state;
    collector_options_t o;
    s_run_t r;
    const char *args[] = { "parley-collector", "--help" };
    s_parse (&r, &o, 2, args);
    assert_int_equal (r.result, OPTIONS_DONE);
    const char *names[] = { "--db CONNINFO",    "--bind ENDPOINT", "--log-level",  "--max-events",
                            "--stats-interval", "--migrate-only",  "--help",       "--version",
                            "default 10000",    "default 10)",     "default info", "at most 16" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strstr (r.cli.out, names[i]))
            fail_msg ("--help lacks \"%s\":\n%s", names[i], r.cli.out);
    collector_options_fini (&o);
}

static void
test_migrate_only_needs_no_bind (void **state)
{
    (void)state;
    collector_options_t o;
    s_run_t r;
    const char *args[] = { "parley-collector", "--migrate-only", "--db", "dbname=x" };
    s_parse (&r, &o, 4, args);
    assert_int_equal (r.result, OPTIONS_RUN);
    assert_true (o.migrate_only);
    collector_options_fini (&o);
}

/* Every bad command line: exit 2 with one line naming the problem. */
static void
test_bad_arguments_are_usage_errors_with_one_line (void **state)
{
    (void)state;
    static const struct {
        int argc;
        const char *args[7];
        const char *says;
    } cases[] = {
        { 2, { "parley-collector", "--db" }, "option --db needs an argument" },
        { 3, { "parley-collector", "--db", "x" }, "--bind ENDPOINT is required" },
        { 4,
          { "parley-collector", "--bind", "tcp://a:1", "--bogus" },
          "unknown option \"--bogus\"" },
        { 4,
          { "parley-collector", "--bind", "tcp://a:1", "extra" },
          "unexpected argument \"extra\"" },
        { 3, { "parley-collector", "--bind", "" }, "--bind needs an endpoint" },
        { 5,
          { "parley-collector", "--bind", "tcp://a:1", "--max-events", "0" },
          "invalid --max-events \"0\"" },
        { 5,
          { "parley-collector", "--bind", "tcp://a:1", "--max-events", "12x" },
          "invalid --max-events \"12x\"" },
        { 5,
          { "parley-collector", "--bind", "tcp://a:1", "--stats-interval", "-1" },
          "invalid --stats-interval" },
        { 5,
          { "parley-collector", "--bind", "tcp://a:1", "--log-level", "loud" },
          "invalid --log-level \"loud\"" },
        /* endpoints are checked when they are read (issue 8) */
        { 3,
          { "parley-collector", "--bind", "127.0.0.1:5570" },
          "invalid --bind \"127.0.0.1:5570\": no scheme (expected tcp://HOST:PORT or ipc://PATH" },
        { 3,
          { "parley-collector", "--bind", "tcp://127.0.0.1:65536" },
          "the port is not a number from 1 to 65535, or *" },
        { 3,
          { "parley-collector", "--bind", "tcp://127.0.0.1" },
          "invalid --bind \"tcp://127.0.0.1\": no port" },
        { 3, { "parley-collector", "--bind", "tcp://:5570" }, "no host" },
        { 3, { "parley-collector", "--bind", "inproc://c" }, "the scheme is not tcp or ipc" },
        { 3, { "parley-collector", "--bind", "ipc://" }, "invalid --bind \"ipc://\": no path" },
        { 5,
          { "parley-collector", "--bind", "tcp://*:5570", "--bind", "5571" },
          "invalid --bind \"5571\": no scheme" },
        /* CURVE unless --insecure, and --insecure only on loopback (issue 10) */
        { 3,
          { "parley-collector", "--bind", "tcp://127.0.0.1:5570" },
          "--curve-secret FILE and --authorized-keys DIR are required" },
        { 5,
          { "parley-collector", "--bind", "tcp://127.0.0.1:5570", "--curve-secret", "/c" },
          "--curve-secret FILE and --authorized-keys DIR are required" },
        { 4,
          { "parley-collector", "--bind", "tcp://0.0.0.0:5570", "--insecure" },
          "--insecure refused on tcp://0.0.0.0:5570 (not loopback)" },
        { 6,
          { "parley-collector", "--bind", "ipc:///tmp/c", "--bind", "tcp://*:1", "--insecure" },
          "--insecure refused on tcp://*:1" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        collector_options_t o;
        s_run_t r;
        s_parse (&r, &o, cases[i].argc, cases[i].args);
        assert_int_equal (r.result, OPTIONS_BAD);
        if (!strstr (r.cli.err, cases[i].says))
            fail_msg ("case %zu: \"%s\" does not say \"%s\"", i, r.cli.err, cases[i].says);
        assert_int_equal (strncmp (r.cli.err, "parley-collector: ", 18), 0);
        char *nl = strchr (r.cli.err, '\n');
        assert_non_null (nl);
        assert_int_equal (nl[1], '\0');
        assert_string_equal (r.cli.out, "");
        collector_options_fini (&o);
    }
}

static void
test_seventeen_binds_are_too_many (void **state)
{
    (void)state;
    const char *args[2 * COLLECTOR_BIND_MAX + 3];
    int argc = 0;
    args[argc++] = "parley-collector";
    for (int i = 0; i <= COLLECTOR_BIND_MAX; i++) {
        args[argc++] = "--bind";
        args[argc++] = "tcp://127.0.0.1:*";
    }
    collector_options_t o;
    s_run_t r;
    s_parse (&r, &o, argc, args);
    assert_int_equal (r.result, OPTIONS_BAD);
    assert_non_null (strstr (r.cli.err, "too many --bind"));
    collector_options_fini (&o);
}

/* COPY text format: backslash, tab, newline and carriage return must be escaped, everything
   else (UTF-8, quotes) passes as it is; \N is NULL. */
static void
test_copy_fields_escape_what_copy_text_format_reserves (void **state)
{
    (void)state;
    db_buf_t buf;
    db_buf_init (&buf);
    const char in[] = "a\\b\tc\nd\re \"Ynys M\xc3\xb4n\" \\N";
    db_buf_put_field (&buf, in, sizeof in - 1);
    db_buf_putc (&buf, '\t');
    db_buf_put_null (&buf);
    db_buf_putc (&buf, '\0');
    assert_string_equal (buf.data, "a\\\\b\\tc\\nd\\re \"Ynys M\xc3\xb4n\" \\\\N\t\\N");
    db_buf_reset (&buf);
    assert_int_equal (buf.len, 0);
    /* growth past the first allocation keeps every byte */
    for (int i = 0; i < 10000; i++)
        db_buf_put_field (&buf, "x\t", 2);
    assert_int_equal (buf.len, 30000);
    assert_memory_equal (buf.data + 29997, "x\\t", 3);
    db_buf_fini (&buf);
    assert_null (buf.data);
}

static void
test_a_missing_result_is_retryable (void **state)
{
    (void)state;
    /* No result at all is what libpq gives when the server went away mid-query. */
    assert_int_equal (db_classify (NULL, NULL), DB_RETRY);
    PGresult *res = PQmakeEmptyPGresult (NULL, PGRES_FATAL_ERROR);
    assert_int_equal (db_classify (NULL, res), DB_RETRY); /* no SQLSTATE: client side */
    char err[128];
    db_error_text (NULL, NULL, err, sizeof err);
    assert_string_equal (err, "no connection to the server");
    PQclear (res);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_db_and_repeated_bind_are_kept_in_order),
        cmocka_unit_test (test_bind_takes_every_interface_and_a_free_port),
        cmocka_unit_test (test_retention_and_rate_limit_are_off_by_default_and_checked),
        cmocka_unit_test (test_db_may_be_left_to_the_libpq_environment),
        cmocka_unit_test (test_version_prints_name_and_version),
        cmocka_unit_test (test_help_lists_every_option),
        cmocka_unit_test (test_migrate_only_needs_no_bind),
        cmocka_unit_test (test_bad_arguments_are_usage_errors_with_one_line),
        cmocka_unit_test (test_seventeen_binds_are_too_many),
        cmocka_unit_test (test_copy_fields_escape_what_copy_text_format_reserves),
        cmocka_unit_test (test_a_missing_result_is_retryable),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
