/* The agent ↔ collector frames (docs/PROTOCOL.md is the specification; this is its C
   side). The agent's DEALER sends requests; the collector's ROUTER answers each one.

   request  BATCH:    "PARLEY/1" | "BATCH"    | seq | event 1 | … | event n   (1 ≤ n ≤
   WIRE_BATCH_MAX) PING:     "PARLEY/1" | "PING"     | token reply    OUTCOMES: "PARLEY/1" |
   "OUTCOMES" | seq | outcome 1 | … | outcome n PONG:     "PARLEY/1" | "PONG"     | token ERROR:
   "PARLEY/1" | "ERROR"    | seq or "" | reason

   seq is an unsigned 64-bit decimal without leading zeros; each event frame is one JSON
   line without its newline; each outcome frame is "accepted", "duplicate" or
   "rejected" TAB field TAB reason, in the order of the batch's events. */
#ifndef PARLEY_WIRE_H
#define PARLEY_WIRE_H
#include <czmq.h>
#include <stdint.h>
#include "parley.h"
#include "reject.h"

#define WIRE_VERSION "PARLEY/1"
#define WIRE_BATCH_MAX 5000
/* Largest frame the collector accepts (ZMQ_MAXMSGSIZE counts one frame): an event line is
   at most 16 KiB; the slack covers a long outcome. */
#define WIRE_FRAME_MAX (64 * 1024)

typedef enum { WIRE_BATCH, WIRE_PING, WIRE_OUTCOMES, WIRE_PONG, WIRE_ERROR } wire_kind_t;
typedef enum { WIRE_ACCEPTED, WIRE_DUPLICATE, WIRE_REJECTED } wire_verdict_t;

typedef struct {
    wire_verdict_t verdict;
    reject_t why; /* set when verdict is WIRE_REJECTED */
} wire_outcome_t;

/* A request's or reply's header, as decoded by wire_decode. */
typedef struct {
    wire_kind_t kind;
    uint64_t seq; /* BATCH, OUTCOMES, ERROR (0 when ERROR has none) */
    bool has_seq;
    char token[64];    /* PING, PONG */
    char reason[256];  /* ERROR */
    size_t body_count; /* BATCH: events; OUTCOMES: outcomes */
} wire_header_t;

/* New messages; caller owns them (zmsg_send takes them). */
zmsg_t *wire_batch_new (uint64_t seq);
void wire_batch_add (zmsg_t *batch, const void *event, size_t len);
zmsg_t *wire_ping_new (const char *token);
zmsg_t *wire_pong_new (const char *token);
zmsg_t *wire_outcomes_new (uint64_t seq);
void wire_outcomes_add (zmsg_t *reply, const wire_outcome_t *outcome);
zmsg_t *wire_error_new (const uint64_t *seq, const char *reason);

/* Decodes the header of msg (which starts at the version frame: a ROUTER's routing id
   must be popped first) and checks its shape. On success returns 0 and leaves the
   message's cursor so that zmsg_next returns the first body frame (event or outcome).
   On failure returns -1 with a one-line reason in err (e.g. "unsupported protocol version
   \"PARLEY/9\""), and fills hdr->seq/has_seq when a sequence could still be read. */
int wire_decode (zmsg_t *msg, wire_header_t *hdr, char *err, size_t errlen) PARLEY_MUST_CHECK;

/* Parses one outcome frame. Returns 0, or -1 if the frame is not a valid outcome. */
int wire_outcome_parse (zframe_t *frame, wire_outcome_t *outcome) PARLEY_MUST_CHECK;

#endif
