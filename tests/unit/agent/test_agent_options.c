/* parley-agent's command line, and the spool record format it relies on. */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <string.h>

#include "agent_options.h"
#include "record.h"
#include "spool.h"

static agent_options_result_t
s_parse (agent_options_t *opts, int argc, const char **args)
{
    static char *argv[32];
    static char store[32][128];
    assert_true (argc < 32);
    for (int i = 0; i < argc; i++) {
        snprintf (store[i], sizeof store[i], "%s", args[i]);
        argv[i] = store[i];
    }
    argv[argc] = NULL;
    FILE *saved = stderr;
    stderr = fopen ("/dev/null", "w"); /* the one-line errors are not what is tested here */
    agent_options_result_t r = agent_options_parse (argc, argv, opts);
    fclose (stderr);
    stderr = saved;
    return r;
}

static void
test_required_options_and_inputs (void **state)
{
    agent_options_t o;
    const char *args[] = { "parley-agent", "--connect", "tcp://a:1", "--spool", "/tmp/s",
                           "--once",       "-c",        "tcp://b:2", "x.jsonl", "-" };
    assert_int_equal (s_parse (&o, 10, args), AGENT_OPTIONS_RUN);
    assert_int_equal (o.nconnect, 2);
    assert_string_equal (o.connect[0], "tcp://a:1");
    assert_string_equal (o.connect[1], "tcp://b:2");
    assert_string_equal (o.spool_dir, "/tmp/s");
    assert_true (o.once);
    assert_int_equal (o.ninputs, 2);
    assert_string_equal (o.inputs[0], "x.jsonl");
    assert_string_equal (o.inputs[1], "-");
    assert_int_equal (o.batch, 1000);
    assert_int_equal (o.window, 4);
    assert_int_equal (o.spool_max, 1024ull * 1024 * 1024);
    assert_false (o.fsync_always);
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
    assert_int_equal (s_parse (&o, 15, args), AGENT_OPTIONS_RUN);
    assert_int_equal (o.spool_max, 64ull << 20);
    assert_true (o.fsync_always);
    assert_int_equal (o.batch, 5000);
    assert_int_equal (o.window, 64);
    assert_int_equal (o.resend_ms, 2500);
    assert_int_equal (o.ninputs, 0);
    agent_options_fini (&o);
    const char *reset[] = { "parley-agent", "--connect=x", "--spool=/s", "--log-level", "info" };
    assert_int_equal (s_parse (&o, 5, reset), AGENT_OPTIONS_RUN);
    agent_options_fini (&o);
}

static void
test_bad_arguments_are_refused (void **state)
{
    static const char *cases[][8] = {
        { "parley-agent", "--spool", "/s", "f" },          /* no --connect */
        { "parley-agent", "--connect", "tcp://a:1", "f" }, /* no --spool */
        { "parley-agent", "--connect", "e", "--spool", "/s", "--batch", "0" },
        { "parley-agent", "--connect", "e", "--spool", "/s", "--batch", "5001" },
        { "parley-agent", "--connect", "e", "--spool", "/s", "--window", "x" },
        { "parley-agent", "--connect", "e", "--spool", "/s", "--fsync", "never" },
        { "parley-agent", "--connect", "e", "--spool", "/s", "--spool-max", "12Q" },
        { "parley-agent", "--connect", "e", "--spool", "/s", "--spool-max", "1K" },
        { "parley-agent", "--connect", "e", "--spool", "/s", "--log-level", "loud" },
        { "parley-agent", "--connect", "e", "--spool", "/s", "--frobnicate" },
        { "parley-agent", "--connect", "e", "--spool", "/s", "-", "-" },
        { "parley-agent", "--connect", "e", "--spool" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int argc = 0;
        while (argc < 8 && cases[i][argc])
            argc++;
        agent_options_t o;
        assert_int_equal (s_parse (&o, argc, cases[i]), AGENT_OPTIONS_BAD);
        agent_options_fini (&o);
    }
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
        cmocka_unit_test (test_tuning_options),
        cmocka_unit_test (test_bad_arguments_are_refused),
        cmocka_unit_test (test_record_round_trip_keeps_source_line_and_bytes),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
