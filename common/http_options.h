/* The HTTP server's settings as an operator gives them: the address to listen on
   (--http-bind) and the bearer token file (--http-token-file), checked at start so that a
   mistake is a one-line usage error rather than a server that listens somewhere else. */
#ifndef PARLEY_HTTP_OPTIONS_H
#define PARLEY_HTTP_OPTIONS_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "parley.h"

#define HTTP_TOKEN_MAX 4096

/* Where to listen. */
typedef struct {
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char text[80]; /* "127.0.0.1:8080", "[::1]:8080" */
} http_bind_t;

/* Parses ADDR:PORT, where ADDR is an IPv4 address, a bracketed IPv6 address or
   "localhost" (127.0.0.1), and PORT is 0 to 65535 (0: any free port, which
   http_server_port then tells). A bare PORT means 127.0.0.1:PORT: listening beyond the
   machine has to be asked for by address (0.0.0.0, [::] or an interface's). Returns 0, or
   -1 with what is wrong in err ("no port", "\"*\" is not an address ..."). */
int http_bind_parse (const char *text, http_bind_t *bind, char *err, size_t errlen)
  PARLEY_MUST_CHECK;

/* Whether the address is a loopback one (127.0.0.0/8, ::1). */
bool http_bind_is_loopback (const http_bind_t *bind);

/* Reads a bearer token from path: the whole file less trailing white space; 1 to
   HTTP_TOKEN_MAX characters, each a letter, digit or one of -._~+/= (RFC 6750's token
   characters). Sets *token (caller owns it: free with http_token_free, which wipes it).
   Returns 0, or -1 with a one-line reason in err that never quotes the file's content.
   A file that others than its owner may read is accepted with a warning in the log. */
int http_token_read (const char *path, char **token, char *err, size_t errlen) PARLEY_MUST_CHECK;
/* Wipes and frees *token_p; NULL-safe; sets *token_p to NULL. */
void http_token_free (char **token_p);

#endif
