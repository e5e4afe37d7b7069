/* spool_frame: the bytes of a frame are exactly docs/SPOOL.md's (checked against frames
   written by the spool before it was split into parts), the CRC is zlib's crc32 over the
   header's first 16 bytes and the payload, and no single flipped bit, in header or
   payload, passes verification. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include <string.h>
#include <zlib.h>

#include "spool_frame.h"

/* A frame (header + payload) built with spool_frame_header_make. */
static size_t
s_frame (unsigned char *buf, uint64_t id, const char *payload)
{
    size_t len = strlen (payload);
    spool_frame_header_make (buf, id, payload, (uint32_t)len);
    memcpy (buf + SPOOL_FRAME_HEADER, payload, len);
    return SPOOL_FRAME_HEADER + len;
}

static void
test_frames_are_byte_for_byte_those_of_the_format (void **state)
{
    /* The first two records of a new spool, "a" and "hello", as the spool wrote them
       before the split (xxd of 00000000000000000001.seg). */
    static const unsigned char want[] = { 0xfe, 0x50, 0x53, 0x01, 0x01, 0x00, 0x00, 0x00,
                                          0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                          0xe1, 0x37, 0x19, 0x6c, 0x61, 0xfe, 0x50, 0x53,
                                          0x01, 0x05, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00,
                                          0x00, 0x00, 0x00, 0x00, 0x00, 0x58, 0xca, 0x05,
                                          0x2b, 0x68, 0x65, 0x6c, 0x6c, 0x6f };
    unsigned char buf[64];
    size_t n = s_frame (buf, 1, "a");
    n += s_frame (buf + n, 2, "hello");
    assert_int_equal (n, sizeof want);
    assert_memory_equal (buf, want, sizeof want);
}

static void
test_the_crc_is_zlib_crc32_of_the_first_16_header_bytes_then_the_payload (void **state)
{
    unsigned char buf[128];
    const char *payload = "{\"event_id\":\"x\"}";
    s_frame (buf, 0x0102030405060708ull, payload);
    uLong crc = crc32 (0L, Z_NULL, 0);
    crc = crc32 (crc, buf, 16);
    crc = crc32 (crc, (const Bytef *)payload, (uInt)strlen (payload));
    unsigned char le[4] = { (unsigned char)crc,
                            (unsigned char)(crc >> 8),
                            (unsigned char)(crc >> 16),
                            (unsigned char)(crc >> 24) };
    assert_memory_equal (buf + 16, le, 4);
    /* the id, little-endian, at 8 */
    static const unsigned char id_le[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };
    assert_memory_equal (buf + 8, id_le, 8);
}

static void
test_a_header_reads_back_its_fields (void **state)
{
    unsigned char buf[SPOOL_FRAME_HEADER + SPOOL_RECORD_MAX];
    static unsigned char payload[SPOOL_RECORD_MAX];
    memset (payload, 'z', sizeof payload);
    spool_frame_header_make (buf, UINT64_MAX - 1, payload, SPOOL_RECORD_MAX);
    memcpy (buf + SPOOL_FRAME_HEADER, payload, sizeof payload);
    spool_frame_header_t fh;
    assert_true (spool_frame_header_read (buf, &fh));
    assert_int_equal (fh.id, UINT64_MAX - 1);
    assert_int_equal (fh.len, SPOOL_RECORD_MAX);
    assert_true (spool_frame_verify (buf, &fh));
}

static void
test_no_single_bit_flip_passes (void **state)
{
    unsigned char good[128], bad[128];
    size_t n = s_frame (good, 42, "some payload bytes");
    for (size_t byte = 0; byte < n; byte++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy (bad, good, n);
            bad[byte] ^= (unsigned char)(1u << bit);
            spool_frame_header_t fh;
            if (!spool_frame_header_read (bad, &fh))
                continue; /* the magic itself: not a frame at all */
            if (fh.len != n - SPOOL_FRAME_HEADER)
                continue; /* the length: the cursor's bounds check refuses it first */
            if (spool_frame_verify (bad, &fh))
                fail_msg ("flip of bit %d in byte %zu passed", bit, byte);
        }
}

static void
test_a_flipped_magic_is_not_a_frame (void **state)
{
    unsigned char buf[64];
    s_frame (buf, 1, "x");
    for (int i = 0; i < SPOOL_FRAME_MAGIC_LEN; i++) {
        buf[i] ^= 0x10;
        spool_frame_header_t fh;
        assert_false (spool_frame_header_read (buf, &fh));
        buf[i] ^= 0x10;
    }
}

static void
test_padding_covers_any_bytes_and_checks_only_its_header (void **state)
{
    unsigned char buf[SPOOL_FRAME_HEADER + 300];
    memset (buf, 0xAA, sizeof buf);
    spool_frame_padding_make (buf, 300);
    spool_frame_header_t fh;
    assert_true (spool_frame_header_read (buf, &fh));
    assert_int_equal (fh.id, 0);
    assert_int_equal (fh.len, 300);
    assert_true (spool_frame_verify (buf, &fh));
    memset (buf + SPOOL_FRAME_HEADER, 0x55, 300); /* what it covers does not matter */
    assert_true (spool_frame_verify (buf, &fh));
    uLong crc = crc32 (crc32 (0L, Z_NULL, 0), buf, 16);
    assert_int_equal (buf[16] | buf[17] << 8 | buf[18] << 16 | (uLong)buf[19] << 24, crc);
    buf[5] ^= 1; /* its length is covered */
    assert_true (spool_frame_header_read (buf, &fh));
    assert_false (spool_frame_verify (buf, &fh));
}

static void
test_find_returns_the_first_whole_magic (void **state)
{
    unsigned char buf[200];
    memset (buf, 'j', sizeof buf);
    assert_null (spool_frame_find (buf, sizeof buf));
    s_frame (buf + 50, 1, "x");
    s_frame (buf + 120, 2, "y");
    assert_ptr_equal (spool_frame_find (buf, sizeof buf), buf + 50);
    assert_ptr_equal (spool_frame_find (buf + 51, sizeof buf - 51), buf + 120);
    /* a magic cut by the end of the range is not found */
    assert_null (spool_frame_find (buf + 51, 120 - 51 + SPOOL_FRAME_MAGIC_LEN - 1));
    assert_ptr_equal (spool_frame_find (buf + 51, 120 - 51 + SPOOL_FRAME_MAGIC_LEN), buf + 120);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_frames_are_byte_for_byte_those_of_the_format),
        cmocka_unit_test (test_the_crc_is_zlib_crc32_of_the_first_16_header_bytes_then_the_payload),
        cmocka_unit_test (test_a_header_reads_back_its_fields),
        cmocka_unit_test (test_no_single_bit_flip_passes),
        cmocka_unit_test (test_a_flipped_magic_is_not_a_frame),
        cmocka_unit_test (test_padding_covers_any_bytes_and_checks_only_its_header),
        cmocka_unit_test (test_find_returns_the_first_whole_magic),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
