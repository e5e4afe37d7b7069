/* parley's command line: its table over common/options, the command and its arguments
   wherever the options stand, the bits of the options given, and --help's commands. */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli_capture.h"
#include "commands.h"
#include "query_options.h"
#include "render.h"

/* The last parse's arguments and output (the options borrow its strings). */
static cli_capture_t s_cli;

/* What query_main.c passes: the commands before the options. */
static void
s_help_commands (FILE *out)
{
    fputs ("Commands:\n", out);
    commands_help (out);
}

/* Parses a NULL-terminated argument list (program name first). */
static options_result_t
s_parse (query_options_t *opts, const char *const *args)
{
    cli_capture_begin (&s_cli, cli_capture_count (args), args);
    options_result_t r =
      query_options_parse (opts, s_cli.argc, s_cli.argv, s_help_commands, s_cli.outf, s_cli.errf);
    cli_capture_end (&s_cli);
    if (r == OPTIONS_RUN)
        assert_string_equal (s_cli.err, "");
    return r;
}

/* A refusal is exit status 2 and one line on stderr, starting "parley: " and naming what. */
static void
s_assert_refused (const char *const *args, const char *names)
{
    query_options_t o;
    options_result_t r = s_parse (&o, args);
    assert_int_equal (r, OPTIONS_BAD);
    assert_int_equal (options_exit_code (r), 2);
    assert_string_equal (s_cli.out, "");
    assert_int_equal (strncmp (s_cli.err, "parley: ", 8), 0);
    assert_non_null (strstr (s_cli.err, names));
    assert_ptr_equal (strchr (s_cli.err, '\n'), s_cli.err + strlen (s_cli.err) - 1);
}

static void
test_defaults_with_no_options_and_no_command (void **state)
{
    (void)state;
    query_options_t o;
    const char *args[] = { "parley", NULL };
    assert_int_equal (s_parse (&o, args), OPTIONS_RUN);
    assert_null (o.command);
    assert_null (o.db);
    assert_int_equal (o.format, RENDER_TABLE);
    assert_int_equal (o.limit, 0);
    assert_int_equal (o.given, 0);
    assert_int_equal (o.nargs, 0);
}

static void
test_options_before_and_after_the_command_are_the_same (void **state)
{
    (void)state;
    const char *before[] = { "parley",   "--format",     "csv",         "-d",
                             "dbname=x", "constituency", "Bolton West", NULL };
    const char *after[] = { "parley", "constituency", "Bolton West", "--format=csv",
                            "-d",     "dbname=x",     NULL };
    const char *between[] = { "parley",        "-fcsv",       "constituency",
                              "--db=dbname=x", "Bolton West", NULL };
    const char *const *lines[] = { before, after, between };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        query_options_t o;
        assert_int_equal (s_parse (&o, lines[i]), OPTIONS_RUN);
        assert_string_equal (o.command, "constituency");
        assert_int_equal (o.nargs, 1);
        assert_string_equal (o.args[0], "Bolton West");
        assert_int_equal (o.format, RENDER_CSV);
        assert_string_equal (o.db, "dbname=x");
        assert_int_equal (o.given, QOPT_DB | QOPT_FORMAT);
    }
}

static void
test_the_arguments_after_the_command_keep_their_order (void **state)
{
    (void)state;
    query_options_t o;
    const char *args[] = { "parley", "mps", "--db", "x", "load", "mps.csv", NULL };
    assert_int_equal (s_parse (&o, args), OPTIONS_RUN);
    assert_string_equal (o.command, "mps");
    assert_int_equal (o.nargs, 2);
    assert_string_equal (o.args[0], "load");
    assert_string_equal (o.args[1], "mps.csv");
}

/* Each option sets its own bit and nothing else, so the command table can tell which
   were given. */
static void
test_each_option_sets_its_own_bit (void **state)
{
    (void)state;
    static const struct {
        const char *option, *value;
        unsigned bit;
    } rows[] = {
        { "--db", "dbname=x", QOPT_DB },
        { "--format", "json", QOPT_FORMAT },
        { "--region", "North West", QOPT_REGION },
        { "--stance", "sceptical", QOPT_STANCE },
        { "--by", "2027-06-30", QOPT_BY },
        { "--html", "r.html", QOPT_HTML },
        { "--limit", "5", QOPT_LIMIT },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        query_options_t o;
        const char *args[] = { "parley", "progress", rows[i].option, rows[i].value, NULL };
        assert_int_equal (s_parse (&o, args), OPTIONS_RUN);
        assert_int_equal (o.given, rows[i].bit);
        assert_string_equal (options_name (&query_options_spec, rows[i].bit), rows[i].option + 2);
    }
    query_options_t o;
    const char *all[] = { "parley", "-d",       "x",        "-f",     "json",       "--region",
                          "wales",  "--stance", "champion", "--by",   "2027-01-01", "--html",
                          "r.html", "--limit",  "12",       "report", NULL };
    assert_int_equal (s_parse (&o, all), OPTIONS_RUN);
    assert_int_equal (o.given,
                      QOPT_DB | QOPT_FORMAT | QOPT_REGION | QOPT_STANCE | QOPT_BY | QOPT_HTML |
                        QOPT_LIMIT);
    assert_int_equal (o.format, RENDER_JSON);
    assert_string_equal (o.region, "wales");
    assert_string_equal (o.stance, "champion");
    assert_string_equal (o.by, "2027-01-01");
    assert_string_equal (o.html, "r.html");
    assert_int_equal (o.limit, 12);
    assert_null (options_name (&query_options_spec, 1u << 20));
}

static void
test_limit_reaches_long_max (void **state)
{
    (void)state;
    char max[32];
    snprintf (max, sizeof max, "%ld", LONG_MAX);
    query_options_t o;
    const char *args[] = { "parley", "topics", "--limit", max, NULL };
    assert_int_equal (s_parse (&o, args), OPTIONS_RUN);
    assert_int_equal (o.limit, LONG_MAX);
}

/* As before the table: an empty string is the command's to judge (an empty --region
   matches no region, at run time). */
static void
test_empty_strings_are_values (void **state)
{
    (void)state;
    query_options_t o;
    const char *args[] = { "parley", "gaps", "--region", "",       "--db", "",  "--stance",
                           "",       "--by", "",         "--html", "",     NULL };
    assert_int_equal (s_parse (&o, args), OPTIONS_RUN);
    assert_string_equal (o.region, "");
    assert_string_equal (o.db, "");
    assert_int_equal (o.given, QOPT_REGION | QOPT_DB | QOPT_STANCE | QOPT_BY | QOPT_HTML);
}

static void
test_a_bad_format_is_bad_usage_naming_the_formats (void **state)
{
    (void)state;
    const char *xml[] = { "parley", "progress", "--format", "xml", NULL };
    s_assert_refused (xml, "table, csv, json or xlsx-csv");
    const char *empty[] = { "parley", "progress", "-f", "", NULL };
    s_assert_refused (empty, "--format");
    const char *missing[] = { "parley", "progress", "--format", NULL };
    s_assert_refused (missing, "--format");
}

static void
test_other_bad_command_lines_are_bad_usage (void **state)
{
    (void)state;
    const char *zero[] = { "parley", "topics", "--limit", "0", NULL };
    s_assert_refused (zero, "--limit");
    const char *words[] = { "parley", "topics", "--limit", "ten", NULL };
    s_assert_refused (words, "--limit");
    const char *unknown[] = { "parley", "progress", "--bogus", NULL };
    s_assert_refused (unknown, "--bogus");
    const char *letter[] = { "parley", "-x", "progress", NULL };
    s_assert_refused (letter, "-x");
}

static void
test_help_lists_the_commands_before_the_options (void **state)
{
    (void)state;
    query_options_t o;
    const char *args[] = { "parley", "progress", "--help", NULL };
    options_result_t r = s_parse (&o, args);
    assert_int_equal (r, OPTIONS_DONE);
    assert_int_equal (options_exit_code (r), 0);
    assert_string_equal (s_cli.err, "");
    const char *commands = strstr (s_cli.out, "\nCommands:\n");
    const char *options = strstr (s_cli.out, "\nOptions:\n");
    assert_non_null (commands);
    assert_non_null (options);
    assert_true (commands < options);
    static const char *const names[] = { "progress", "constituency", "gaps",   "constituencies",
                                         "regions",  "topics",       "export", "target",
                                         "mps load", "report" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char line[64];
        snprintf (line, sizeof line, "\n  %s ", names[i]);
        const char *at = strstr (s_cli.out, line);
        assert_non_null (at);
        assert_true (at > commands && at < options);
    }
    for (size_t i = 0; i < query_options_spec.ndefs; i++) {
        char option[64];
        snprintf (option, sizeof option, "--%s ", query_options_spec.defs[i].name);
        assert_non_null (strstr (options, option));
    }
    assert_non_null (strstr (s_cli.out, "Usage: parley "));
    assert_non_null (strstr (s_cli.out, "Exit status: "));
}

static void
test_version (void **state)
{
    (void)state;
    query_options_t o;
    const char *args[] = { "parley", "--version", NULL };
    assert_int_equal (s_parse (&o, args), OPTIONS_DONE);
    assert_string_equal (s_cli.out, "parley " PARLEY_VERSION "\n");
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_defaults_with_no_options_and_no_command),
        cmocka_unit_test (test_options_before_and_after_the_command_are_the_same),
        cmocka_unit_test (test_the_arguments_after_the_command_keep_their_order),
        cmocka_unit_test (test_each_option_sets_its_own_bit),
        cmocka_unit_test (test_limit_reaches_long_max),
        cmocka_unit_test (test_empty_strings_are_values),
        cmocka_unit_test (test_a_bad_format_is_bad_usage_naming_the_formats),
        cmocka_unit_test (test_other_bad_command_lines_are_bad_usage),
        cmocka_unit_test (test_help_lists_the_commands_before_the_options),
        cmocka_unit_test (test_version),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
