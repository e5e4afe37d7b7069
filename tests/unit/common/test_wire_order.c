/* order: once an agent's batch is refused, its later batches wait for it. */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "wire_order.h"

static zframe_t *
s_peer (const char *id)
{
    return zframe_new (id, strlen (id));
}

static void
test_nothing_refused_admits_everything (void **state)
{
    wire_order_t *order = wire_order_new ();
    zframe_t *a = s_peer ("\x00\x01\x02\x03\x04");
    for (uint64_t seq = 1; seq < 100; seq++)
        assert_true (wire_order_admit (order, a, seq, 0));
    assert_int_equal (wire_order_held (order), 0);
    zframe_destroy (&a);
    wire_order_destroy (&order);
}

static void
test_later_batches_wait_until_the_refused_one_returns (void **state)
{
    wire_order_t *order = wire_order_new ();
    zframe_t *a = s_peer ("agent-a"), *b = s_peer ("agent-b");
    wire_order_refused (order, a, 7, 0);
    wire_order_refused (order, a, 9, 0); /* the lowest refused seq is the one awaited */
    assert_int_equal (wire_order_held (order), 1);
    assert_false (wire_order_admit (order, a, 8, 10));
    assert_false (wire_order_admit (order, a, 12, 10));
    assert_true (wire_order_admit (order, b, 8, 10)); /* other agents are not held up */
    assert_true (wire_order_admit (order, a, 7, 20)); /* the refused batch itself lifts the hold */
    assert_int_equal (wire_order_held (order), 0);
    assert_true (wire_order_admit (order, a, 8, 30));
    assert_true (wire_order_admit (order, a, 9, 30));
    zframe_destroy (&a);
    zframe_destroy (&b);
    wire_order_destroy (&order);
}

static void
test_a_lower_refusal_moves_the_hold_back (void **state)
{
    wire_order_t *order = wire_order_new ();
    zframe_t *a = s_peer ("agent-a");
    wire_order_refused (order, a, 9, 0);
    wire_order_refused (order, a, 4, 0);
    assert_false (wire_order_admit (order, a, 9, 0));
    assert_false (wire_order_admit (order, a, 5, 0));
    assert_true (wire_order_admit (order, a, 4, 0));
    zframe_destroy (&a);
    wire_order_destroy (&order);
}

static void
test_holds_of_gone_peers_are_forgotten (void **state)
{
    wire_order_t *order = wire_order_new ();
    zframe_t *a = s_peer ("agent-a"), *b = s_peer ("agent-b");
    wire_order_refused (order, a, 3, 0);
    /* Long after, another peer's refusal sweeps the stale hold away. */
    wire_order_refused (order, b, 5, WIRE_ORDER_FORGET_MS + 60 * 1000 + 1);
    assert_int_equal (wire_order_held (order), 1);
    assert_true (wire_order_admit (order, a, 4, WIRE_ORDER_FORGET_MS + 60 * 1000 + 2));
    assert_false (wire_order_admit (order, b, 6, WIRE_ORDER_FORGET_MS + 60 * 1000 + 2));
    zframe_destroy (&a);
    zframe_destroy (&b);
    wire_order_destroy (&order);
}

static void
test_a_client_that_never_resends_is_released_after_the_longest_hold (void **state)
{
    wire_order_t *order = wire_order_new ();
    zframe_t *a = s_peer ("agent-a");
    wire_order_refused (order, a, 3, 1000);
    assert_false (wire_order_admit (order, a, 4, 1000 + WIRE_ORDER_HOLD_MAX_MS));
    /* Refusing the later batches does not extend the hold: only the awaited one does. */
    wire_order_refused (order, a, 4, 1000 + WIRE_ORDER_HOLD_MAX_MS);
    assert_true (wire_order_admit (order, a, 5, 1000 + WIRE_ORDER_HOLD_MAX_MS + 1));
    assert_int_equal (wire_order_held (order), 0);
    zframe_destroy (&a);
    wire_order_destroy (&order);
}

static void
test_a_refusal_of_a_batch_already_answered_holds_nothing (void **state)
{
    wire_order_t *order = wire_order_new ();
    zframe_t *a = s_peer ("agent-a");
    /* Batch 14 answered; a copy the agent sent again after its resend timeout is refused
       (a full spool): the agent is done with 14 and never sends it again. */
    wire_order_answered (order, a, 14, 0);
    wire_order_refused (order, a, 14, 10);
    assert_int_equal (wire_order_held (order), 0);
    assert_true (wire_order_admit (order, a, 15, 20));
    zframe_destroy (&a);
    wire_order_destroy (&order);
}

static void
test_answering_the_refused_batch_lifts_its_hold (void **state)
{
    wire_order_t *order = wire_order_new ();
    zframe_t *a = s_peer ("agent-a");
    /* A hub took batch 8 and waits for its fsync; a copy of 8 comes meanwhile and is
       refused; then 8 is answered. */
    wire_order_refused (order, a, 8, 0);
    assert_false (wire_order_admit (order, a, 9, 5));
    wire_order_answered (order, a, 8, 10);
    assert_int_equal (wire_order_held (order), 0);
    assert_true (wire_order_admit (order, a, 9, 20));
    /* Answering another batch lifts nothing. */
    wire_order_refused (order, a, 12, 30);
    wire_order_answered (order, a, 11, 40);
    assert_false (wire_order_admit (order, a, 13, 50));
    zframe_destroy (&a);
    wire_order_destroy (&order);
}

static void
test_a_late_copy_of_an_answered_batch_does_not_lift_a_hold (void **state)
{
    wire_order_t *order = wire_order_new ();
    zframe_t *a = s_peer ("agent-a");
    wire_order_answered (order, a, 5, 0);
    wire_order_refused (order, a, 6, 10);
    assert_true (wire_order_admit (order, a, 5, 20));  /* taken again: duplicates, harmless */
    assert_false (wire_order_admit (order, a, 7, 30)); /* 6 has still not come again */
    assert_true (wire_order_admit (order, a, 6, 40));
    assert_true (wire_order_admit (order, a, 7, 50));
    zframe_destroy (&a);
    wire_order_destroy (&order);
}

static void
test_answered_numbers_are_kept_per_peer_and_only_the_last_ones (void **state)
{
    wire_order_t *order = wire_order_new ();
    zframe_t *a = s_peer ("agent-a"), *b = s_peer ("agent-b");
    for (uint64_t seq = 1; seq <= WIRE_ORDER_ANSWERED_MAX + 1; seq++)
        wire_order_answered (order, a, seq, 0);
    wire_order_refused (order, b, 2, 0); /* b's 2 was never answered */
    assert_int_equal (wire_order_held (order), 1);
    wire_order_refused (order, a, 1, 0); /* pushed out of a's ring: a hold again */
    assert_int_equal (wire_order_held (order), 2);
    zframe_destroy (&a);
    zframe_destroy (&b);
    wire_order_destroy (&order);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_nothing_refused_admits_everything),
        cmocka_unit_test (test_later_batches_wait_until_the_refused_one_returns),
        cmocka_unit_test (test_a_lower_refusal_moves_the_hold_back),
        cmocka_unit_test (test_holds_of_gone_peers_are_forgotten),
        cmocka_unit_test (test_a_client_that_never_resends_is_released_after_the_longest_hold),
        cmocka_unit_test (test_a_refusal_of_a_batch_already_answered_holds_nothing),
        cmocka_unit_test (test_answering_the_refused_batch_lifts_its_hold),
        cmocka_unit_test (test_a_late_copy_of_an_answered_batch_does_not_lift_a_hold),
        cmocka_unit_test (test_answered_numbers_are_kept_per_peer_and_only_the_last_ones),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
