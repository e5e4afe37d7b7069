/* subcommand: which argv names a command, and what --help lists. */
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

#include "subcommand.h"

static int
s_one (int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 1;
}

static int
s_two (int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 2;
}

static const subcommand_t s_table[] = {
    { "keygen", s_one, "writes a key pair" },
    { "migrate", s_two, "applies the schema" },
    { NULL, NULL, NULL },
};

static const subcommand_t s_empty[] = { { NULL, NULL, NULL } };

static void
test_finds_the_named_entry (void **state)
{
    (void)state;
    char *argv[] = { "prog", "migrate", "--db", "x", NULL };
    const subcommand_t *found = subcommand_find (s_table, 4, argv);
    assert_non_null (found);
    assert_string_equal (found->name, "migrate");
    assert_int_equal (found->run (3, argv + 1), 2);
}

static void
test_options_and_operands_are_the_daemons (void **state)
{
    (void)state;
    char *bare[] = { "prog", NULL };
    char *option[] = { "prog", "--bind", "tcp://127.0.0.1:1", NULL };
    char *other[] = { "prog", "keygenx", NULL };
    char *prefix[] = { "prog", "key", NULL };
    char *later[] = { "prog", "--once", "keygen", NULL };
    assert_null (subcommand_find (s_table, 1, bare));
    assert_null (subcommand_find (s_table, 3, option));
    assert_null (subcommand_find (s_table, 2, other));
    assert_null (subcommand_find (s_table, 2, prefix));
    assert_null (subcommand_find (s_table, 3, later)); /* only the first word names one */
    char *named[] = { "prog", "keygen", NULL };
    assert_null (subcommand_find (s_empty, 2, named));
}

static void
test_help_lists_every_entry (void **state)
{
    (void)state;
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    subcommand_print_help (s_table, out);
    fclose (out);
    assert_non_null (strstr (text, "Commands:\n"));
    assert_non_null (strstr (text, "keygen"));
    assert_non_null (strstr (text, "writes a key pair"));
    assert_non_null (strstr (text, "migrate"));
    free (text);

    out = open_memstream (&text, &size);
    subcommand_print_help (s_empty, out);
    fclose (out);
    assert_int_equal (size, 0);
    free (text);
}

static void
test_help_asked_before_a_double_dash_only (void **state)
{
    (void)state;
    char *help[] = { "parley-collector", "--db", "x", "--help", NULL };
    char *short_help[] = { "parley-agent", "-h", NULL };
    char *after_dashes[] = { "parley-agent", "--", "--help", NULL };
    char *none[] = { "parley-agent", "--version", NULL };
    assert_true (subcommand_help_asked (4, help));
    assert_true (subcommand_help_asked (2, short_help));
    assert_false (subcommand_help_asked (3, after_dashes));
    assert_false (subcommand_help_asked (2, none));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_finds_the_named_entry),
        cmocka_unit_test (test_options_and_operands_are_the_daemons),
        cmocka_unit_test (test_help_lists_every_entry),
        cmocka_unit_test (test_help_asked_before_a_double_dash_only),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
