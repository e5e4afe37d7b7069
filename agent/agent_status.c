/* parley-agent status (see agent_status.h). */
#include "agent_status.h"

#include <inttypes.h>
#include <stdio.h>

#include "log.h"
#include "options.h"
#include "spool_backlog.h"

typedef struct {
    const char *spool;
} s_options_t;

/* clang-format off */
static const options_def_t s_defs[] = {
    { .name = "spool", .short_name = 's', .arg = "DIR", .type = OPTIONS_STRING,
      OPTIONS_AT (s_options_t, spool), .flags = OPTIONS_REQUIRED,
      .help = "the agent's spool directory (its --spool)" },
};
/* clang-format on */

static const options_spec_t s_spec = {
    .program = "parley-agent status",
    OPTIONS_TABLE (s_defs),
    .size = sizeof (s_options_t),
    .usage = "parley-agent status --spool DIR",
    .about = "Prints the backlog of an agent's spool (events and bytes not yet acknowledged, the "
             "oldest\nof them), read from its files; no running agent is needed, and a running "
             "one is not\ndisturbed (no lock is taken; its figures are then a snapshot).",
    .epilog = "Exit status: 0 success, 1 the spool cannot be read, 2 bad usage.",
};

int
agent_status_run (int argc, char **argv)
{
    s_options_t opts;
    options_result_t parsed = options_parse (&s_spec, &opts, argc, argv, stdout, stderr, NULL);
    if (parsed != OPTIONS_RUN)
        return options_exit_code (parsed);
    spool_backlog_t st;
    char err[512];
    int rc = spool_backlog_read (opts.spool, &st, err, sizeof err);
    options_fini (&s_spec, &opts);
    if (rc != 0) {
        fprintf (stderr, "parley-agent status: %s\n", err);
        return 1;
    }
    printf ("events=%" PRIu64 " bytes=%" PRIu64 " oldest_id=%" PRIu64 " oldest=%s",
            st.events,
            st.bytes,
            st.oldest_id,
            st.oldest_reported_at[0] ? st.oldest_reported_at : "-");
    if (st.events > 0)
        printf (" oldest_source=\"%s\" oldest_line=%" PRIu64, st.oldest_source, st.oldest_line);
    printf (" floor=%" PRIu64 " segments=%" PRIu64 " damaged_bytes=%" PRIu64 "\n",
            st.floor,
            st.segments,
            st.damaged_bytes);
    return 0;
}
