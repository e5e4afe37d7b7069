/* spool_backlog: the backlog read from a spool's files alone equals what the spool itself
   counts as pending, open or closed; damage is skipped and counted; a missing spool is an
   error. */
/* cmocka.h needs these before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "spool_fixture.h"

#include "record.h"
#include "spool_backlog.h"

static const char *const s_source = "/var/feeds/crm.jsonl";

/* Appends the event of line n (its reported_at tells it apart). */
static void
s_append_event (spool_t *spool, uint64_t n)
{
    char line[256];
    int len = snprintf (line,
                        sizeof line,
                        "{\"event_id\":\"x\",\"reported_at\":\"2025-03-%02" PRIu64 "T10:00:00Z\"}",
                        n % 28 + 1);
    unsigned char buf[512];
    size_t size = record_encode (buf, sizeof buf, s_source, n, line, (size_t)len);
    assert_true (size > 0);
    uint64_t id;
    assert_int_equal (spool_append (spool, buf, size, &id), SPOOL_OK);
}

/* A spool of 60 events in small segments, the first 25 read and acknowledged. */
static spool_t *
s_spool_with_backlog (void)
{
    spool_options_t o = s_opts (2048, 0);
    spool_t *spool = s_open (&o);
    for (uint64_t n = 1; n <= 60; n++)
        s_append_event (spool, n);
    assert_int_equal (spool_sync (spool), 0);
    for (int i = 0; i < 25; i++) {
        uint64_t id;
        const void *data;
        size_t len;
        assert_int_equal (spool_read_next (spool, &id, &data, &len), 1);
        assert_int_equal (spool_ack (spool, id, id), 0);
    }
    assert_int_equal (spool_sync (spool), 0);
    return spool;
}

static void
test_backlog_of_a_closed_spool_equals_what_the_spool_counted_pending (void **state)
{
    (void)state;
    spool_t *spool = s_spool_with_backlog ();
    uint64_t records = spool_pending_records (spool), bytes = spool_pending_bytes (spool);
    spool_destroy (&spool);
    spool_backlog_t b;
    char err[256];
    assert_int_equal (spool_backlog_read (s_dir, &b, err, sizeof err), 0);
    assert_int_equal (records, 35);
    assert_int_equal (b.events, records);
    assert_int_equal (b.bytes, bytes);
    assert_int_equal (b.floor, 25);
    assert_int_equal (b.oldest_id, 26);
    assert_int_equal (b.oldest_line, 26);
    assert_string_equal (b.oldest_source, s_source);
    assert_string_equal (b.oldest_reported_at, "2025-03-27T10:00:00Z");
    assert_true (b.segments >= 2);
    assert_int_equal (b.damaged_bytes, 0);
    /* And the agent that opens it next finds the same. */
    spool_options_t o = s_opts (2048, 0);
    spool = s_open (&o);
    assert_int_equal (spool_pending_records (spool), b.events);
    assert_int_equal (spool_pending_bytes (spool), b.bytes);
    spool_destroy (&spool);
}

static void
test_backlog_is_read_while_the_spool_is_open_without_its_lock (void **state)
{
    (void)state;
    spool_t *spool = s_spool_with_backlog ();
    spool_backlog_t b;
    char err[256];
    /* The floor on disk is written lazily: the count is at least what is pending. */
    assert_int_equal (spool_backlog_read (s_dir, &b, err, sizeof err), 0);
    assert_true (b.events >= spool_pending_records (spool));
    assert_true (b.events <= 60);
    /* The spool still works: the lock was not taken. */
    s_append_event (spool, 61);
    assert_int_equal (spool_sync (spool), 0);
    spool_destroy (&spool);
}

static void
test_damaged_record_is_skipped_and_counted (void **state)
{
    (void)state;
    spool_t *spool = s_spool_with_backlog ();
    spool_destroy (&spool);
    /* A byte of the last segment's first record's payload changes. */
    DIR *d = opendir (s_path ("%s/spool", s_dir));
    assert_non_null (d);
    char last[300] = "";
    struct dirent *e;
    while ((e = readdir (d)))
        if (strstr (e->d_name, ".seg") && strcmp (e->d_name, last) > 0)
            snprintf (last, sizeof last, "%s", e->d_name);
    closedir (d);
    int fd = open (s_path ("%s/spool/%s", s_dir, last), O_RDWR);
    assert_true (fd >= 0);
    unsigned char c;
    assert_int_equal (pread (fd, &c, 1, HDR + 5), 1);
    c ^= 0x40;
    assert_int_equal (pwrite (fd, &c, 1, HDR + 5), 1);
    close (fd);
    spool_backlog_t b;
    char err[256];
    assert_int_equal (spool_backlog_read (s_dir, &b, err, sizeof err), 0);
    assert_int_equal (b.events, 34);
    assert_true (b.damaged_bytes > HDR);
}

static void
test_empty_spool_has_no_oldest (void **state)
{
    (void)state;
    spool_options_t o = s_opts (0, 0);
    spool_t *spool = s_open (&o);
    spool_destroy (&spool);
    spool_backlog_t b;
    char err[256];
    assert_int_equal (spool_backlog_read (s_dir, &b, err, sizeof err), 0);
    assert_int_equal (b.events, 0);
    assert_int_equal (b.bytes, 0);
    assert_int_equal (b.oldest_id, 0);
    assert_string_equal (b.oldest_reported_at, "");
}

static void
test_missing_spool_is_an_error_naming_it (void **state)
{
    (void)state;
    spool_backlog_t b;
    char err[256];
    assert_int_equal (spool_backlog_read (s_path ("%s/nothing", s_dir), &b, err, sizeof err), -1);
    assert_non_null (strstr (err, "nothing/spool"));
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (
          test_backlog_of_a_closed_spool_equals_what_the_spool_counted_pending,
          s_setup,
          s_teardown),
        cmocka_unit_test_setup_teardown (
          test_backlog_is_read_while_the_spool_is_open_without_its_lock, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_damaged_record_is_skipped_and_counted, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_empty_spool_has_no_oldest, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (
          test_missing_spool_is_an_error_naming_it, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
