/* config_file: INI files into an options table, and options_parse reading one between the
   defaults and the command line. A test table with a list, a number, a flag, an enum and a
   command-line-only row; each case states the exact outcome. */
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
#include <unistd.h>

#include "cli_capture.h"
#include "config_file.h"
#include "log.h"
#include "options.h"

typedef struct {
    options_list_t input;
    int batch;
    bool follow;
    int log_level;
    bool once;
    const char *spool;
    const char *config;
    bool check_config;
    options_list_t owned;
} t_opts_t;

/* clang-format off */
static const options_def_t s_defs[] = {
    { .name = "input", .arg = "FILE", .type = OPTIONS_STRING, OPTIONS_AT (t_opts_t, input),
      .flags = OPTIONS_REPEATABLE, .help = "an input" },
    { .name = "batch", .arg = "N", .type = OPTIONS_INT, OPTIONS_AT (t_opts_t, batch), .min = 1,
      .max = 64, .def = "8", .help = "batch size" },
    { .name = "follow", .type = OPTIONS_FLAG, OPTIONS_AT (t_opts_t, follow), .help = "follow" },
    OPTIONS_LOG_LEVEL_ROW (t_opts_t, log_level),
    { .name = "once", .type = OPTIONS_FLAG, OPTIONS_AT (t_opts_t, once),
      .flags = OPTIONS_CLI_ONLY, .help = "once" },
    { .name = "spool", .arg = "DIR", .type = OPTIONS_STRING, OPTIONS_AT (t_opts_t, spool),
      .help = "the spool" },
    OPTIONS_CONFIG_ROWS (t_opts_t, config, check_config, "t.conf"),
};
/* clang-format on */

static const options_spec_t s_spec = {
    .program = "t",
    .usage = "t [OPTION]...",
    OPTIONS_TABLE (s_defs),
    .size = sizeof (t_opts_t),
    .config_load = config_file_load,
    .owned_at = OPTIONS_OWNED_AT (t_opts_t, owned),
};

/* Parses text as a config file into a fresh struct (defaults applied first). */
static int
s_parse_text (const char *text, t_opts_t *opts, char *why, size_t whylen)
{
    cli_capture_t c;
    const char *args[] = { "t" };
    cli_capture_begin (&c, 1, args);
    assert_int_equal (options_parse (&s_spec, opts, c.argc, c.argv, c.outf, c.errf, NULL),
                      OPTIONS_RUN);
    cli_capture_end (&c);
    return config_file_parse (&s_spec, opts, text, "t.conf", why, whylen);
}

static void
test_keys_set_the_options_with_comments_blank_lines_and_spaces_kept_inside_values (void **state)
{
    (void)state;
    t_opts_t o;
    char why[512] = "";
    const char *text = "# a comment\n"
                       "; another\n"
                       "\n"
                       "batch = 12\n"
                       "follow = yes\n"
                       "log-level = debug\n"
                       "input =   /srv/feeds/a file with spaces.jsonl   \n"
                       "input=/srv/feeds/b.jsonl\n";
    assert_int_equal (s_parse_text (text, &o, why, sizeof why), 0);
    assert_int_equal (o.batch, 12);
    assert_true (o.follow);
    assert_int_equal (o.log_level, LOG_LEVEL_DEBUG);
    assert_int_equal (o.input.count, 2);
    assert_string_equal (o.input.items[0], "/srv/feeds/a file with spaces.jsonl");
    assert_string_equal (o.input.items[1], "/srv/feeds/b.jsonl");
    options_fini (&s_spec, &o);
}

typedef struct {
    const char *text;
    const char *why;
} t_refusal_t;

static void
test_each_bad_file_is_refused_naming_file_line_and_key (void **state)
{
    (void)state;
    static const t_refusal_t cases[] = {
        { "batch = 4\nbatchh = 3\n", "t.conf line 2: key \"batchh\": unknown key" },
        { "\n\nbatch = 0\n", "t.conf line 3: key \"batch\": expected a whole number from 1 to 64" },
        { "follow = maybe\n", "t.conf line 1: key \"follow\": expected true or false" },
        { "once = true\n", "t.conf line 1: key \"once\": can only be given on the command line" },
        { "config = other.conf\n",
          "t.conf line 1: key \"config\": can only be given on the command line" },
        { "log-level = loud\n",
          "t.conf line 1: key \"log-level\": expected debug, info, warn or error" },
        { "spool =\n", "t.conf line 1: key \"spool\": empty value; expected a non-empty DIR" },
        { "batch = 2\njunk\n", "t.conf line 2: is not a \"key = value\" line, a comment or blank" },
        { "[agent]\nbatch = 2\n",
          "t.conf line 1: a config file has no [sections] (write \"key = value\" lines)" },
        { "batch = 2\n\xff\n", "t.conf line 2: is not valid UTF-8" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        t_opts_t o;
        char why[512] = "";
        assert_int_equal (s_parse_text (cases[i].text, &o, why, sizeof why), -1);
        assert_string_equal (why, cases[i].why);
        options_fini (&s_spec, &o);
    }
}

static void
test_a_line_longer_than_inih_reads_is_refused_not_split (void **state)
{
    (void)state;
    size_t n = 20000;
    char *text = malloc (n + 32);
    strcpy (text, "input = ");
    memset (text + 8, 'a', n);
    strcpy (text + 8 + n, "\n");
    t_opts_t o;
    char why[512] = "";
    assert_int_equal (s_parse_text (text, &o, why, sizeof why), -1);
    assert_non_null (strstr (why, "t.conf line 1: is longer than"));
    assert_int_equal (o.input.count, 0);
    options_fini (&s_spec, &o);
    free (text);
}

/* Writes text to a temporary file; its path in path. */
static void
s_write_file (char *path, size_t len, const char *text)
{
    snprintf (path, len, "/tmp/test_config_file.XXXXXX");
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    assert_int_equal (write (fd, text, strlen (text)), (ssize_t)strlen (text));
    close (fd);
}

static void
test_the_command_line_wins_over_the_file_and_its_first_list_value_replaces_the_files (void **state)
{
    (void)state;
    char path[64];
    s_write_file (path, sizeof path, "batch = 12\nfollow = true\ninput = a\ninput = b\n");
    char flag[128];
    snprintf (flag, sizeof flag, "--config=%s", path);
    /* --config after the options it is read under: still read first. */
    const char *args[] = { "t", "--batch", "3", "--input", "c", flag };
    cli_capture_t c;
    cli_capture_begin (&c, 6, args);
    t_opts_t o;
    assert_int_equal (options_parse (&s_spec, &o, c.argc, c.argv, c.outf, c.errf, NULL),
                      OPTIONS_RUN);
    cli_capture_end (&c);
    assert_int_equal (o.batch, 3);
    assert_true (o.follow);
    assert_int_equal (o.input.count, 1);
    assert_string_equal (o.input.items[0], "c");
    options_fini (&s_spec, &o);

    const char *bare[] = { "t", "--config", path };
    cli_capture_begin (&c, 3, bare);
    assert_int_equal (options_parse (&s_spec, &o, c.argc, c.argv, c.outf, c.errf, NULL),
                      OPTIONS_RUN);
    cli_capture_end (&c);
    assert_int_equal (o.batch, 12);
    assert_int_equal (o.input.count, 2);
    assert_string_equal (o.input.items[1], "b");
    options_fini (&s_spec, &o);
    unlink (path);
}

static void
test_a_bad_file_makes_the_parse_a_usage_error_with_one_line (void **state)
{
    (void)state;
    char path[64];
    s_write_file (path, sizeof path, "batch = 99\n");
    const char *args[] = { "t", "--config", path };
    cli_capture_t c;
    cli_capture_begin (&c, 3, args);
    t_opts_t o;
    options_result_t r = options_parse (&s_spec, &o, c.argc, c.argv, c.outf, c.errf, NULL);
    cli_capture_end (&c);
    assert_int_equal (r, OPTIONS_BAD);
    assert_int_equal (options_exit_code (r), 2);
    char want[256];
    snprintf (want,
              sizeof want,
              "t: %s line 1: key \"batch\": expected a whole number from 1 to 64\n",
              path);
    assert_string_equal (c.err, want);
    unlink (path);

    const char *missing[] = { "t", "--config", "/nonexistent/t.conf" };
    cli_capture_begin (&c, 3, missing);
    r = options_parse (&s_spec, &o, c.argc, c.argv, c.outf, c.errf, NULL);
    cli_capture_end (&c);
    assert_int_equal (r, OPTIONS_BAD);
    assert_string_equal (
      c.err, "t: could not open config file /nonexistent/t.conf: No such file or directory\n");
}

static void
test_the_default_file_is_read_only_when_it_exists_and_an_empty_config_skips_it (void **state)
{
    (void)state;
    char path[64];
    s_write_file (path, sizeof path, "batch = 5\n");
    options_spec_t spec = s_spec;
    spec.config_default = path;
    const char *args[] = { "t" };
    cli_capture_t c;
    cli_capture_begin (&c, 1, args);
    t_opts_t o;
    assert_int_equal (options_parse (&spec, &o, c.argc, c.argv, c.outf, c.errf, NULL), OPTIONS_RUN);
    cli_capture_end (&c);
    assert_int_equal (o.batch, 5);
    options_fini (&spec, &o);

    const char *none[] = { "t", "--config", "" };
    cli_capture_begin (&c, 3, none);
    assert_int_equal (options_parse (&spec, &o, c.argc, c.argv, c.outf, c.errf, NULL), OPTIONS_RUN);
    cli_capture_end (&c);
    assert_int_equal (o.batch, 8);
    options_fini (&spec, &o);

    unlink (path);
    cli_capture_begin (&c, 1, args);
    assert_int_equal (options_parse (&spec, &o, c.argc, c.argv, c.outf, c.errf, NULL), OPTIONS_RUN);
    cli_capture_end (&c);
    assert_int_equal (o.batch, 8);
    options_fini (&spec, &o);
}

typedef struct {
    char names[8][32];
    char olds[8][64];
    char news[8][64];
    int n;
} t_diffs_t;

static void
s_collect (const options_def_t *def, const char *old_text, const char *new_text, void *ctx)
{
    t_diffs_t *d = ctx;
    snprintf (d->names[d->n], sizeof d->names[d->n], "%s", def->name);
    snprintf (d->olds[d->n], sizeof d->olds[d->n], "%s", old_text);
    snprintf (d->news[d->n], sizeof d->news[d->n], "%s", new_text);
    d->n++;
}

static void
test_diff_names_each_changed_key_and_take_reloadable_moves_only_those (void **state)
{
    (void)state;
    t_opts_t a, b;
    char why[512];
    assert_int_equal (s_parse_text ("batch = 4\ninput = x\n", &a, why, sizeof why), 0);
    assert_int_equal (
      s_parse_text ("batch = 6\ninput = x\ninput = y z\nlog-level = error\n", &b, why, sizeof why),
      0);
    t_diffs_t d = { .n = 0 };
    assert_int_equal (options_diff (&s_spec, &a, &b, s_collect, &d), 3);
    assert_string_equal (d.names[0], "input");
    assert_string_equal (d.olds[0], "x");
    assert_string_equal (d.news[0], "x, y z");
    assert_string_equal (d.names[1], "batch");
    assert_string_equal (d.olds[1], "4");
    assert_string_equal (d.news[1], "6");
    assert_string_equal (d.names[2], "log-level");
    assert_string_equal (d.olds[2], "info");
    assert_string_equal (d.news[2], "error");
    options_take_reloadable (&s_spec, &a, &b);
    options_fini (&s_spec, &b);
    assert_int_equal (a.log_level, LOG_LEVEL_ERROR); /* reloadable: taken */
    assert_int_equal (a.batch, 4);                   /* needs a restart: kept */
    assert_int_equal (a.input.count, 1);
    options_fini (&s_spec, &a);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (
          test_keys_set_the_options_with_comments_blank_lines_and_spaces_kept_inside_values),
        cmocka_unit_test (test_each_bad_file_is_refused_naming_file_line_and_key),
        cmocka_unit_test (test_a_line_longer_than_inih_reads_is_refused_not_split),
        cmocka_unit_test (
          test_the_command_line_wins_over_the_file_and_its_first_list_value_replaces_the_files),
        cmocka_unit_test (test_a_bad_file_makes_the_parse_a_usage_error_with_one_line),
        cmocka_unit_test (
          test_the_default_file_is_read_only_when_it_exists_and_an_empty_config_skips_it),
        cmocka_unit_test (test_diff_names_each_changed_key_and_take_reloadable_moves_only_those),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
