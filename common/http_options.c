/* Where the HTTP server listens, and its bearer token (see http_options.h). */
#include "http_options.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "mem.h"

int
http_bind_parse (const char *text, http_bind_t *bind, char *err, size_t errlen)
{
    memset (bind, 0, sizeof *bind);
    char host[64];
    const char *port_text;
    const char *colon = strrchr (text, ':');
    if (text[0] == '[') {
        const char *close = strchr (text, ']');
        if (!close || close[1] != ':') {
            snprintf (err, errlen, "expected [IPv6]:PORT");
            return -1;
        }
        if ((size_t)(close - text - 1) >= sizeof host) {
            snprintf (err, errlen, "address too long");
            return -1;
        }
        memcpy (host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = '\0';
        port_text = close + 2;
    } else if (!colon) {
        snprintf (host, sizeof host, "127.0.0.1");
        port_text = text;
    } else {
        if ((size_t)(colon - text) >= sizeof host) {
            snprintf (err, errlen, "address too long");
            return -1;
        }
        memcpy (host, text, (size_t)(colon - text));
        host[colon - text] = '\0';
        port_text = colon + 1;
        if (strcmp (host, "localhost") == 0)
            snprintf (host, sizeof host, "127.0.0.1");
    }
    char *end;
    errno = 0;
    unsigned long port = strtoul (port_text, &end, 10);
    if (!isdigit ((unsigned char)port_text[0]) || *end || errno || port > 65535) {
        snprintf (err, errlen, "no port from 0 to 65535 (expected ADDR:PORT or PORT)");
        return -1;
    }
    struct sockaddr_in *in4 = (struct sockaddr_in *)&bind->addr;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&bind->addr;
    if (text[0] != '[' && inet_pton (AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons ((uint16_t)port);
        bind->addrlen = sizeof *in4;
        snprintf (bind->text, sizeof bind->text, "%s:%lu", host, port);
    } else if (text[0] == '[' && inet_pton (AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons ((uint16_t)port);
        bind->addrlen = sizeof *in6;
        snprintf (bind->text, sizeof bind->text, "[%s]:%lu", host, port);
    } else {
        snprintf (err,
                  errlen,
                  "\"%s\" is not an address (expected an IPv4 address, [IPv6] or localhost)",
                  host);
        return -1;
    }
    return 0;
}

bool
http_bind_is_loopback (const http_bind_t *bind)
{
    if (bind->addr.ss_family == AF_INET) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)&bind->addr;
        return (ntohl (in4->sin_addr.s_addr) >> 24) == 127;
    }
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&bind->addr;
    return IN6_IS_ADDR_LOOPBACK (&in6->sin6_addr);
}

static bool
s_token_char (int c)
{
    return isalnum (c) || strchr ("-._~+/=", c) != NULL;
}

int
http_token_read (const char *path, char **token, char *err, size_t errlen)
{
    *token = NULL;
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf (err, errlen, "could not open token file \"%s\": %s", path, strerror (errno));
        return -1;
    }
    struct stat st;
    if (fstat (fd, &st) == 0 && (st.st_mode & 077))
        log_warn ("http",
                  "token file can be read by others than its owner",
                  "file=\"%s\" mode=%04o",
                  path,
                  (unsigned)(st.st_mode & 07777));
    char *buf = xmalloc (HTTP_TOKEN_MAX + 2);
    size_t len = 0;
    ssize_t n;
    while (len < HTTP_TOKEN_MAX + 1 &&
           ((n = read (fd, buf + len, HTTP_TOKEN_MAX + 1 - len)) > 0 || (n < 0 && errno == EINTR)))
        if (n > 0)
            len += (size_t)n;
    int saved = errno;
    close (fd);
    if (n < 0) {
        snprintf (err, errlen, "could not read token file \"%s\": %s", path, strerror (saved));
        goto fail;
    }
    while (len > 0 && isspace ((unsigned char)buf[len - 1]))
        len--;
    buf[len] = '\0';
    if (len == 0 || len > HTTP_TOKEN_MAX) {
        snprintf (err,
                  errlen,
                  "token file \"%s\" %s",
                  path,
                  len == 0 ? "is empty"
                           : "holds more than "
                             "4096 characters");
        goto fail;
    }
    for (size_t i = 0; i < len; i++)
        if (!s_token_char ((unsigned char)buf[i])) {
            snprintf (err,
                      errlen,
                      "token file \"%s\": character %zu is not a letter, digit or one of -._~+/=",
                      path,
                      i + 1);
            goto fail;
        }
    *token = buf;
    return 0;
fail:
    http_token_free (&buf);
    return -1;
}

void
http_token_free (char **token_p)
{
    if (!*token_p)
        return;
    explicit_bzero (*token_p, strlen (*token_p));
    free (*token_p);
    *token_p = NULL;
}
