/* endpoint: the forms --connect and --bind accept, and what is said about the rest. */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>

#include "endpoint.h"

#define C (1u << ENDPOINT_CONNECT)
#define B (1u << ENDPOINT_BIND)

/* Each text, the uses it is good for (C, B, both or none), and for a refusal the words the
   reason must contain. */
static const struct {
    const char *text;
    unsigned good_for;
    const char *why;
} s_cases[] = {
    { "tcp://127.0.0.1:5570", C | B, NULL },
    { "tcp://collector-a.example.org:5570", C | B, NULL },
    { "tcp://collector_b:1", C | B, NULL },
    { "tcp://localhost:65535", C | B, NULL },
    { "tcp://0.0.0.0:5570", C | B, NULL },
    { "tcp://[::1]:5570", C | B, NULL },
    { "tcp://[fe80::1%eth0]:5570", C | B, NULL },
    { "tcp://[::ffff:127.0.0.1]:5570", C | B, NULL },
    { "ipc:///run/parley/collector.sock", C | B, NULL },
    { "ipc://relative.sock", C | B, NULL },
    { "ipc://@abstract", C | B, NULL },
    { "tcp://*:5570", B, "host * can only be bound" },
    { "tcp://127.0.0.1:*", B, "port * can only be bound" },
    { "tcp://*:*", B, "can only be bound" },
    { "127.0.0.1:5570", 0, "no scheme" },
    { "collector:5570", 0, "no scheme" },
    { "", 0, "no scheme" },
    { "tcp:/127.0.0.1:5570", 0, "no scheme" },
    { "udp://127.0.0.1:5570", 0, "not tcp or ipc" },
    { "TCP://127.0.0.1:5570", 0, "not tcp or ipc" },
    { "inproc://parley", 0, "not tcp or ipc" },
    { "pgm://eth0;239.192.1.1:5555", 0, "not tcp or ipc" },
    { "://127.0.0.1:5570", 0, "not tcp or ipc" },
    { "tcp://127.0.0.1", 0, "no port" },
    { "tcp://127.0.0.1:", 0, "not a number from 1 to 65535" },
    { "tcp://127.0.0.1:0", 0, "not a number from 1 to 65535" },
    { "tcp://127.0.0.1:65536", 0, "not a number from 1 to 65535" },
    { "tcp://127.0.0.1:1000000", 0, "not a number from 1 to 65535" },
    { "tcp://127.0.0.1:-1", 0, "not a number from 1 to 65535" },
    { "tcp://127.0.0.1:+80", 0, "not a number from 1 to 65535" },
    { "tcp://127.0.0.1:55x", 0, "not a number from 1 to 65535" },
    { "tcp://127.0.0.1:5570/", 0, "not a number from 1 to 65535" },
    { "tcp://127.0.0.1: 5570", 0, "not a number from 1 to 65535" },
    { "tcp://:5570", 0, "no host" },
    { "tcp://", 0, "no port" },
    { "tcp://[::1]", 0, "no port" },
    { "tcp://::1:5570", 0, "in brackets" },
    { "tcp://[::1:5570", 0, "in brackets" },
    { "tcp://[]:5570", 0, "in brackets" },
    { "tcp://[::g]:5570", 0, "not an IPv6 address" },
    { "tcp://col lector:5570", 0, "not a name or an address" },
    { "tcp://src;dst:5570", 0, "not a name or an address" },
    { "tcp://user@host:5570", 0, "not a name or an address" },
    { "ipc://", 0, "no path" },
};

static void
test_each_form_is_accepted_or_refused_with_its_reason (void **state)
{
    for (size_t i = 0; i < sizeof s_cases / sizeof s_cases[0]; i++) {
        for (endpoint_use_t use = ENDPOINT_CONNECT; use <= ENDPOINT_BIND; use++) {
            const char *why = NULL;
            int rc = endpoint_check (s_cases[i].text, use, &why);
            const char *as = use == ENDPOINT_BIND ? "bind" : "connect";
            if (s_cases[i].good_for & (1u << use)) {
                if (rc != 0)
                    fail_msg ("\"%s\" refused for %s: %s", s_cases[i].text, as, why);
                continue;
            }
            if (rc != -1)
                fail_msg ("\"%s\" accepted for %s", s_cases[i].text, as);
            assert_non_null (why);
            if (!strstr (why, s_cases[i].why))
                fail_msg ("\"%s\" for %s: \"%s\" does not say \"%s\"",
                          s_cases[i].text,
                          as,
                          why,
                          s_cases[i].why);
        }
    }
}

static void
test_an_ipc_path_may_fill_sun_path_but_no_more (void **state)
{
    char text[6 + 107 + 2];
    memcpy (text, "ipc://", 6);
    memset (text + 6, 'p', 107);
    text[6 + 107] = '\0'; /* the longest path sun_path holds */
    const char *why = NULL;
    assert_int_equal (endpoint_check (text, ENDPOINT_CONNECT, &why), 0);
    strcat (text, "p");
    assert_int_equal (endpoint_check (text, ENDPOINT_CONNECT, &why), -1);
    assert_string_equal (why, "the path is longer than 107 bytes");
    assert_int_equal (endpoint_check (NULL, ENDPOINT_BIND, &why), -1);
    assert_string_equal (why, "no scheme");
}

static void
test_the_forms_name_both_transports (void **state)
{
    assert_string_equal (endpoint_forms (ENDPOINT_CONNECT), "tcp://HOST:PORT or ipc://PATH");
    const char *bind = endpoint_forms (ENDPOINT_BIND);
    assert_non_null (strstr (bind, "tcp://HOST:PORT or ipc://PATH"));
    assert_non_null (strstr (bind, "PORT * for a free port"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_each_form_is_accepted_or_refused_with_its_reason),
        cmocka_unit_test (test_an_ipc_path_may_fill_sun_path_but_no_more),
        cmocka_unit_test (test_the_forms_name_both_transports),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
