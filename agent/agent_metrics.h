/* agent_metrics: the agent's /metrics, /healthz and /readyz (--metrics-bind;
   common/metrics_http.h), a producer in the agent's loop like the webhook.

   Most values are read from the agent when /metrics is rendered (agent_counts,
   agent_backlog, agent_health); the lines read are counted per input as they are read
   (agent_on_read), at most AGENT_METRICS_INPUTS_MAX inputs by name and the rest as
   "other". /readyz: ready while the spool takes events (not full, no disk error) and a
   collector has answered (a PONG or OUTCOMES) within the last AGENT_METRICS_REACHABLE_S
   seconds; otherwise 503 with the reason. */
#ifndef PARLEY_AGENT_METRICS_H
#define PARLEY_AGENT_METRICS_H
#include <stddef.h>

#include "agent.h"
#include "agent_options.h"
#include "parley.h"

#define AGENT_METRICS_INPUTS_MAX 64
#define AGENT_METRICS_REACHABLE_S 10

typedef struct agent_metrics agent_metrics_t;

/* The registry, and the endpoint on opts->metrics_bind (unless "" or "off"), joined to the
   agent's loop. A bind that fails is a start failure (NULL, the reason in err) unless it is
   the default address, which is logged at warn and skipped (a second agent on one host
   keeps running). The agent must outlive the use: destroy this after agent_run. */
agent_metrics_t *agent_metrics_new (const agent_options_t *opts,
                                    agent_t *agent,
                                    char *err,
                                    size_t errlen);
/* NULL-safe; sets *self_p to NULL. */
void agent_metrics_destroy (agent_metrics_t **self_p);

#endif
