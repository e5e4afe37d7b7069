/* metrics: the registry and its Prometheus text exposition (0.0.4), checked against the
   exact text expected. */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static void
s_expect (metrics_t *m, const char *expected)
{
    size_t len;
    char *text = metrics_render (m, &len);
    assert_int_equal (len, strlen (text));
    assert_string_equal (text, expected);
    free (text);
}

static void
test_counter_and_gauge_render_with_help_and_type (void **state)
{
    (void)state;
    metrics_t *m = metrics_new ();
    metrics_counter_t *c = metrics_counter (m, "parley_test_events_total", "Events seen.");
    metrics_gauge_t *g = metrics_gauge (m, "parley_test_spool_bytes", "Bytes held.");
    metrics_counter_add (c, 3);
    metrics_counter_add (c, 4);
    metrics_gauge_set (g, 1024);
    assert_int_equal (metrics_counter_value (c), 7);
    s_expect (m,
              "# HELP parley_test_events_total Events seen.\n"
              "# TYPE parley_test_events_total counter\n"
              "parley_test_events_total 7\n"
              "# HELP parley_test_spool_bytes Bytes held.\n"
              "# TYPE parley_test_spool_bytes gauge\n"
              "parley_test_spool_bytes 1024\n");
    metrics_destroy (&m);
    assert_null (m);
}

static void
test_gauge_values_render_in_their_shortest_exact_form (void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *text;
    } rows[] = {
        { 0.25, "0.25" }, { 0.1, "0.1" },       { -3, "-3" },          { 1e21, "1e+21" },
        { 12.5, "12.5" }, { INFINITY, "+Inf" }, { -INFINITY, "-Inf" }, { NAN, "NaN" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        metrics_t *m = metrics_new ();
        metrics_gauge_set (metrics_gauge (m, "g", "h"), rows[i].v);
        char expected[128];
        snprintf (expected, sizeof expected, "# HELP g h\n# TYPE g gauge\ng %s\n", rows[i].text);
        s_expect (m, expected);
        metrics_destroy (&m);
    }
}

static void
test_histogram_renders_cumulative_buckets_sum_and_count (void **state)
{
    (void)state;
    metrics_t *m = metrics_new ();
    static const double bounds[] = { 0.005, 0.1, 1 };
    metrics_histogram_t *h = metrics_histogram (m, "parley_test_seconds", "Time.", bounds, 3);
    metrics_histogram_observe (h, 0.005); /* on a bound: in that bucket */
    metrics_histogram_observe (h, 0.05);
    metrics_histogram_observe (h, 0.07);
    metrics_histogram_observe (h, 4);
    s_expect (m,
              "# HELP parley_test_seconds Time.\n"
              "# TYPE parley_test_seconds histogram\n"
              "parley_test_seconds_bucket{le=\"0.005\"} 1\n"
              "parley_test_seconds_bucket{le=\"0.1\"} 3\n"
              "parley_test_seconds_bucket{le=\"1\"} 3\n"
              "parley_test_seconds_bucket{le=\"+Inf\"} 4\n"
              "parley_test_seconds_sum 4.125\n"
              "parley_test_seconds_count 4\n");
    metrics_destroy (&m);
}

static void
test_family_series_render_in_the_order_first_seen (void **state)
{
    (void)state;
    metrics_t *m = metrics_new ();
    metrics_family_t *f = metrics_counter_family (m, "rejected_total", "Rejected.", "reason", 10);
    metrics_counter_add (metrics_family_counter (f, "invalid"), 2);
    metrics_counter_add (metrics_family_counter (f, "conflict"), 1);
    metrics_counter_add (metrics_family_counter (f, "invalid"), 1);
    assert_int_equal (metrics_family_size (f), 2);
    s_expect (m,
              "# HELP rejected_total Rejected.\n"
              "# TYPE rejected_total counter\n"
              "rejected_total{reason=\"invalid\"} 3\n"
              "rejected_total{reason=\"conflict\"} 1\n");
    metrics_destroy (&m);
}

static void
test_family_past_its_bound_counts_new_values_as_other (void **state)
{
    (void)state;
    metrics_t *m = metrics_new ();
    metrics_family_t *f = metrics_counter_family (m, "lines_total", "Lines.", "input", 3);
    static const char *const inputs[] = { "a", "b", "c", "d", "a", "e" };
    for (size_t i = 0; i < 6; i++)
        metrics_counter_add (metrics_family_counter (f, inputs[i]), 1);
    assert_int_equal (metrics_family_size (f), 3);
    s_expect (m,
              "# HELP lines_total Lines.\n"
              "# TYPE lines_total counter\n"
              "lines_total{input=\"a\"} 2\n"
              "lines_total{input=\"b\"} 1\n"
              "lines_total{input=\"other\"} 3\n");
    metrics_destroy (&m);
}

static void
test_label_values_and_help_are_escaped (void **state)
{
    (void)state;
    metrics_t *m = metrics_new ();
    metrics_family_t *f = metrics_gauge_family (m, "g", "a \\ b\nc \"d\"", "peer", 4);
    metrics_gauge_set (metrics_family_gauge (f, "x\"y\\z\nw"), 1);
    s_expect (m,
              "# HELP g a \\\\ b\\nc \"d\"\n"
              "# TYPE g gauge\n"
              "g{peer=\"x\\\"y\\\\z\\nw\"} 1\n");
    metrics_destroy (&m);
}

static void
s_collect (void *arg, metrics_t *registry)
{
    (void)registry;
    metrics_family_t *f = arg;
    metrics_family_clear (f);
    metrics_gauge_set (metrics_family_gauge (f, "p1"), 5);
}

static void
test_collect_hook_runs_before_rendering_and_may_rebuild_a_family (void **state)
{
    (void)state;
    metrics_t *m = metrics_new ();
    metrics_family_t *f = metrics_gauge_family (m, "seen_seconds", "Since.", "peer", 4);
    metrics_gauge_set (metrics_family_gauge (f, "gone"), 9);
    metrics_on_collect (m, s_collect, f);
    s_expect (m,
              "# HELP seen_seconds Since.\n"
              "# TYPE seen_seconds gauge\n"
              "seen_seconds{peer=\"p1\"} 5\n");
    metrics_destroy (&m);
}

static void
test_empty_family_renders_only_help_and_type (void **state)
{
    (void)state;
    metrics_t *m = metrics_new ();
    (void)metrics_counter_family (m, "x_total", "X.", "reason", 4);
    s_expect (m, "# HELP x_total X.\n# TYPE x_total counter\n");
    metrics_destroy (&m);
    metrics_destroy (&m); /* NULL-safe */
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_counter_and_gauge_render_with_help_and_type),
        cmocka_unit_test (test_gauge_values_render_in_their_shortest_exact_form),
        cmocka_unit_test (test_histogram_renders_cumulative_buckets_sum_and_count),
        cmocka_unit_test (test_family_series_render_in_the_order_first_seen),
        cmocka_unit_test (test_family_past_its_bound_counts_new_values_as_other),
        cmocka_unit_test (test_label_values_and_help_are_escaped),
        cmocka_unit_test (test_collect_hook_runs_before_rendering_and_may_rebuild_a_family),
        cmocka_unit_test (test_empty_family_renders_only_help_and_type),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
