/* rate_limit: the token bucket per key, on a clock the test moves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "rate_limit.h"

static void
test_a_new_peer_may_send_its_burst_at_once_and_then_waits (void **state)
{
    (void)state;
    rate_limit_t *rl = rate_limit_new (100, 500);
    assert_true (rate_limit_take (rl, "a", 300, 0));
    assert_true (rate_limit_take (rl, "a", 200, 0));
    assert_false (rate_limit_take (rl, "a", 1, 0));
    /* 100 a second: after 0.99 s, 99 tokens; after 1 s, 100. */
    assert_false (rate_limit_take (rl, "a", 100, 990));
    assert_true (rate_limit_take (rl, "a", 100, 1000));
    assert_false (rate_limit_take (rl, "a", 1, 1000));
    rate_limit_destroy (&rl);
    assert_null (rl);
}

static void
test_one_peer_over_its_limit_does_not_touch_another_peers_bucket (void **state)
{
    (void)state;
    rate_limit_t *rl = rate_limit_new (10, 20);
    for (int i = 0; i < 20; i++)
        assert_true (rate_limit_take (rl, "flooder", 1, 0));
    assert_false (rate_limit_take (rl, "flooder", 1, 0));
    assert_true (rate_limit_take (rl, "quiet", 20, 0));
    assert_int_equal (rate_limit_size (rl), 2);
    rate_limit_destroy (&rl);
}

static void
test_a_batch_larger_than_the_burst_passes_on_a_full_bucket_and_leaves_a_debt (void **state)
{
    (void)state;
    rate_limit_t *rl = rate_limit_new (1000, 500);
    assert_true (rate_limit_take (rl, "a", 2000, 0));     /* full bucket: let through, 1500 owed */
    assert_false (rate_limit_take (rl, "a", 2000, 1000)); /* -500 after 1 s */
    assert_false (rate_limit_take (rl, "a", 2000, 1999));
    assert_true (rate_limit_take (rl, "a", 2000, 2000)); /* +500: full again */
    rate_limit_destroy (&rl);
}

static void
test_the_average_rate_over_a_long_flood_is_the_rate (void **state)
{
    (void)state;
    rate_limit_t *rl = rate_limit_new (250, 100);
    size_t taken = 0;
    /* A batch of 50 tried every 10 ms for 60 s. */
    for (int64_t t = 0; t <= 60000; t += 10)
        if (rate_limit_take (rl, "a", 50, t))
            taken += 50;
    /* 100 at once, then 250 a second for 60 s: within one batch. */
    assert_true (taken >= 100 + 250 * 60 - 50 && taken <= 100 + 250 * 60 + 50);
    rate_limit_destroy (&rl);
}

static void
test_a_clock_going_back_adds_no_tokens (void **state)
{
    (void)state;
    rate_limit_t *rl = rate_limit_new (100, 100);
    assert_true (rate_limit_take (rl, "a", 100, 5000));
    assert_false (rate_limit_take (rl, "a", 1, 1000));
    assert_false (rate_limit_take (rl, "a", 1, 5000));
    assert_true (rate_limit_take (rl, "a", 1, 5010));
    rate_limit_destroy (&rl);
}

static void
test_quiet_peers_are_forgotten_when_too_many_are_known (void **state)
{
    (void)state;
    rate_limit_t *rl = rate_limit_new (10, 10);
    char key[32];
    for (int i = 0; i < RATE_LIMIT_KEYS_MAX; i++) {
        snprintf (key, sizeof key, "peer-%d", i);
        assert_true (rate_limit_take (rl, key, 10, 0));
    }
    assert_int_equal (rate_limit_size (rl), RATE_LIMIT_KEYS_MAX);
    /* peer-0 keeps sending: its bucket is not full and must be kept (it stays limited). */
    assert_false (rate_limit_take (rl, "peer-0", 10, 500));
    /* 0.5 s later a new peer comes: the others are half full, nothing is forgotten. */
    assert_true (rate_limit_take (rl, "new-1", 1, 500));
    assert_int_equal (rate_limit_size (rl), RATE_LIMIT_KEYS_MAX + 1);
    /* 2 s later every other bucket is full again: they are forgotten; peer-0's, not full
       (it took 10 at 1.9 s), is kept. */
    assert_true (rate_limit_take (rl, "peer-0", 10, 1900));
    assert_true (rate_limit_take (rl, "new-2", 1, 2000));
    assert_int_equal (rate_limit_size (rl), 2);
    assert_false (rate_limit_take (rl, "peer-0", 10, 2000));
    rate_limit_destroy (&rl);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_a_new_peer_may_send_its_burst_at_once_and_then_waits),
        cmocka_unit_test (test_one_peer_over_its_limit_does_not_touch_another_peers_bucket),
        cmocka_unit_test (
          test_a_batch_larger_than_the_burst_passes_on_a_full_bucket_and_leaves_a_debt),
        cmocka_unit_test (test_the_average_rate_over_a_long_flood_is_the_rate),
        cmocka_unit_test (test_a_clock_going_back_adds_no_tokens),
        cmocka_unit_test (test_quiet_peers_are_forgotten_when_too_many_are_known),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
