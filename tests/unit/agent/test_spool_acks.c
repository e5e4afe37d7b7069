/* spool_acks: acknowledged ranges stay sorted, disjoint and merged whatever the order
   (checked against a plain bitmap), and the floor moves only over records that were
   read and acknowledged, in order, or past ids that do not exist once nothing read is
   left unacknowledged. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <stdbool.h>
#include <string.h>

#include "spool_acks.h"

/* Logical end of record id in these tests: records of 100 bytes laid end to end. */
static uint64_t
s_end (uint64_t id)
{
    return id * 100;
}

static void
s_read_range (spool_acks_t *a, uint64_t first, uint64_t last)
{
    for (uint64_t id = first; id <= last; id++)
        spool_acks_read (a, id, s_end (id));
}

static uint64_t
s_rand (uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void
test_ranges_match_a_bitmap_whatever_the_order (void **state)
{
    enum { N = 600 };
    for (uint64_t seed = 1; seed <= 20; seed++) {
        spool_acks_t a;
        spool_acks_init (&a);
        bool acked[N + 2] = { false };
        uint64_t s = seed * 0x9E3779B97F4A7C15ull;
        for (int k = 0; k < 150; k++) {
            uint64_t first = 1 + s_rand (&s) % N;
            uint64_t last = first + s_rand (&s) % 12;
            if (last > N)
                last = N;
            spool_acks_add (&a, first, last);
            for (uint64_t id = first; id <= last; id++)
                acked[id] = true;
            /* sorted, disjoint, never touching (touching ranges merge) */
            for (size_t i = 0; i < a.nranges; i++) {
                assert_true (a.ranges[i].first <= a.ranges[i].last);
                if (i)
                    assert_true (a.ranges[i - 1].last + 1 < a.ranges[i].first);
            }
        }
        size_t runs = 0;
        for (uint64_t id = 1; id <= N + 1; id++) {
            assert_int_equal (spool_acks_contains (&a, id), acked[id]);
            if (acked[id] && !acked[id - 1])
                runs++;
        }
        assert_int_equal (a.nranges, runs);
        spool_acks_fini (&a);
    }
}

static void
test_the_floor_moves_only_over_read_records_acknowledged_in_order (void **state)
{
    spool_acks_t a;
    spool_acks_init (&a);
    spool_acks_start (&a, 0, 0);
    s_read_range (&a, 1, 5);
    spool_acks_add (&a, 2, 3);
    assert_false (spool_acks_advance (&a));
    assert_int_equal (a.floor, 0);
    spool_acks_add (&a, 1, 1);
    assert_true (spool_acks_advance (&a));
    assert_int_equal (a.floor, 3);
    assert_int_equal (a.floor_pos, s_end (3));
    assert_int_equal (a.nranges, 0); /* the floor covers them now */
    spool_acks_add (&a, 5, 9);       /* 6..9 not read yet */
    assert_false (spool_acks_advance (&a));
    spool_acks_add (&a, 4, 4);
    assert_true (spool_acks_advance (&a));
    assert_int_equal (a.floor, 5);
    /* acknowledged but not read: the floor does not pass them until they are read */
    assert_true (spool_acks_contains (&a, 7));
    s_read_range (&a, 6, 7);
    assert_true (spool_acks_advance (&a));
    assert_int_equal (a.floor, 7);
    assert_int_equal (a.floor_pos, s_end (7));
    spool_acks_fini (&a);
}

static void
test_ids_that_do_not_exist_are_passed_once_nothing_read_is_unacknowledged (void **state)
{
    spool_acks_t a;
    spool_acks_init (&a);
    spool_acks_start (&a, 10, 1000);
    /* 11 and 12 read; 13..15 were lost to damage; 16 read */
    spool_acks_read (&a, 11, 1100);
    spool_acks_read (&a, 12, 1200);
    spool_acks_read (&a, 16, 1700);
    assert_false (spool_acks_read_all (&a, 16, 1700)); /* nothing new: 16 was read */
    spool_acks_add (&a, 11, 12);
    assert_true (spool_acks_advance (&a));
    assert_int_equal (a.floor, 12); /* 16 is read and not acknowledged: the gap waits */
    spool_acks_add (&a, 16, 16);
    assert_true (spool_acks_advance (&a));
    assert_int_equal (a.floor, 16);
    assert_int_equal (a.floor_pos, 1700);
    /* everything appended read (last_id 20, ids 17..20 set aside): the floor passes them */
    assert_true (spool_acks_read_all (&a, 20, 1900));
    assert_true (spool_acks_advance (&a));
    assert_int_equal (a.floor, 20);
    assert_int_equal (a.floor_pos, 1900);
    assert_int_equal (spool_acks_pending (&a, 20), 0);
    spool_acks_fini (&a);
}

static void
test_acks_at_or_below_the_floor_change_nothing (void **state)
{
    spool_acks_t a;
    spool_acks_init (&a);
    spool_acks_start (&a, 50, 5000);
    spool_acks_add (&a, 1, 50);
    assert_int_equal (a.nranges, 0);
    spool_acks_add (&a, 40, 52);
    assert_int_equal (a.nranges, 1);
    assert_int_equal (a.ranges[0].first, 51);
    assert_int_equal (a.ranges[0].last, 52);
    assert_true (spool_acks_contains (&a, 1));
    assert_int_equal (spool_acks_pending (&a, 60), 8); /* 53..60 */
    spool_acks_fini (&a);
}

static void
test_a_record_read_again_is_not_counted_twice (void **state)
{
    spool_acks_t a;
    spool_acks_init (&a);
    spool_acks_start (&a, 0, 0);
    s_read_range (&a, 1, 10);
    assert_int_equal (a.ring_len, 10);
    s_read_range (&a, 1, 10); /* after a rewind */
    assert_int_equal (a.ring_len, 10);
    spool_acks_add (&a, 1, 10);
    assert_true (spool_acks_advance (&a));
    assert_int_equal (a.ring_len, 0);
    assert_int_equal (a.floor, 10);
    spool_acks_fini (&a);
}

/* The ring grows past its first size while its head has moved: order survives. */
static void
test_the_ring_keeps_order_across_growth_and_wrap_around (void **state)
{
    spool_acks_t a;
    spool_acks_init (&a);
    spool_acks_start (&a, 0, 0);
    uint64_t next = 1;
    for (int round = 0; round < 6; round++) {
        s_read_range (&a, next, next + 899);
        next += 900;
        uint64_t upto = a.floor + 700;
        spool_acks_add (&a, a.floor + 1, upto);
        assert_true (spool_acks_advance (&a));
        assert_int_equal (a.floor, upto);
        assert_int_equal (a.floor_pos, s_end (upto));
        assert_int_equal (a.ring_len, next - 1 - upto);
    }
    assert_true (a.ring_cap > 1024);
    spool_acks_add (&a, 1, next - 1);
    assert_true (spool_acks_advance (&a));
    assert_int_equal (a.floor, next - 1);
    assert_int_equal (a.ring_len, 0);
    spool_acks_fini (&a);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_ranges_match_a_bitmap_whatever_the_order),
        cmocka_unit_test (test_the_floor_moves_only_over_read_records_acknowledged_in_order),
        cmocka_unit_test (
          test_ids_that_do_not_exist_are_passed_once_nothing_read_is_unacknowledged),
        cmocka_unit_test (test_acks_at_or_below_the_floor_change_nothing),
        cmocka_unit_test (test_a_record_read_again_is_not_counted_twice),
        cmocka_unit_test (test_the_ring_keeps_order_across_growth_and_wrap_around),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
