/* Endpoint checks (see endpoint.h). */
#include "endpoint.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

/* sun_path holds 108 bytes, the terminating NUL included. */
#define S_IPC_PATH_MAX 107

const char *
endpoint_forms (endpoint_use_t use)
{
    if (use == ENDPOINT_BIND)
        return "tcp://HOST:PORT or ipc://PATH; HOST may be * for every interface, PORT * for "
               "a free port";
    return "tcp://HOST:PORT or ipc://PATH";
}

static bool
s_is_name_char (int c)
{
    return isalnum (c) || c == '.' || c == '-' || c == '_';
}

/* [IPv6] with an optional %zone: hex digits, colons and dots (an embedded IPv4). */
static int
s_check_ipv6 (const char *host, size_t len, const char **why)
{
    if (len < 3 || host[len - 1] != ']') {
        *why = "an IPv6 address must be written in brackets, e.g. [::1]";
        return -1;
    }
    bool zone = false;
    for (size_t i = 1; i < len - 1; i++) {
        unsigned char c = (unsigned char)host[i];
        if (c == '%' && !zone && i > 1 && i < len - 2)
            zone = true;
        else if (!(zone ? s_is_name_char (c) : (isxdigit (c) || c == ':' || c == '.'))) {
            *why = "the host is not an IPv6 address";
            return -1;
        }
    }
    return 0;
}

static int
s_check_host (const char *host, size_t len, endpoint_use_t use, const char **why)
{
    if (len == 0) {
        *why = "no host";
        return -1;
    }
    if (host[0] == '[')
        return s_check_ipv6 (host, len, why);
    if (len == 1 && host[0] == '*') {
        if (use == ENDPOINT_BIND)
            return 0;
        *why = "host * can only be bound, not connected to";
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (host[i] == ':') {
            *why = "an IPv6 address must be written in brackets, e.g. [::1]";
            return -1;
        }
        if (!s_is_name_char ((unsigned char)host[i])) {
            *why = "the host is not a name or an address";
            return -1;
        }
    }
    return 0;
}

static int
s_check_port (const char *port, endpoint_use_t use, const char **why)
{
    if (strcmp (port, "*") == 0) {
        if (use == ENDPOINT_BIND)
            return 0;
        *why = "port * can only be bound, not connected to";
        return -1;
    }
    long value = 0;
    size_t n = 0;
    while (isdigit ((unsigned char)port[n]) && n < 6)
        value = value * 10 + (port[n++] - '0');
    if (n == 0 || port[n] || value < 1 || value > 65535) {
        *why = use == ENDPOINT_BIND ? "the port is not a number from 1 to 65535, or *"
                                    : "the port is not a number from 1 to 65535";
        return -1;
    }
    return 0;
}

int
endpoint_check (const char *text, endpoint_use_t use, const char **why)
{
    const char *sep = text ? strstr (text, "://") : NULL;
    if (!sep) {
        *why = "no scheme";
        return -1;
    }
    size_t scheme_len = (size_t)(sep - text);
    const char *rest = sep + 3;
    if (scheme_len == 3 && memcmp (text, "ipc", 3) == 0) {
        if (!*rest) {
            *why = "no path";
            return -1;
        }
        if (strlen (rest) > S_IPC_PATH_MAX) {
            *why = "the path is longer than 107 bytes";
            return -1;
        }
        return 0;
    }
    if (scheme_len != 3 || memcmp (text, "tcp", 3) != 0) {
        *why = "the scheme is not tcp or ipc";
        return -1;
    }
    const char *colon = strrchr (rest, ':');
    /* A colon inside brackets belongs to an IPv6 address, not to the port. */
    const char *bracket = strrchr (rest, ']');
    if (!colon || (bracket && colon < bracket)) {
        *why = "no port";
        return -1;
    }
    if (s_check_host (rest, (size_t)(colon - rest), use, why) != 0)
        return -1;
    return s_check_port (colon + 1, use, why);
}
