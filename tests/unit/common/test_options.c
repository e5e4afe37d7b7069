/* options: one table drives parsing, defaults, --help and config-file keys. A test
   program's table uses every type and flag; each case states the exact outcome. */
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
#include <stdlib.h>
#include <string.h>

#include "cli_capture.h"
#include "log.h"
#include "options.h"

typedef struct {
    bool verbose;
    bool once;
    int count;
    uint64_t cap;
    const char *dir;
    const char *label;
    int mode;
    options_list_t peer;
    const char *listen;
    int log_level;
    long limit;
    unsigned given;
} t_opts_t;

enum { T_COUNT = 1u << 0, T_MODE = 1u << 1, T_LABEL = 1u << 2, T_PEER = 1u << 3 };

static const char *const s_modes[] = { "fast", "safe", "paranoid", NULL };

static const options_def_t s_defs[] = {
    { .name = "verbose",
      .short_name = 'v',
      .type = OPTIONS_FLAG,
      OPTIONS_AT (t_opts_t, verbose),
      .help = "say more" },
    { .name = "once",
      .type = OPTIONS_FLAG,
      OPTIONS_AT (t_opts_t, once),
      .flags = OPTIONS_CLI_ONLY,
      .help = "run once" },
    { .name = "count",
      .short_name = 'n',
      .arg = "N",
      .type = OPTIONS_INT,
      OPTIONS_AT (t_opts_t, count),
      .min = 1,
      .max = 10,
      .def = "3",
      .bit = T_COUNT,
      .help = "how many" },
    { .name = "cap",
      .arg = "BYTES",
      .type = OPTIONS_SIZE,
      OPTIONS_AT (t_opts_t, cap),
      .min = 4096,
      .def = "1M",
      .help = "how much" },
    { .name = "dir",
      .short_name = 'd',
      .arg = "DIR",
      .type = OPTIONS_STRING,
      OPTIONS_AT (t_opts_t, dir),
      .flags = OPTIONS_REQUIRED,
      .help = "where" },
    { .name = "label",
      .arg = "TEXT",
      .type = OPTIONS_STRING,
      OPTIONS_AT (t_opts_t, label),
      .flags = OPTIONS_EMPTY_OK,
      .bit = T_LABEL,
      .help = "what to call it" },
    { .name = "mode",
      .arg = "MODE",
      .type = OPTIONS_ENUM,
      OPTIONS_AT (t_opts_t, mode),
      .choices = s_modes,
      .def = "safe",
      .bit = T_MODE,
      .help = "how" },
    { .name = "peer",
      .short_name = 'p',
      .arg = "ENDPOINT",
      .type = OPTIONS_CONNECT,
      OPTIONS_AT (t_opts_t, peer),
      .flags = OPTIONS_REPEATABLE | OPTIONS_RELOADABLE,
      .max = 3,
      .def = "tcp://default:1",
      .bit = T_PEER,
      .help = "whom to call" },
    { .name = "listen",
      .arg = "ENDPOINT",
      .type = OPTIONS_BIND,
      OPTIONS_AT (t_opts_t, listen),
      .def = "tcp://*:5570",
      .help = "where to answer" },
    OPTIONS_LOG_LEVEL_ROW (t_opts_t, log_level),
    { .name = "limit",
      .arg = "N",
      .type = OPTIONS_INT,
      OPTIONS_AT (t_opts_t, limit),
      .min = 1,
      .max = LONG_MAX,
      .help = "at most N rows" },
};

static void
s_more (FILE *out)
{
    fputs ("Commands:\n  frob   frobnicate\n", out);
}

static const options_spec_t s_spec = {
    .program = "test",
    .usage = "test --dir DIR [OPTION...] [FILE...]",
    .about = "test: exercises the options module.",
    .operands = "FILE is anything.",
    .epilog = "Exit status: 0, 1 or 2.",
    .help_more = s_more,
    .defs = s_defs,
    .ndefs = sizeof s_defs / sizeof s_defs[0],
    .size = sizeof (t_opts_t),
    .given_at = OPTIONS_GIVEN_AT (t_opts_t, given),
};

typedef struct {
    options_result_t result;
    int operands;
    cli_capture_t cli; /* the arguments (which the options borrow) and the output */
} t_run_t;

/* Parses args (NULL-terminated) with spec, capturing out and err. */
static void
s_parse_with (const options_spec_t *spec, t_run_t *r, void *o, const char *const *args)
{
    cli_capture_begin (&r->cli, cli_capture_count (args), args);
    r->operands = -1;
    r->result =
      options_parse (spec, o, r->cli.argc, r->cli.argv, r->cli.outf, r->cli.errf, &r->operands);
    cli_capture_end (&r->cli);
}

static void
s_parse (t_run_t *r, t_opts_t *o, const char *const *args)
{
    s_parse_with (&s_spec, r, o, args);
}

#define ARGS(...) ((const char *const[]){ "test", __VA_ARGS__, NULL })

static void
test_defaults_are_applied_from_the_table (void **state)
{
    t_run_t r;
    t_opts_t o;
    memset (&o, 0x5a, sizeof o); /* parse must not rely on a zeroed struct */
    s_parse (&r, &o, ARGS ("--dir", "d"));
    assert_int_equal (r.result, OPTIONS_RUN);
    assert_false (o.verbose);
    assert_false (o.once);
    assert_int_equal (o.count, 3);
    assert_int_equal (o.cap, 1u << 20);
    assert_string_equal (o.dir, "d");
    assert_null (o.label);
    assert_int_equal (o.mode, 1);
    assert_int_equal (o.peer.count, 1);
    assert_string_equal (o.peer.items[0], "tcp://default:1");
    assert_string_equal (o.listen, "tcp://*:5570");
    assert_int_equal (o.log_level, LOG_LEVEL_INFO);
    assert_int_equal (o.given, 0);
    assert_int_equal (r.operands, r.cli.argc);
    assert_string_equal (r.cli.err, "");
    assert_string_equal (r.cli.out, "");
    options_fini (&s_spec, &o);
    assert_null (o.peer.items);
    assert_int_equal (o.peer.count, 0);
    options_fini (&s_spec, &o); /* twice is harmless */
}

/* Good command lines and what each sets. */
static void
test_good_command_lines_set_every_type (void **state)
{
    static const struct {
        const char *args[16];
        bool verbose;
        int count;
        uint64_t cap;
        const char *label;
        int mode;
        const char *peers[3];
        const char *listen;
        int log_level;
        unsigned given;
    } cases[] = {
        { { "test", "-d", "d", "-v", "-n", "10", NULL },
          true,
          10,
          1u << 20,
          NULL,
          1,
          { "tcp://default:1" },
          "tcp://*:5570",
          1,
          T_COUNT },
        { { "test", "--dir=d", "--count=1", "--cap", "4K", "--mode", "paranoid", NULL },
          false,
          1,
          4096,
          NULL,
          2,
          { "tcp://default:1" },
          "tcp://*:5570",
          1,
          T_COUNT | T_MODE },
        { { "test", "-vd", "d", "-n7", "--cap", "2GiB", "--label", "", NULL },
          true,
          7,
          2ull << 30,
          "",
          1,
          { "tcp://default:1" },
          "tcp://*:5570",
          1,
          T_COUNT | T_LABEL },
        { { "test",
            "-d",
            "d",
            "--peer",
            "tcp://a:1",
            "-p",
            "ipc:///b",
            "--peer=tcp://[::1]:3",
            NULL },
          false,
          3,
          1u << 20,
          NULL,
          1,
          { "tcp://a:1", "ipc:///b", "tcp://[::1]:3" },
          "tcp://*:5570",
          1,
          T_PEER },
        { { "test", "-d", "d", "--listen", "tcp://127.0.0.1:*", "--log-level", "error", NULL },
          false,
          3,
          1u << 20,
          NULL,
          1,
          { "tcp://default:1" },
          "tcp://127.0.0.1:*",
          3,
          0 },
        /* a later value of a single-valued option wins; a unique prefix is the option */
        { { "test", "-d", "d", "--count", "2", "--cou", "5", "--mode", "fast", NULL },
          false,
          5,
          1u << 20,
          NULL,
          0,
          { "tcp://default:1" },
          "tcp://*:5570",
          1,
          T_COUNT | T_MODE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        t_run_t r;
        t_opts_t o;
        s_parse (&r, &o, cases[i].args);
        if (r.result != OPTIONS_RUN)
            fail_msg ("case %zu: %d, %s", i, r.result, r.cli.err);
        assert_string_equal (r.cli.err, "");
        assert_int_equal (o.verbose, cases[i].verbose);
        assert_int_equal (o.count, cases[i].count);
        assert_int_equal (o.cap, cases[i].cap);
        if (cases[i].label)
            assert_string_equal (o.label, cases[i].label);
        else
            assert_null (o.label);
        assert_int_equal (o.mode, cases[i].mode);
        size_t npeers = 0;
        while (npeers < 3 && cases[i].peers[npeers])
            npeers++;
        assert_int_equal (o.peer.count, npeers);
        for (size_t k = 0; k < npeers; k++)
            assert_string_equal (o.peer.items[k], cases[i].peers[k]);
        assert_string_equal (o.listen, cases[i].listen);
        assert_int_equal (o.log_level, cases[i].log_level);
        assert_int_equal (o.given, cases[i].given);
        options_fini (&s_spec, &o);
    }
}

/* Every bad command line: OPTIONS_BAD, nothing on out, and exactly this one line on err. */
static void
test_bad_command_lines_say_exactly_what_is_wrong (void **state)
{
    static const struct {
        const char *args[12];
        const char *err;
    } cases[] = {
        { { "test", "-d", "d", "--count", "0" },
          "test: invalid --count \"0\" (expected a whole number from 1 to 10)\n" },
        { { "test", "-d", "d", "--count", "11" },
          "test: invalid --count \"11\" (expected a whole number from 1 to 10)\n" },
        { { "test", "-d", "d", "-n", "3x" },
          "test: invalid --count \"3x\" (expected a whole number from 1 to 10)\n" },
        { { "test", "-d", "d", "--count", "" },
          "test: --count needs a value (expected a whole number from 1 to 10)\n" },
        { { "test", "-d", "d", "--cap", "2K" },
          "test: invalid --cap \"2K\" (expected a size of at least 4K bytes, e.g. 512M or 1G; K, "
          "M, G and T are powers of 1024)\n" },
        { { "test", "-d", "d", "--cap", "12Q" },
          "test: invalid --cap \"12Q\" (expected a size of at least 4K bytes, e.g. 512M or 1G; K, "
          "M, G and T are powers of 1024)\n" },
        { { "test", "-d", "d", "--mode", "turbo" },
          "test: invalid --mode \"turbo\" (expected fast, safe or paranoid)\n" },
        { { "test", "-d", "d", "--mode", "Fast" },
          "test: invalid --mode \"Fast\" (expected fast, safe or paranoid)\n" },
        { { "test", "-d", "d", "--log-level", "loud" },
          "test: invalid --log-level \"loud\" (expected debug, info, warn or error)\n" },
        { { "test", "-d", "d", "--peer", "127.0.0.1:5570" },
          "test: invalid --peer \"127.0.0.1:5570\": no scheme (expected tcp://HOST:PORT or "
          "ipc://PATH)\n" },
        { { "test", "-d", "d", "-p", "tcp://*:5570" },
          "test: invalid --peer \"tcp://*:5570\": host * can only be bound, not connected to "
          "(expected tcp://HOST:PORT or ipc://PATH)\n" },
        { { "test", "-d", "d", "--peer", "" },
          "test: --peer needs an endpoint (expected tcp://HOST:PORT or ipc://PATH)\n" },
        { { "test", "-d", "d", "--listen", "tcp://*:0" },
          "test: invalid --listen \"tcp://*:0\": the port is not a number from 1 to 65535, or * "
          "(expected tcp://HOST:PORT or ipc://PATH; HOST may be * for every interface, PORT * for "
          "a free port)\n" },
        { { "test", "-d", "" }, "test: --dir needs a value (expected a non-empty DIR)\n" },
        { { "test", "--dir" }, "test: option --dir needs an argument (DIR)\n" },
        { { "test", "-d" }, "test: option -d needs an argument (DIR)\n" },
        { { "test", "-d", "d", "--bogus" },
          "test: unknown option \"--bogus\" (see test --help)\n" },
        { { "test", "-d", "d", "--bogus=1" },
          "test: unknown option \"--bogus=1\" (see test --help)\n" },
        { { "test", "-d", "d", "-vx" }, "test: unknown option \"-x\" (see test --help)\n" },
        { { "test", "-d", "d", "--verbose=yes" }, "test: option --verbose takes no argument\n" },
        { { "test", "--help=x" }, "test: option --help takes no argument\n" },
        { { "test", "-v" }, "test: --dir DIR is required\n" },
        { { "test", "-d", "d", "-p", "tcp://a:1", "-p", "tcp://a:2", "-p", "tcp://a:3", "-p" },
          "test: option -p needs an argument (ENDPOINT)\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        t_run_t r;
        t_opts_t o;
        s_parse (&r, &o, cases[i].args);
        if (r.result != OPTIONS_BAD || strcmp (r.cli.err, cases[i].err) != 0)
            fail_msg (
              "case %zu: result %d, err \"%s\", want \"%s\"", i, r.result, r.cli.err, cases[i].err);
        assert_string_equal (r.cli.out, "");
        options_fini (&s_spec, &o);
    }
}

/* An OPTIONS_INT row may write a long, for ranges past an int. */
static void
test_a_long_takes_the_whole_range (void **state)
{
    t_run_t r;
    t_opts_t o;
    s_parse (&r, &o, ARGS ("-d", "d", "--limit", "9999999999"));
    assert_int_equal (r.result, OPTIONS_RUN);
    assert_int_equal (o.limit, 9999999999L);
    assert_int_equal (o.log_level, LOG_LEVEL_INFO); /* the member after it is untouched */
    options_fini (&s_spec, &o);
    s_parse (&r, &o, ARGS ("-d", "d", "--limit", "0"));
    assert_int_equal (r.result, OPTIONS_BAD);
    assert_string_equal (
      r.cli.err,
      "test: invalid --limit \"0\" (expected a whole number from 1 to 9223372036854775807)\n");
    s_parse (&r, &o, ARGS ("-d", "d", "--limit", "9223372036854775808"));
    assert_int_equal (r.result, OPTIONS_BAD);
}

static void
test_a_repeatable_option_keeps_order_up_to_its_limit (void **state)
{
    t_run_t r;
    t_opts_t o;
    s_parse (&r, &o, ARGS ("-d", "d", "-p", "tcp://a:1", "-p", "tcp://b:2", "-p", "tcp://c:3"));
    assert_int_equal (r.result, OPTIONS_RUN);
    /* the command line's values replace the default rather than adding to it */
    assert_int_equal (o.peer.count, 3);
    assert_string_equal (o.peer.items[0], "tcp://a:1");
    assert_string_equal (o.peer.items[2], "tcp://c:3");
    options_fini (&s_spec, &o);
    s_parse (
      &r,
      &o,
      ARGS ("-d", "d", "-p", "tcp://a:1", "-p", "tcp://b:2", "-p", "tcp://c:3", "-p", "tcp://d:4"));
    assert_int_equal (r.result, OPTIONS_BAD);
    assert_string_equal (r.cli.err, "test: too many --peer options (at most 3)\n");
    /* after a refusal there is nothing left to free */
    assert_null (o.peer.items);
    assert_int_equal (o.peer.count, 0);
    options_fini (&s_spec, &o);
}

static void
test_operands_may_stand_among_the_options (void **state)
{
    t_run_t r;
    t_opts_t o;
    s_parse (&r, &o, ARGS ("a", "--count", "2", "b", "-d", "d", "--", "--mode"));
    assert_int_equal (r.result, OPTIONS_RUN);
    assert_int_equal (o.count, 2);
    assert_int_equal (o.mode, 1); /* after "--", "--mode" is an operand */
    assert_int_equal (r.cli.argc - r.operands, 3);
    assert_string_equal (r.cli.argv[r.operands], "a");
    assert_string_equal (r.cli.argv[r.operands + 1], "b");
    assert_string_equal (r.cli.argv[r.operands + 2], "--mode");
    options_fini (&s_spec, &o);

    /* "" takes operands without a paragraph on them in --help (the query CLI's commands
       are listed by help_more) */
    options_spec_t quiet = s_spec;
    quiet.operands = "";
    s_parse_with (&quiet, &r, &o, ARGS ("-d", "d", "x"));
    assert_int_equal (r.result, OPTIONS_RUN);
    assert_string_equal (r.cli.argv[r.operands], "x");
    options_fini (&quiet, &o);
    s_parse_with (&quiet, &r, &o, ARGS ("--help"));
    assert_int_equal (r.result, OPTIONS_DONE);
    assert_null (strstr (r.cli.out, "FILE is anything"));
    assert_non_null (strstr (r.cli.out, "[FILE...]\n\nCommands:\n  frob"));

    options_spec_t none = s_spec;
    none.operands = NULL;
    s_parse_with (&none, &r, &o, ARGS ("-d", "d", "extra"));
    assert_int_equal (r.result, OPTIONS_BAD);
    assert_string_equal (r.cli.err, "test: unexpected argument \"extra\" (see test --help)\n");
    options_fini (&none, &o);
}

/* glibc keeps its place inside a cluster of short options between calls unless optind is
   set to 0: a parse that stopped in "-vx" must not leak into the next one. */
static void
test_parsing_again_starts_afresh (void **state)
{
    for (int round = 0; round < 3; round++) {
        t_run_t r;
        t_opts_t o;
        s_parse (&r, &o, ARGS ("-d", "d", "-vxn", "4"));
        assert_int_equal (r.result, OPTIONS_BAD);
        options_fini (&s_spec, &o);
        s_parse (&r, &o, ARGS ("-n", "4", "-d", "d2"));
        assert_int_equal (r.result, OPTIONS_RUN);
        assert_int_equal (o.count, 4);
        assert_string_equal (o.dir, "d2");
        assert_false (o.verbose);
        options_fini (&s_spec, &o);
    }
}

static void
test_help_lists_every_option_its_default_and_limits (void **state)
{
    t_run_t r;
    t_opts_t o;
    s_parse (&r, &o, ARGS ("-d", "d", "--help", "--bogus"));
    assert_int_equal (r.result, OPTIONS_DONE);
    assert_string_equal (r.cli.err, "");
    static const char *const want[] = {
        "test: exercises the options module.\n\nUsage: test --dir DIR [OPTION...] [FILE...]\n",
        "\nFILE is anything.\n",
        "Commands:\n  frob   frobnicate\n",
        "\nOptions:\n",
        "  -v, --verbose ",
        "      --once ",
        "  -n, --count N ",
        "how many (1 to 10; default 3)",
        "      --cap BYTES ",
        "how much (K, M, G, T suffixes; at least 4K; default 1M)",
        "  -d, --dir DIR ",
        "where (required)",
        "      --label TEXT ",
        "      --mode MODE ",
        "how (fast, safe or paranoid; default safe)",
        "  -p, --peer ENDPOINT ",
        "whom to call (tcp://HOST:PORT or ipc://PATH; default tcp://default:1; repeatable, at most "
        "3)",
        "      --listen ENDPOINT ",
        "default tcp://*:5570)",
        "      --log-level LEVEL ",
        "(debug, info, warn or error; default info)",
        "      --limit N ",
        "at most N rows (1 to 9223372036854775807)",
        "  -h, --help ",
        "show this help and exit",
        "  -V, --version ",
        "show the version and exit",
        "\nExit status: 0, 1 or 2.\n",
    };
    /* Wrapped lines are joined again to find each phrase. */
    char joined[sizeof r.cli.out];
    size_t n = 0;
    for (const char *p = r.cli.out; *p; p++) {
        if (p[0] == '\n' && p[1] == ' ' && n > 0 && joined[n - 1] != '\n' &&
            strspn (p + 1, " ") > 10) {
            joined[n++] = ' ';
            p += strspn (p + 1, " ");
            continue;
        }
        joined[n++] = *p;
    }
    joined[n] = '\0';
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr (joined, want[i]))
            fail_msg ("--help lacks \"%s\":\n%s", want[i], r.cli.out);
    for (const char *line = r.cli.out; *line;) {
        size_t len = strcspn (line, "\n");
        if (len > 80)
            fail_msg ("a line of --help is %zu columns wide: %.*s", len, (int)len, line);
        line += len + (line[len] == '\n');
    }
    options_fini (&s_spec, &o);
}

static void
test_version_prints_program_and_version (void **state)
{
    t_run_t r;
    t_opts_t o;
    s_parse (&r, &o, ARGS ("-V"));
    assert_int_equal (r.result, OPTIONS_DONE);
    assert_string_equal (r.cli.out, "test " PARLEY_VERSION "\n");
    options_fini (&s_spec, &o);
    s_parse (&r, &o, ARGS ("--version"));
    assert_int_equal (r.result, OPTIONS_DONE);
    assert_string_equal (r.cli.out, "test " PARLEY_VERSION "\n");
    options_fini (&s_spec, &o);
}

/* options_set is what a config-file loader calls for each key. */
static void
test_keys_are_set_through_the_same_checks (void **state)
{
    t_run_t r;
    t_opts_t o;
    s_parse (&r, &o, ARGS ("-d", "d"));
    assert_int_equal (r.result, OPTIONS_RUN);
    char why[256];
    static const struct {
        const char *key, *text, *why;
    } cases[] = {
        { "count", "7", NULL },
        { "verbose", "yes", NULL },
        { "label", "", NULL },
        { "mode", "fast", NULL },
        { "peer", "tcp://x:9", NULL },
        { "count", "70", "expected a whole number from 1 to 10" },
        { "verbose", "maybe", "expected true or false" },
        { "peer", "x:9", "no scheme; expected tcp://HOST:PORT or ipc://PATH" },
        { "peer", "tcp://y:9", NULL },
        { "peer", "tcp://z:9", "given more than 3 times" },
        { "once", "true", "can only be given on the command line" },
        { "nosuch", "1", "unknown key" },
        { "verbose", "off", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        why[0] = '\0';
        int rc = options_set (&s_spec, &o, cases[i].key, cases[i].text, why, sizeof why);
        if (rc != (cases[i].why ? -1 : 0) || (cases[i].why && strcmp (why, cases[i].why) != 0))
            fail_msg ("case %zu (%s = %s): %d \"%s\"", i, cases[i].key, cases[i].text, rc, why);
    }
    assert_int_equal (o.count, 7);
    assert_false (o.verbose);
    assert_string_equal (o.label, "");
    assert_int_equal (o.mode, 0);
    assert_int_equal (o.peer.count, 3); /* the default, then two keys */
    assert_string_equal (o.peer.items[2], "tcp://y:9");
    assert_int_equal (o.given, T_COUNT | T_LABEL | T_MODE | T_PEER);
    options_fini (&s_spec, &o);
}

static void
test_options_are_named_by_their_bit (void **state)
{
    assert_string_equal (options_name (&s_spec, T_COUNT), "count");
    assert_string_equal (options_name (&s_spec, T_PEER), "peer");
    assert_null (options_name (&s_spec, 1u << 20));
    assert_null (options_name (&s_spec, 0));
}

typedef struct {
    bool flag;
    int n;
    long l;
    const char *s;
} t_small_t;

/* A table that would write the wrong member, or clash with another row, is refused before
   anything is parsed. */
static void
test_a_broken_table_is_refused (void **state)
{
#define S_SMALL(member) OPTIONS_AT (t_small_t, member)
#define S_FLAG(n, letter)                                                                          \
    {                                                                                              \
        .name = n, .short_name = letter, .type = OPTIONS_FLAG, S_SMALL (flag), .help = "h"         \
    }
#define S_INT(member, lo, hi, d)                                                                   \
    {                                                                                              \
        .name = "n", .arg = "N", .type = OPTIONS_INT, S_SMALL (member), .min = lo, .max = hi,      \
        .def = d, .help = "h"                                                                      \
    }
#define S_TABLE_BUG(what) "test: option table: " what " (a bug)\n"
    /* clang-format off */
    static const struct {
        options_def_t defs[2];
        const char *err;
    } cases[] = {
        { { S_INT (flag, 0, 1, NULL) },
          S_TABLE_BUG ("--n: the member is not of the row's type (use OPTIONS_AT)") },
        { { { .name = "s", .arg = "S", .type = OPTIONS_STRING, S_SMALL (s),
              .flags = OPTIONS_REPEATABLE, .help = "h" } },
          S_TABLE_BUG ("--s: the member is not of the row's type (use OPTIONS_AT)") },
        { { { .name = "e", .arg = "E", .type = OPTIONS_ENUM, S_SMALL (l), .choices = s_modes,
              .help = "h" } },
          S_TABLE_BUG ("--e: the member is not of the row's type (use OPTIONS_AT)") },
        { { S_FLAG ("f", 0), S_FLAG ("f", 0) }, S_TABLE_BUG ("--f: two rows have this name") },
        { { S_FLAG ("f", 'x'), S_FLAG ("g", 'x') },
          S_TABLE_BUG ("--g: two rows have this short letter") },
        { { S_FLAG ("f", 'h') }, S_TABLE_BUG ("--f: -h and -V are --help and --version") },
        { { S_FLAG ("version", 0) }, S_TABLE_BUG ("--version: --help and --version are built in") },
        { { { .name = "f", .arg = "X", .type = OPTIONS_FLAG, S_SMALL (flag), .help = "h" } },
          S_TABLE_BUG ("--f: a flag has no argument name, and only a flag") },
        { { { .name = "e", .arg = "E", .type = OPTIONS_ENUM, S_SMALL (n), .help = "h" } },
          S_TABLE_BUG ("--e: an enum without choices") },
        { { S_INT (n, 2, 1, NULL) },
          S_TABLE_BUG ("--n: min is above max, or either does not fit the member") },
        { { S_INT (n, 1, LONG_MAX, NULL) },
          S_TABLE_BUG ("--n: min is above max, or either does not fit the member") },
        { { S_INT (n, 1, 9, "10") }, "test: the default of --n, \"10\", is refused (a bug)\n" },
    };
    /* clang-format on */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        options_spec_t spec = { .program = "test",
                                .usage = "test",
                                .defs = cases[i].defs,
                                .ndefs = cases[i].defs[1].name ? 2 : 1,
                                .size = sizeof (t_small_t) };
        t_run_t r;
        t_small_t o;
        s_parse_with (&spec, &r, &o, ARGS ("-V"));
        if (r.result != OPTIONS_BAD || strcmp (r.cli.err, cases[i].err) != 0)
            fail_msg ("case %zu: result %d, err \"%s\"", i, r.result, r.cli.err);
        options_fini (&spec, &o);
    }
#undef S_SMALL
#undef S_FLAG
#undef S_INT
#undef S_TABLE_BUG
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_defaults_are_applied_from_the_table),
        cmocka_unit_test (test_good_command_lines_set_every_type),
        cmocka_unit_test (test_bad_command_lines_say_exactly_what_is_wrong),
        cmocka_unit_test (test_a_long_takes_the_whole_range),
        cmocka_unit_test (test_a_repeatable_option_keeps_order_up_to_its_limit),
        cmocka_unit_test (test_operands_may_stand_among_the_options),
        cmocka_unit_test (test_parsing_again_starts_afresh),
        cmocka_unit_test (test_help_lists_every_option_its_default_and_limits),
        cmocka_unit_test (test_version_prints_program_and_version),
        cmocka_unit_test (test_keys_are_set_through_the_same_checks),
        cmocka_unit_test (test_options_are_named_by_their_bit),
        cmocka_unit_test (test_a_broken_table_is_refused),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
