/* http_options: --http-bind is ADDR:PORT or a bare PORT on loopback, anything else a
   one-line reason; a token file gives its token less trailing white space, and a bad one
   is refused without quoting it (common/http_options.h). */
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

#include "http_options.h"
#include "test_files.h"

typedef struct {
    const char *text;
    const char *shown; /* http_bind_t.text, or NULL when refused */
    bool loopback;
    const char *says; /* when refused */
} s_bind_row_t;

static void
test_bind_addresses_and_their_refusals (void **state)
{
    static const s_bind_row_t rows[] = {
        { "8080", "127.0.0.1:8080", true, NULL },
        { "0", "127.0.0.1:0", true, NULL },
        { "127.0.0.1:80", "127.0.0.1:80", true, NULL },
        { "localhost:65535", "127.0.0.1:65535", true, NULL },
        { "127.1.2.3:1", "127.1.2.3:1", true, NULL },
        { "0.0.0.0:8080", "0.0.0.0:8080", false, NULL },
        { "192.168.1.10:8080", "192.168.1.10:8080", false, NULL },
        { "[::1]:8080", "[::1]:8080", true, NULL },
        { "[::]:8080", "[::]:8080", false, NULL },
        { "*:8080", NULL, false, "\"*\" is not an address" },
        { "example.org:80", NULL, false, "\"example.org\" is not an address" },
        { "::1:8080", NULL, false, "is not an address" },
        { "[::1]", NULL, false, "expected [IPv6]:PORT" },
        { "127.0.0.1:", NULL, false, "no port" },
        { "127.0.0.1:65536", NULL, false, "no port" },
        { "127.0.0.1:-1", NULL, false, "no port" },
        { "127.0.0.1:80x", NULL, false, "no port" },
        { "", NULL, false, "no port" },
        { "[127.0.0.1]:80", NULL, false, "is not an address" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        http_bind_t b;
        char err[256] = "";
        int rc = http_bind_parse (rows[i].text, &b, err, sizeof err);
        if (rows[i].shown) {
            if (rc != 0)
                fail_msg ("%s: refused: %s", rows[i].text, err);
            assert_string_equal (b.text, rows[i].shown);
            assert_int_equal (http_bind_is_loopback (&b), rows[i].loopback);
        } else {
            assert_int_equal (rc, -1);
            if (!strstr (err, rows[i].says))
                fail_msg ("%s: \"%s\" does not say \"%s\"", rows[i].text, err, rows[i].says);
        }
    }
}

static char s_path[64];

static int
s_setup (void **state)
{
    snprintf (s_path, sizeof s_path, "/tmp/test_http_options.%d", (int)getpid ());
    return 0;
}

static int
s_teardown (void **state)
{
    unlink (s_path);
    return 0;
}

static void
test_a_token_is_the_file_less_its_trailing_white_space (void **state)
{
    test_file_put (s_path, "s3cret-Token_~+/=.\r\n \n", 22);
    char *token = NULL;
    char err[256];
    assert_int_equal (http_token_read (s_path, &token, err, sizeof err), 0);
    assert_string_equal (token, "s3cret-Token_~+/=.");
    http_token_free (&token);
    assert_null (token);
    http_token_free (&token); /* NULL-safe */
}

static void
test_a_bad_token_file_is_refused_without_quoting_it (void **state)
{
    char *token = (char *)1;
    char err[256];
    test_file_put (s_path, "\n\n", 2);
    assert_int_equal (http_token_read (s_path, &token, err, sizeof err), -1);
    assert_null (token);
    assert_non_null (strstr (err, "is empty"));
    test_file_put (s_path, "two words", 9);
    assert_int_equal (http_token_read (s_path, &token, err, sizeof err), -1);
    assert_non_null (strstr (err, "character 4 is not"));
    assert_null (strstr (err, "words"));
    char big[HTTP_TOKEN_MAX + 1];
    memset (big, 'a', sizeof big);
    test_file_put (s_path, big, sizeof big);
    assert_int_equal (http_token_read (s_path, &token, err, sizeof err), -1);
    assert_non_null (strstr (err, "more than"));
    unlink (s_path);
    assert_int_equal (http_token_read (s_path, &token, err, sizeof err), -1);
    assert_non_null (strstr (err, "could not open token file"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_bind_addresses_and_their_refusals),
        cmocka_unit_test_setup_teardown (
          test_a_token_is_the_file_less_its_trailing_white_space, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_a_bad_token_file_is_refused_without_quoting_it, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
