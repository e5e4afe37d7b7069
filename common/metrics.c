/* The metrics registry and its exposition text (see metrics.h). */
#include "metrics.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

typedef enum { S_COUNTER, S_GAUGE, S_HISTOGRAM } s_type_t;
typedef struct metrics_series metrics_series_t;

/* open_memstream fails only for want of memory, which aborts as mem.h does. */
static void
s_oom (size_t size)
{
    fprintf (stderr, "out of memory (%zu bytes)\n", size);
    abort ();
}

struct metrics_series {
    metrics_family_t *family;
    char *value; /* the label's value; NULL in an unlabelled metric */
    uint64_t count;
    double gauge, sum;
    uint64_t buckets[METRICS_BUCKETS_MAX]; /* not cumulative; the last one is +Inf */
};

struct metrics_family {
    s_type_t type;
    const char *name, *help, *label; /* label NULL: one unlabelled series */
    size_t max_series;
    double bounds[METRICS_BUCKETS_MAX];
    size_t nbounds;
    metrics_series_t **series;
    size_t count, cap;
    metrics_series_t *other; /* once made */
    metrics_family_t *next;
};

struct metrics {
    metrics_family_t *head, *tail;
    metrics_collect_fn *collect;
    void *collect_arg;
};

/* Only asserts use it. */
__attribute__ ((unused)) static bool
s_name_ok (const char *name, bool colon)
{
    if (!name || !*name)
        return false;
    for (const char *p = name; *p; p++) {
        bool alpha =
          (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || (colon && *p == ':');
        bool digit = *p >= '0' && *p <= '9';
        if (!alpha && !(digit && p != name))
            return false;
    }
    return true;
}

metrics_t *
metrics_new (void)
{
    return xcalloc (1, sizeof (metrics_t));
}

static void
s_series_free (metrics_series_t *s)
{
    free (s->value);
    free (s);
}

void
metrics_family_clear (metrics_family_t *family)
{
    for (size_t i = 0; i < family->count; i++)
        s_series_free (family->series[i]);
    family->count = 0;
    family->other = NULL;
}

size_t
metrics_family_size (const metrics_family_t *family)
{
    return family->count;
}

void
metrics_destroy (metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    metrics_t *self = *self_p;
    for (metrics_family_t *f = self->head, *next; f; f = next) {
        next = f->next;
        metrics_family_clear (f);
        free (f->series);
        free (f);
    }
    free (self);
    *self_p = NULL;
}

void
metrics_on_collect (metrics_t *self, metrics_collect_fn *fn, void *arg)
{
    self->collect = fn;
    self->collect_arg = arg;
}

static metrics_family_t *
s_family (metrics_t *self,
          s_type_t type,
          const char *name,
          const char *help,
          const char *label,
          size_t max_series)
{
    assert (s_name_ok (name, true));
    assert (!label || (s_name_ok (label, false) && max_series >= 2));
    for (metrics_family_t *f = self->head; f; f = f->next)
        assert (strcmp (f->name, name) != 0);
    metrics_family_t *f = xcalloc (1, sizeof *f);
    f->type = type;
    f->name = name;
    f->help = help;
    f->label = label;
    f->max_series = label ? max_series : 1;
    if (self->tail)
        self->tail->next = f;
    else
        self->head = f;
    self->tail = f;
    return f;
}

static metrics_series_t *
s_add_series (metrics_family_t *f, const char *value)
{
    if (f->count == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 8;
        f->series = xrealloc (f->series, f->cap * sizeof *f->series);
    }
    metrics_series_t *s = xcalloc (1, sizeof *s);
    s->family = f;
    s->value = value ? xstrdup (value) : NULL;
    f->series[f->count++] = s;
    return s;
}

metrics_counter_t *
metrics_counter (metrics_t *self, const char *name, const char *help)
{
    return s_add_series (s_family (self, S_COUNTER, name, help, NULL, 1), NULL);
}

metrics_gauge_t *
metrics_gauge (metrics_t *self, const char *name, const char *help)
{
    return s_add_series (s_family (self, S_GAUGE, name, help, NULL, 1), NULL);
}

metrics_histogram_t *
metrics_histogram (metrics_t *self,
                   const char *name,
                   const char *help,
                   const double *bounds,
                   size_t n)
{
    assert (n >= 1 && n < METRICS_BUCKETS_MAX);
    metrics_family_t *f = s_family (self, S_HISTOGRAM, name, help, NULL, 1);
    for (size_t i = 0; i < n; i++) {
        assert (i == 0 || bounds[i] > bounds[i - 1]);
        f->bounds[i] = bounds[i];
    }
    f->nbounds = n;
    return s_add_series (f, NULL);
}

metrics_family_t *
metrics_counter_family (metrics_t *self,
                        const char *name,
                        const char *help,
                        const char *label,
                        size_t max_series)
{
    assert (label);
    return s_family (self, S_COUNTER, name, help, label, max_series);
}

metrics_family_t *
metrics_gauge_family (metrics_t *self,
                      const char *name,
                      const char *help,
                      const char *label,
                      size_t max_series)
{
    assert (label);
    return s_family (self, S_GAUGE, name, help, label, max_series);
}

static metrics_series_t *
s_lookup (metrics_family_t *f, const char *value)
{
    assert (f->label && value);
    for (size_t i = 0; i < f->count; i++)
        if (strcmp (f->series[i]->value, value) == 0)
            return f->series[i];
    if (f->other)
        return f->other;
    /* The last place is kept for "other", so the bound holds whatever comes. */
    if (f->count + 1 < f->max_series && strcmp (value, METRICS_OTHER) != 0)
        return s_add_series (f, value);
    f->other = s_add_series (f, METRICS_OTHER);
    return f->other;
}

metrics_counter_t *
metrics_family_counter (metrics_family_t *family, const char *value)
{
    assert (family->type == S_COUNTER);
    return s_lookup (family, value);
}

metrics_gauge_t *
metrics_family_gauge (metrics_family_t *family, const char *value)
{
    assert (family->type == S_GAUGE);
    return s_lookup (family, value);
}

void
metrics_counter_add (metrics_counter_t *counter, uint64_t n)
{
    counter->count += n;
}

void
metrics_counter_set_total (metrics_counter_t *counter, uint64_t total)
{
    if (total > counter->count)
        counter->count = total;
}

uint64_t
metrics_counter_value (const metrics_counter_t *counter)
{
    return counter->count;
}

void
metrics_gauge_set (metrics_gauge_t *gauge, double value)
{
    gauge->gauge = value;
}

double
metrics_gauge_value (const metrics_gauge_t *gauge)
{
    return gauge->gauge;
}

void
metrics_histogram_observe (metrics_histogram_t *h, double value)
{
    const metrics_family_t *f = h->family;
    size_t i = 0;
    while (i < f->nbounds && !(value <= f->bounds[i]))
        i++;
    h->buckets[i]++;
    h->count++;
    h->sum += value;
}

/* --- rendering ---------------------------------------------------------------------- */

/* The shortest text that reads back as v, as Prometheus writes floats. */
static void
s_double (FILE *out, double v)
{
    if (isnan (v)) {
        fputs ("NaN", out);
        return;
    }
    if (isinf (v)) {
        fputs (v > 0 ? "+Inf" : "-Inf", out);
        return;
    }
    char buf[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf (buf, sizeof buf, "%.*g", prec, v);
        if (strtod (buf, NULL) == v)
            break;
    }
    fputs (buf, out);
}

static void
s_escaped (FILE *out, const char *text, bool quote)
{
    for (const char *p = text; *p; p++) {
        if (*p == '\\')
            fputs ("\\\\", out);
        else if (*p == '\n')
            fputs ("\\n", out);
        else if (*p == '"' && quote)
            fputs ("\\\"", out);
        else
            fputc (*p, out);
    }
}

static void
s_labels (FILE *out, const metrics_series_t *s)
{
    if (!s->value)
        return;
    fprintf (out, "{%s=\"", s->family->label);
    s_escaped (out, s->value, true);
    fputs ("\"}", out);
}

static void
s_histogram (FILE *out, const metrics_family_t *f, const metrics_series_t *s)
{
    uint64_t cumulative = 0;
    for (size_t i = 0; i <= f->nbounds; i++) {
        cumulative += s->buckets[i];
        fprintf (out, "%s_bucket{le=\"", f->name);
        s_double (out, i < f->nbounds ? f->bounds[i] : INFINITY);
        fprintf (out, "\"} %" PRIu64 "\n", cumulative);
    }
    fprintf (out, "%s_sum ", f->name);
    s_double (out, s->sum);
    fprintf (out, "\n%s_count %" PRIu64 "\n", f->name, s->count);
}

char *
metrics_render (metrics_t *self, size_t *len)
{
    static const char *const types[] = { "counter", "gauge", "histogram" };
    if (self->collect)
        self->collect (self->collect_arg, self);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    if (!out)
        s_oom (64);
    for (const metrics_family_t *f = self->head; f; f = f->next) {
        fprintf (out, "# HELP %s ", f->name);
        s_escaped (out, f->help, false);
        fprintf (out, "\n# TYPE %s %s\n", f->name, types[f->type]);
        for (size_t i = 0; i < f->count; i++) {
            const metrics_series_t *s = f->series[i];
            if (f->type == S_HISTOGRAM) {
                s_histogram (out, f, s);
                continue;
            }
            fputs (f->name, out);
            s_labels (out, s);
            fputc (' ', out);
            if (f->type == S_COUNTER)
                fprintf (out, "%" PRIu64, s->count);
            else
                s_double (out, s->gauge);
            fputc ('\n', out);
        }
    }
    if (fclose (out) != 0 || !text)
        s_oom (size + 64);
    if (len)
        *len = size;
    return text;
}
