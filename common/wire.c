#include "wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void
s_add_text (zmsg_t *msg, const char *text)
{
    int rc = zmsg_addmem (msg, text, strlen (text));
    assert (rc == 0);
    (void)rc;
}

static void
s_add_seq (zmsg_t *msg, uint64_t seq)
{
    char text[24];
    snprintf (text, sizeof text, "%" PRIu64, seq);
    s_add_text (msg, text);
}

static zmsg_t *
s_new (const char *command)
{
    zmsg_t *msg = zmsg_new ();
    s_add_text (msg, WIRE_VERSION);
    s_add_text (msg, command);
    return msg;
}

zmsg_t *
wire_batch_new (uint64_t seq)
{
    zmsg_t *msg = s_new ("BATCH");
    s_add_seq (msg, seq);
    return msg;
}

void
wire_batch_add (zmsg_t *batch, const void *event, size_t len)
{
    int rc = zmsg_addmem (batch, event, len);
    assert (rc == 0);
    (void)rc;
}

zmsg_t *
wire_ping_new (const char *token)
{
    zmsg_t *msg = s_new ("PING");
    s_add_text (msg, token);
    return msg;
}

zmsg_t *
wire_pong_new (const char *token)
{
    zmsg_t *msg = s_new ("PONG");
    s_add_text (msg, token);
    return msg;
}

zmsg_t *
wire_outcomes_new (uint64_t seq)
{
    zmsg_t *msg = s_new ("OUTCOMES");
    s_add_seq (msg, seq);
    return msg;
}

/* Tabs and newlines would break the frame's shape; a reason never needs them. */
static void
s_copy_flat (char *dst, const char *src, size_t cap)
{
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++)
        dst[i] = (src[i] == '\t' || src[i] == '\n' || src[i] == '\r') ? ' ' : src[i];
    dst[i] = '\0';
}

void
wire_outcomes_add (zmsg_t *reply, const wire_outcome_t *outcome)
{
    switch (outcome->verdict) {
        case WIRE_ACCEPTED:
            s_add_text (reply, "accepted");
            break;
        case WIRE_DUPLICATE:
            s_add_text (reply, "duplicate");
            break;
        case WIRE_REJECTED: {
            char field[REJECT_FIELD_MAX], reason[REJECT_REASON_MAX];
            s_copy_flat (field, outcome->why.field, sizeof field);
            s_copy_flat (reason, outcome->why.reason, sizeof reason);
            char text[sizeof "rejected\t\t" + sizeof field + sizeof reason];
            snprintf (text, sizeof text, "rejected\t%s\t%s", field, reason);
            s_add_text (reply, text);
            break;
        }
    }
}

zmsg_t *
wire_error_new (const uint64_t *seq, const char *reason)
{
    zmsg_t *msg = s_new ("ERROR");
    if (seq)
        s_add_seq (msg, *seq);
    else
        s_add_text (msg, "");
    char flat[256];
    s_copy_flat (flat, reason, sizeof flat);
    s_add_text (msg, flat);
    return msg;
}

static bool
s_frame_is (zframe_t *frame, const char *text)
{
    size_t n = strlen (text);
    return frame && zframe_size (frame) == n && memcmp (zframe_data (frame), text, n) == 0;
}

static int
s_parse_seq (zframe_t *frame, uint64_t *seq)
{
    size_t n = frame ? zframe_size (frame) : 0;
    const char *p = frame ? (const char *)zframe_data (frame) : NULL;
    if (n == 0 || n > 20 || (n > 1 && p[0] == '0'))
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        uint64_t d = (uint64_t)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *seq = v;
    return 0;
}

static void
s_frame_text (zframe_t *frame, char *dst, size_t cap)
{
    size_t n = zframe_size (frame);
    if (n >= cap)
        n = cap - 1;
    memcpy (dst, zframe_data (frame), n);
    dst[n] = '\0';
}

int
wire_decode (zmsg_t *msg, wire_header_t *hdr, char *err, size_t errlen)
{
    memset (hdr, 0, sizeof *hdr);
    zframe_t *version = zmsg_first (msg);
    if (!version) {
        snprintf (err, errlen, "empty message");
        return -1;
    }
    if (!s_frame_is (version, WIRE_VERSION)) {
        char seen[32];
        s_frame_text (version, seen, sizeof seen);
        for (char *c = seen; *c; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
                *c = '?';
        snprintf (
          err, errlen, "unsupported protocol version \"%s\" (expected \"%s\")", seen, WIRE_VERSION);
        return -1;
    }
    zframe_t *command = zmsg_next (msg);
    size_t frames = zmsg_size (msg);
    if (s_frame_is (command, "BATCH") || s_frame_is (command, "OUTCOMES")) {
        hdr->kind = s_frame_is (command, "BATCH") ? WIRE_BATCH : WIRE_OUTCOMES;
        if (s_parse_seq (zmsg_next (msg), &hdr->seq) != 0) {
            snprintf (err,
                      errlen,
                      "%s: sequence frame is not an unsigned decimal number",
                      hdr->kind == WIRE_BATCH ? "BATCH" : "OUTCOMES");
            return -1;
        }
        hdr->has_seq = true;
        hdr->body_count = frames - 3;
        if (hdr->kind == WIRE_BATCH && (hdr->body_count == 0 || hdr->body_count > WIRE_BATCH_MAX)) {
            snprintf (err,
                      errlen,
                      "BATCH %" PRIu64 ": has %zu events (allowed 1 to %d)",
                      hdr->seq,
                      hdr->body_count,
                      WIRE_BATCH_MAX);
            return -1;
        }
        return 0;
    }
    if (s_frame_is (command, "PING") || s_frame_is (command, "PONG")) {
        hdr->kind = s_frame_is (command, "PING") ? WIRE_PING : WIRE_PONG;
        zframe_t *token = zmsg_next (msg);
        if (frames != 3 || zframe_size (token) >= sizeof hdr->token) {
            snprintf (err,
                      errlen,
                      "%s: expected one token frame of at most %zu bytes",
                      hdr->kind == WIRE_PING ? "PING" : "PONG",
                      sizeof hdr->token - 1);
            return -1;
        }
        s_frame_text (token, hdr->token, sizeof hdr->token);
        return 0;
    }
    if (s_frame_is (command, "ERROR")) {
        hdr->kind = WIRE_ERROR;
        zframe_t *seq = zmsg_next (msg);
        zframe_t *reason = zmsg_next (msg);
        if (frames != 4) {
            snprintf (err, errlen, "ERROR: expected a sequence frame and a reason frame");
            return -1;
        }
        if (zframe_size (seq) > 0) {
            if (s_parse_seq (seq, &hdr->seq) != 0) {
                snprintf (err, errlen, "ERROR: sequence frame is not an unsigned decimal number");
                return -1;
            }
            hdr->has_seq = true;
        }
        s_frame_text (reason, hdr->reason, sizeof hdr->reason);
        /* Leave the cursor past the header, as for the other kinds. */
        zmsg_first (msg);
        zmsg_next (msg);
        zmsg_next (msg);
        return 0;
    }
    snprintf (err, errlen, "unknown command (expected BATCH or PING)");
    return -1;
}

int
wire_outcome_parse (zframe_t *frame, wire_outcome_t *outcome)
{
    memset (outcome, 0, sizeof *outcome);
    if (s_frame_is (frame, "accepted")) {
        outcome->verdict = WIRE_ACCEPTED;
        return 0;
    }
    if (s_frame_is (frame, "duplicate")) {
        outcome->verdict = WIRE_DUPLICATE;
        return 0;
    }
    size_t n = frame ? zframe_size (frame) : 0;
    const char *p = frame ? (const char *)zframe_data (frame) : NULL;
    if (n < 9 || memcmp (p, "rejected\t", 9) != 0)
        return -1;
    const char *field = p + 9, *end = p + n;
    const char *tab = memchr (field, '\t', (size_t)(end - field));
    if (!tab)
        return -1;
    outcome->verdict = WIRE_REJECTED;
    size_t flen = (size_t)(tab - field), rlen = (size_t)(end - tab - 1);
    if (flen >= sizeof outcome->why.field)
        flen = sizeof outcome->why.field - 1;
    if (rlen >= sizeof outcome->why.reason)
        rlen = sizeof outcome->why.reason - 1;
    memcpy (outcome->why.field, field, flen);
    memcpy (outcome->why.reason, tab + 1, rlen);
    return 0;
}
