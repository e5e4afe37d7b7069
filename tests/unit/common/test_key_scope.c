/* key_scope: which associations a CURVE key may report for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include "constituency.h"
#include "key_scope.h"

/* An event as far as the scope looks at it: its association and constituency. */
static event_t
s_event (const char *association, const char *constituency_code)
{
    event_t ev;
    memset (&ev, 0, sizeof ev);
    snprintf (ev.association_id, sizeof ev.association_id, "%s", association);
    ev.constituency = constituency_by_code (constituency_code);
    assert_non_null (ev.constituency);
    return ev;
}

static void
test_listed_association_is_allowed_and_another_is_rejected_with_the_reason (void **state)
{
    (void)state;
    key_scope_t *scope = key_scope_new ("ASSOC-A, assoc-c", NULL);
    assert_int_equal (key_scope_association_count (scope), 2);
    event_t a = s_event ("ASSOC-A", "E14001063");
    event_t c = s_event ("ASSOC-C", "S14000021");
    event_t b = s_event ("ASSOC-B", "E14001063");
    reject_t why;
    assert_true (key_scope_check (scope, &a, &why));
    assert_true (key_scope_check (scope, &c, &why)); /* listed in lower case */
    assert_false (key_scope_check (scope, &b, &why));
    assert_string_equal (why.field, "association.id");
    assert_string_equal (why.reason, "not authorised for association ASSOC-B");
    key_scope_destroy (&scope);
    assert_null (scope);
}

static void
test_region_allows_events_whose_constituency_is_in_it_whatever_the_association (void **state)
{
    (void)state;
    /* E14001063 Aldershot is in the South East (E12000008); S14000021 is in Scotland. */
    key_scope_t *scope = key_scope_new (NULL, "e12000008");
    assert_int_equal (key_scope_region_count (scope), 1);
    event_t in = s_event ("ANY-ASSOC", "E14001063");
    event_t out = s_event ("ANY-ASSOC", "S14000021");
    assert_true (key_scope_allows (scope, &in));
    assert_false (key_scope_allows (scope, &out));
    key_scope_destroy (&scope);
}

static void
test_every_region_of_a_constituency_is_its_region_code (void **state)
{
    (void)state;
    /* Data-driven over the table: a scope of a constituency's region allows it, a scope of
       any other region does not. */
    for (size_t r = 0; r < constituency_region_count (); r++) {
        const constituency_region_t *region = constituency_region_at (r);
        key_scope_t *scope = key_scope_new ("", region->code);
        size_t allowed = 0;
        for (size_t i = 0; i < constituency_count (); i++) {
            event_t ev = s_event ("X", constituency_at (i)->code);
            if (key_scope_allows (scope, &ev))
                allowed++;
        }
        assert_int_equal (allowed, region->constituencies);
        key_scope_destroy (&scope);
    }
}

static void
test_empty_or_unknown_scope_allows_nothing (void **state)
{
    (void)state;
    event_t ev = s_event ("ASSOC-A", "E14001063");
    key_scope_t *none = key_scope_new (NULL, NULL);
    assert_false (key_scope_allows (none, &ev));
    key_scope_destroy (&none);
    key_scope_t *unknown = key_scope_new (" , ", "E99999999,XX");
    assert_int_equal (key_scope_unknown_regions (unknown), 2);
    assert_int_equal (key_scope_region_count (unknown), 0);
    assert_false (key_scope_allows (unknown, &ev));
    char text[128];
    key_scope_describe (unknown, text, sizeof text);
    assert_string_equal (text, "associations=none");
    key_scope_destroy (&unknown);
}

static void
test_no_scope_allows_everything (void **state)
{
    (void)state;
    event_t ev = s_event ("ASSOC-A", "E14001063");
    assert_true (key_scope_allows (NULL, &ev)); /* an --insecure server */
}

static void
test_describe_names_associations_and_regions (void **state)
{
    (void)state;
    key_scope_t *scope = key_scope_new ("A1,B2", "W92000004");
    char text[128];
    key_scope_describe (scope, text, sizeof text);
    assert_string_equal (text, "associations=A1,B2 regions=W92000004");
    key_scope_destroy (&scope);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (
          test_listed_association_is_allowed_and_another_is_rejected_with_the_reason),
        cmocka_unit_test (
          test_region_allows_events_whose_constituency_is_in_it_whatever_the_association),
        cmocka_unit_test (test_every_region_of_a_constituency_is_its_region_code),
        cmocka_unit_test (test_empty_or_unknown_scope_allows_nothing),
        cmocka_unit_test (test_no_scope_allows_everything),
        cmocka_unit_test (test_describe_names_associations_and_regions),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
