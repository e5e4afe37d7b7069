/* The parley-agent command line: its table of options (agent_options.c) drives
   getopt_long, --help, the defaults and, later, the config-file keys (common/options.h).
   What is left here is the struct, the defaults that other code names, and the checks that
   involve operands. */
#ifndef PARLEY_AGENT_OPTIONS_H
#define PARLEY_AGENT_OPTIONS_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "options.h"
#include "parley.h"

#define AGENT_RELAY_BIND_MAX 16 /* --relay-bind endpoints */
#define AGENT_BATCH_DEFAULT 1000
#define AGENT_METRICS_BIND_DEF "127.0.0.1:9571" /* --metrics-bind */
#define AGENT_WINDOW_DEFAULT 4
#define AGENT_WINDOW_MAX 64
#define AGENT_RESEND_DEFAULT 10000          /* ms before an unanswered batch is sent again */
#define AGENT_SPOOL_MAX_MIN (256ull * 1024) /* room for a few of the largest records */
#define AGENT_TIMEOUT_MAX (7 * 24 * 3600)   /* --timeout: a week */

/* --http-max-bytes: at least one event of the largest size; at most what is reasonable to
   hold in memory per connection. */
#define AGENT_HTTP_MAX_BYTES_MIN (16ull * 1024)
#define AGENT_HTTP_MAX_BYTES_MAX (64ull * 1024 * 1024)

/* Bits of agent_options_t.given: which options were given. */
enum {
    AGENT_GIVEN_HTTP_TOKEN_FILE = 1u << 0,
    AGENT_GIVEN_HTTP_MAX_BYTES = 1u << 1,
};

/* --fsync */
typedef enum {
    AGENT_FSYNC_GROUP,  /* fsync at most every 50 ms or 1000 records */
    AGENT_FSYNC_ALWAYS, /* fsync after every record */
} agent_fsync_t;

typedef struct {
    options_list_t connect;   /* --connect, in the order given (failover order) */
    const char *spool_dir;    /* --spool DIR */
    bool once;                /* --once */
    int timeout_s;            /* --timeout SECONDS (with --once; 0: none) */
    bool follow;              /* --follow */
    options_list_t watch;     /* --watch DIR, each a drop folder */
    const char *mapping;      /* --mapping FILE: for every .csv input (NULL: none) */
    bool check;               /* --check: validate the inputs offline, then exit */
    uint64_t spool_max;       /* --spool-max, bytes */
    int fsync;                /* --fsync: an agent_fsync_t */
    int batch;                /* --batch N: events per batch */
    int window;               /* --window N: batches in flight */
    int resend_ms;            /* --resend-timeout MS */
    int log_level;            /* --log-level: a log_level_t */
    const char *http_bind;    /* --http-bind ADDR:PORT, or NULL: no webhook */
    const char *metrics_bind; /* --metrics-bind ADDR:PORT; "" or "off": none */
    const char *token_file;   /* --http-token-file FILE, or NULL: no token */
    uint64_t http_max;        /* --http-max-bytes: the largest request body */
    unsigned given;           /* AGENT_GIVEN_*: the options given */
    char **inputs;            /* the input keys (--input), then the INPUT operands; "-" is
                                 stdin. The array is owned (agent_options_fini), the names
                                 borrowed from argv or owned */
    int ninputs;
    options_list_t input; /* --input FILE, repeatable: the config file's form of INPUT */
    const char *config;   /* --config FILE (NULL: the default file, if it exists) */
    bool check_config;    /* --check-config */
    options_list_t owned; /* the config file's values (options_keep) */

    /* --relay-bind, repeatable: a regional hub's endpoints for other agents (relay.h) */
    options_list_t relay_bind;
    /* CURVE (docs/SECURITY.md) */
    const char *curve_secret;          /* --curve-secret FILE: this agent's NAME.cert_secret */
    const char *collector_key;         /* --collector-key FILE|Z85: the upstream's public key */
    const char *relay_curve_secret;    /* --relay-curve-secret FILE: the hub's server key */
    const char *relay_authorized_keys; /* --relay-authorized-keys DIR */
    bool insecure;                     /* --insecure: the relay in plaintext (loopback only) */
} agent_options_t;

/* The table, for --help and for the config-file loader. */
extern const options_spec_t agent_options_spec;

/* Whether path names a CSV input (ends in .csv, any case): read through --mapping. */
bool agent_options_is_csv (const char *path);

/* Parses argv into opts (reordering argv, as getopt_long does; opts borrows its strings).
   Prints --help/--version on out and a one-line error on err. The log level is the
   caller's to apply. After OPTIONS_RUN, agent_options_fini frees what opts holds; after
   anything else there is nothing to free. */
options_result_t agent_options_parse (agent_options_t *opts,
                                      int argc,
                                      char **argv,
                                      FILE *out,
                                      FILE *err) PARLEY_MUST_CHECK;
void agent_options_fini (agent_options_t *opts);

#endif
