/* parley-agent's command line, and the spool record format it relies on. */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "agent_options.h"
#include "cli_capture.h"
#include "log.h"
#include "record.h"
#include "spool.h"

/* The last parse's arguments and output (the options borrow its strings). */
static cli_capture_t s_cli;

static options_result_t
s_parse (agent_options_t *opts, int argc, const char *const *args)
{
    cli_capture_begin (&s_cli, argc, args);
    options_result_t r = agent_options_parse (opts, s_cli.argc, s_cli.argv, s_cli.outf, s_cli.errf);
    cli_capture_end (&s_cli);
    if (r == OPTIONS_RUN)
        assert_string_equal (s_cli.err, "");
    return r;
}

static void
test_required_options_and_inputs (void **state)
{
    agent_options_t o;
    const char *args[] = { "parley-agent", "--connect", "tcp://a:1", "--spool", "/tmp/s",
                           "--once",       "-c",        "tcp://b:2", "x.jsonl", "-" };
    assert_int_equal (s_parse (&o, 10, args), OPTIONS_RUN);
    assert_int_equal (o.connect.count, 2);
    assert_string_equal (o.connect.items[0], "tcp://a:1");
    assert_string_equal (o.connect.items[1], "tcp://b:2");
    assert_string_equal (o.spool_dir, "/tmp/s");
    assert_true (o.once);
    assert_int_equal (o.ninputs, 2);
    assert_string_equal (o.inputs[0], "x.jsonl");
    assert_string_equal (o.inputs[1], "-");
    assert_int_equal (o.batch, 1000);
    assert_int_equal (o.window, 4);
    assert_int_equal (o.resend_ms, 10000);
    assert_int_equal (o.spool_max, 1024ull * 1024 * 1024);
    assert_int_equal (o.fsync, AGENT_FSYNC_GROUP);
    assert_int_equal (o.log_level, LOG_LEVEL_INFO);
    agent_options_fini (&o);
}

static void
test_input_modes (void **state)
{
    agent_options_t o;
    const char *args[] = { "parley-agent", "-c",      "tcp://a:1", "-s",     "/s",
                           "--follow",     "--watch", "/drop/a",   "-w",     "/drop/b",
                           "--mapping",    "m.ini",   "x.csv",     "y.jsonl" };
    assert_int_equal (s_parse (&o, 14, args), OPTIONS_RUN);
    assert_true (o.follow);
    assert_int_equal (o.watch.count, 2);
    assert_string_equal (o.watch.items[1], "/drop/b");
    assert_string_equal (o.mapping, "m.ini");
    assert_int_equal (o.ninputs, 2);
    assert_true (agent_options_is_csv (o.inputs[0]));
    assert_false (agent_options_is_csv (o.inputs[1]));
    agent_options_fini (&o);
    /* --check needs neither a collector nor a spool. */
    const char *check[] = { "parley-agent", "--check", "--mapping", "m.ini", "x.csv", "-" };
    assert_int_equal (s_parse (&o, 6, check), OPTIONS_RUN);
    assert_true (o.check);
    assert_int_equal (o.connect.count, 0);
    assert_null (o.spool_dir);
    agent_options_fini (&o);
    const char *once[] = { "parley-agent", "-c",     "tcp://a:1", "-s",
                           "/s",           "--once", "--timeout", "90" };
    assert_int_equal (s_parse (&o, 8, once), OPTIONS_RUN);
    assert_int_equal (o.timeout_s, 90);
    agent_options_fini (&o);
}

static void
test_tuning_options (void **state)
{
    agent_options_t o;
    const char *args[] = { "parley-agent", "--connect=tcp://a:1",
                           "--spool=/s",   "--spool-max",
                           "64M",          "--fsync",
                           "always",       "--batch",
                           "5000",         "--window",
                           "64",           "--resend-timeout",
                           "2500",         "--log-level",
                           "warn" };
    assert_int_equal (s_parse (&o, 15, args), OPTIONS_RUN);
    assert_int_equal (o.spool_max, 64ull << 20);
    assert_int_equal (o.fsync, AGENT_FSYNC_ALWAYS);
    assert_int_equal (o.batch, 5000);
    assert_int_equal (o.window, 64);
    assert_int_equal (o.resend_ms, 2500);
    assert_int_equal (o.ninputs, 0);
    assert_int_equal (o.log_level, LOG_LEVEL_WARN);
    agent_options_fini (&o);
    const char *reset[] = {
        "parley-agent", "--connect=tcp://x:1", "--spool=/s", "--spool-max", "256K"
    };
    assert_int_equal (s_parse (&o, 5, reset), OPTIONS_RUN);
    assert_int_equal (o.spool_max, 256 << 10);
    assert_int_equal (o.log_level, LOG_LEVEL_INFO); /* the default again */
    agent_options_fini (&o);
}

static void
test_the_webhook_options_and_their_defaults (void **state)
{
    agent_options_t o;
    const char *none[] = { "parley-agent", "-c", "tcp://a:1", "-s", "/s" };
    assert_int_equal (s_parse (&o, 5, none), OPTIONS_RUN);
    assert_null (o.http_bind);
    assert_null (o.token_file);
    assert_int_equal (o.http_max, 4ull << 20);
    agent_options_fini (&o);
    const char *args[] = {
        "parley-agent", "-c",           "tcp://a:1",         "-s",     "/s",
        "--http-bind",  "0.0.0.0:8080", "--http-token-file", "/etc/t", "--http-max-bytes",
        "64M"
    };
    assert_int_equal (s_parse (&o, 11, args), OPTIONS_RUN);
    assert_string_equal (o.http_bind, "0.0.0.0:8080");
    assert_string_equal (o.token_file, "/etc/t");
    assert_int_equal (o.http_max, 64ull << 20);
    assert_int_equal (o.ninputs, 0); /* the webhook alone is a feed */
    agent_options_fini (&o);
}

static void
test_relay_bind_is_repeatable_and_may_bind_any_interface (void **state)
{
    agent_options_t o;
    const char *args[] = { "parley-agent",
                           "-c",
                           "tcp://collector:5570",
                           "--spool",
                           "/s",
                           "--relay-bind",
                           "tcp://*:5571",
                           "--relay-bind",
                           "ipc:///run/parley/hub.sock",
                           "own.jsonl",
                           "--relay-curve-secret",
                           "/h.cert_secret",
                           "--relay-authorized-keys",
                           "/keys" };
    assert_int_equal (s_parse (&o, 14, args), OPTIONS_RUN);
    assert_int_equal (o.relay_bind.count, 2);
    assert_string_equal (o.relay_bind.items[0], "tcp://*:5571");
    assert_string_equal (o.relay_bind.items[1], "ipc:///run/parley/hub.sock");
    assert_int_equal (o.ninputs, 1); /* a hub may read inputs of its own */
    assert_false (o.once);
    agent_options_fini (&o);
    const char *plain[] = { "parley-agent", "-c", "tcp://collector:5570", "--spool", "/s" };
    assert_int_equal (s_parse (&o, 5, plain), OPTIONS_RUN);
    assert_int_equal (o.relay_bind.count, 0);
    agent_options_fini (&o);
}

/* Every bad command line: exit 2 with one line naming the problem, nothing on stdout.
   Each case's arguments follow "parley-agent --connect tcp://e:1 --spool /s", unless
   alone is set. */
static void
test_bad_arguments_are_refused (void **state)
{
    static const char *const base[] = { "parley-agent", "--connect", "tcp://e:1", "--spool", "/s" };
    static const struct {
        bool alone;
        const char *args[7];
        const char *says;
    } cases[] = {
        { true, { "parley-agent", "--spool", "/s", "f" }, "--connect ENDPOINT is required" },
        { true, { "parley-agent", "--connect", "tcp://a:1", "f" }, "--spool DIR is required" },
        { false,
          { "--batch", "0" },
          "invalid --batch \"0\" (expected a whole number from 1 to 5000)" },
        { false, { "--batch", "5001" }, "invalid --batch \"5001\"" },
        /* a regional hub (--relay-bind) */
        { false,
          { "--relay-bind", "127.0.0.1:5571" },
          "invalid --relay-bind \"127.0.0.1:5571\": no scheme" },
        { false, { "--relay-bind", "inproc://hub" }, "the scheme is not tcp or ipc" },
        { false,
          { "--relay-bind", "tcp://*:5571", "--once" },
          "--once cannot be used with --relay-bind (a hub runs until SIGTERM)" },
        { false,
          { "--window", "x" },
          "invalid --window \"x\" (expected a whole number from 1 to 64)" },
        { false, { "--fsync", "never" }, "invalid --fsync \"never\" (expected group or always)" },
        { false, { "--spool-max", "12Q" }, "invalid --spool-max \"12Q\"" },
        { false, { "--spool-max", "1K" }, "of at least 256K bytes" },
        { false,
          { "--log-level", "loud" },
          "invalid --log-level \"loud\" (expected debug, info, warn or error)" },
        { false,
          { "--resend-timeout", "9" },
          "invalid --resend-timeout \"9\" (expected a whole number from 10 to 3600000)" },
        { false, { "--frobnicate" }, "unknown option \"--frobnicate\"" },
        { false, { "-", "-" }, "standard input (-) given more than once" },
        { false, { "a", "" }, "empty input name" },
        { false, { "--spool" }, "option --spool needs an argument" },
        { false, { "--spool", "" }, "--spool needs a value" },
        /* endpoints are checked when they are read (issue 8) */
        { false,
          { "--connect", "127.0.0.1:5570" },
          "invalid --connect \"127.0.0.1:5570\": no scheme (expected tcp://HOST:PORT or "
          "ipc://PATH)" },
        { false, { "-c", "collector:5570" }, "invalid --connect \"collector:5570\": no scheme" },
        { false, { "-c", "tcp://127.0.0.1:0" }, "the port is not a number from 1 to 65535" },
        { false, { "-c", "tcp://*:5570" }, "host * can only be bound, not connected to" },
        { false, { "-c", "tcp://127.0.0.1:*" }, "port * can only be bound, not connected to" },
        { false, { "-c", "inproc://x" }, "the scheme is not tcp or ipc" },
        { false, { "--connect", "" }, "--connect needs an endpoint" },
        /* inputs and their modes (issue 9) */
        { false, { "export.csv" }, "input \"export.csv\" is a CSV file: give the --mapping FILE" },
        { false, { "EXPORT.CSV" }, "is a CSV file" },
        { false, { "--timeout", "5", "f" }, "--timeout needs --once" },
        { false, { "--once", "--timeout", "0" }, "invalid --timeout \"0\"" },
        { false, { "--once", "--follow", "f" }, "--follow never ends: not with --once" },
        { true, { "parley-agent", "--check" }, "--check needs an INPUT to check" },
        { true, { "parley-agent", "--check", "--follow", "f" }, "not with --watch or --follow" },
        { true, { "parley-agent", "--check", "x.csv" }, "give the --mapping FILE" },
        { false, { "--watch" }, "option --watch needs an argument" },
        { false, { "--http-bind", "*:8080" }, "invalid --http-bind \"*:8080\": \"*\" is not an" },
        { false, { "--http-bind", "127.0.0.1" }, "no port from 0 to 65535" },
        { false, { "--http-bind", "[::1]8080" }, "expected [IPv6]:PORT" },
        { false, { "--http-bind", "localhost:70000" }, "no port from 0 to 65535" },
        { false, { "--http-bind", "8080", "--once" }, "--once cannot be used with --http-bind" },
        { false,
          { "--http-bind", "8080", "--check", "f" },
          "--check cannot be used with --http-bind" },
        { false, { "--http-token-file", "t" }, "--http-token-file needs --http-bind" },
        { false, { "--http-max-bytes", "1M" }, "--http-max-bytes needs --http-bind" },
        { false, { "--http-bind", "1", "--http-max-bytes", "65M" }, "at most 64M" },
        { false, { "--http-bind", "1", "--http-max-bytes", "1K" }, "of at least 16K bytes" },
        { true,
          { "parley-agent", "--check", "--relay-bind", "tcp://*:5571", "f" },
          "--check cannot be used with --relay-bind" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[16];
        int argc = 0;
        for (size_t k = 0; !cases[i].alone && k < sizeof base / sizeof base[0]; k++)
            args[argc++] = base[k];
        for (size_t k = 0; k < 7 && cases[i].args[k]; k++)
            args[argc++] = cases[i].args[k];
        agent_options_t o;
        assert_int_equal (s_parse (&o, argc, args), OPTIONS_BAD);
        if (!strstr (s_cli.err, cases[i].says))
            fail_msg ("case %zu: \"%s\" does not say \"%s\"", i, s_cli.err, cases[i].says);
        assert_int_equal (strncmp (s_cli.err, "parley-agent: ", 14), 0);
        char *nl = strchr (s_cli.err, '\n');
        assert_non_null (nl);
        assert_int_equal (nl[1], '\0');
        assert_string_equal (s_cli.out, "");
        assert_null (o.connect.items); /* nothing left to free after a refusal */
        agent_options_fini (&o);
    }
}

/* text with every run of white space made one space, so that a phrase --help wrapped
   onto two lines is still found. */
static void
s_squash (const char *text, char *buf, size_t len)
{
    size_t n = 0;
    for (; *text && n + 1 < len; text++)
        if (!isspace ((unsigned char)*text))
            buf[n++] = *text;
        else if (n > 0 && buf[n - 1] != ' ')
            buf[n++] = ' ';
    buf[n] = '\0';
}

static void
test_help_lists_every_option_with_its_default (void **state)
{
    agent_options_t o;
    const char *args[] = { "parley-agent", "--help" };
    assert_int_equal (s_parse (&o, 2, args), OPTIONS_DONE);
    assert_string_equal (s_cli.err, "");
    const char *want[] = { "Usage: parley-agent --connect ENDPOINT",
                           "-c, --connect ENDPOINT",
                           "-s, --spool DIR",
                           "-o, --once",
                           "--spool-max BYTES",
                           "default 1G",
                           "--fsync MODE",
                           "default group",
                           "--batch N",
                           "1 to 5000; default 1000",
                           "--window N",
                           "1 to 64; default 4",
                           "--resend-timeout MS",
                           "default 10000",
                           "--relay-bind ENDPOINT",
                           "run as a regional hub",
                           "--log-level LEVEL",
                           "default info",
                           "--timeout SECONDS",
                           "-f, --follow",
                           "-w, --watch DIR",
                           "-m, --mapping FILE",
                           "every .csv input",
                           "--check",
                           "parley-agent --check [--mapping FILE] INPUT...",
                           "-h, --help",
                           "-V, --version",
                           "INPUT is a file of JSON lines",
                           "See docs/AGENT.md." };
    char help[sizeof s_cli.out];
    s_squash (s_cli.out, help, sizeof help);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr (help, want[i]))
            fail_msg ("--help lacks \"%s\":\n%s", want[i], s_cli.out);
    agent_options_fini (&o);
    const char *version[] = { "parley-agent", "-V" };
    assert_int_equal (s_parse (&o, 2, version), OPTIONS_DONE);
    assert_string_equal (s_cli.out, "parley-agent " PARLEY_VERSION "\n");
    agent_options_fini (&o);
}

static void
test_record_round_trip_keeps_source_line_and_bytes (void **state)
{
    char buf[SPOOL_RECORD_MAX];
    const char *line = "{\"event_id\":\"x\",\"extra\":true}";
    size_t n = record_encode (buf, sizeof buf, "feeds/crm.jsonl", 4242, line, strlen (line));
    assert_int_equal (n, RECORD_HEADER + strlen ("feeds/crm.jsonl") + strlen (line));
    record_t rec;
    assert_int_equal (record_decode (buf, n, &rec), 0);
    assert_int_equal (rec.line, 4242);
    assert_int_equal (rec.source_len, strlen ("feeds/crm.jsonl"));
    assert_memory_equal (rec.source, "feeds/crm.jsonl", rec.source_len);
    assert_int_equal (rec.len, strlen (line));
    assert_memory_equal (rec.data, line, rec.len);

    assert_int_equal (record_encode (buf, 10, "s", 1, line, strlen (line)), 0); /* does not fit */
    buf[0] = 9;
    assert_int_equal (record_decode (buf, n, &rec), -1); /* unknown version */
    assert_int_equal (record_decode (buf, 5, &rec), -1); /* shorter than a header */
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_required_options_and_inputs),
        cmocka_unit_test (test_input_modes),
        cmocka_unit_test (test_tuning_options),
        cmocka_unit_test (test_the_webhook_options_and_their_defaults),
        cmocka_unit_test (test_relay_bind_is_repeatable_and_may_bind_any_interface),
        cmocka_unit_test (test_bad_arguments_are_refused),
        cmocka_unit_test (test_help_lists_every_option_with_its_default),
        cmocka_unit_test (test_record_round_trip_keeps_source_line_and_bytes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
