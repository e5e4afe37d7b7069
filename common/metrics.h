/* metrics: a small registry of counters, gauges and histograms, rendered in the Prometheus
   text exposition format 0.0.4 (what /metrics serves, common/metrics_http.h).

   A metric is registered once, at start, by name and help text, and the handle it returns
   is updated from the owner's thread (the registry has no locks: the daemons are single
   threaded, and the HTTP server runs in the same loop). A labelled family has one label
   (reason, peer, input) and at most max_series label values: past that bound every new
   value is counted under the value METRICS_OTHER, so that no input (a peer's name, a file
   name) can grow the registry without end. Families, and the series in a family, render
   in the order they were first registered or seen, so the text is predictable.

   Names are checked against Prometheus's rules ([a-zA-Z_:][a-zA-Z0-9_:]*, label names
   without ':') by assert: a bad name is a programmer error. Counters hold whole numbers
   (uint64_t), gauges and histogram sums doubles; a value renders in the shortest form that
   reads back exactly ("0.25", "3", "+Inf", "NaN"). Histogram buckets are fixed at
   registration (ascending upper bounds; "+Inf" is added), and render cumulative with
   _bucket{le=...}, _sum and _count. Label values are escaped (\\, \", \n); help text
   (\\, \n).

   Handles are owned by the registry and valid until metrics_destroy. */
#ifndef PARLEY_METRICS_H
#define PARLEY_METRICS_H
#include <stddef.h>
#include <stdint.h>

#include "parley.h"

#define METRICS_OTHER "other" /* the overflow label value */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8" /* for /metrics */
#define METRICS_BUCKETS_MAX 32

typedef struct metrics metrics_t;
typedef struct metrics_family metrics_family_t;
typedef struct metrics_series metrics_counter_t; /* one counter series */
typedef struct metrics_series metrics_gauge_t;   /* one gauge series */
typedef struct metrics_series metrics_histogram_t;

/* Called by metrics_render before it renders: the owner sets the gauges that are computed
   from its state ("seconds since the last acknowledgement", the spool's bytes). */
typedef void (metrics_collect_fn) (void *arg, metrics_t *registry);

/* Caller owns the result (metrics_destroy). */
metrics_t *metrics_new (void);
/* Frees the registry and every handle. NULL-safe; sets *self_p to NULL. */
void metrics_destroy (metrics_t **self_p);

/* Sets the hook metrics_render calls first (NULL: none). */
void metrics_on_collect (metrics_t *self, metrics_collect_fn *fn, void *arg);

/* An unlabelled metric. The strings must outlive the registry (string literals). */
metrics_counter_t *metrics_counter (metrics_t *self, const char *name, const char *help);
metrics_gauge_t *metrics_gauge (metrics_t *self, const char *name, const char *help);
/* bounds: n ascending upper bounds (1 <= n <= METRICS_BUCKETS_MAX), copied. */
metrics_histogram_t *metrics_histogram (metrics_t *self,
                                        const char *name,
                                        const char *help,
                                        const double *bounds,
                                        size_t n);

/* A labelled family of counters or gauges, with one label named label and at most
   max_series values (the last of which, once reached, is METRICS_OTHER). max_series >= 2. */
metrics_family_t *metrics_counter_family (metrics_t *self,
                                          const char *name,
                                          const char *help,
                                          const char *label,
                                          size_t max_series);
metrics_family_t *metrics_gauge_family (metrics_t *self,
                                        const char *name,
                                        const char *help,
                                        const char *label,
                                        size_t max_series);
/* The series for a label value (copied), made at 0 when new; METRICS_OTHER's series once
   the family holds max_series - 1 others. Never NULL. */
metrics_counter_t *metrics_family_counter (metrics_family_t *family, const char *value);
metrics_gauge_t *metrics_family_gauge (metrics_family_t *family, const char *value);
/* Forgets every series of the family (a gauge family rebuilt at each collect). */
void metrics_family_clear (metrics_family_t *family);
/* How many series the family holds. */
size_t metrics_family_size (const metrics_family_t *family);

void metrics_counter_add (metrics_counter_t *counter, uint64_t n);
uint64_t metrics_counter_value (const metrics_counter_t *counter);
/* For a count another module keeps (its stats): raises the counter to total, never lowers
   it (a counter only goes up). */
void metrics_counter_set_total (metrics_counter_t *counter, uint64_t total);
void metrics_gauge_set (metrics_gauge_t *gauge, double value);
double metrics_gauge_value (const metrics_gauge_t *gauge);
void metrics_histogram_observe (metrics_histogram_t *histogram, double value);

/* The exposition text of every metric (the collect hook run first), NUL-terminated; *len
   (if not NULL) its length. Caller owns the result (free). */
char *metrics_render (metrics_t *self, size_t *len);

#endif
