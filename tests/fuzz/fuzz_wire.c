/* libFuzzer target: the protocol frame decoder (common/wire.h). The input is a message with its
   frames separated by '\n' (so the seeds are readable: "PARLEY/1\nBATCH\n7\n{...}"). wire_decode
   must take it or refuse it with a reason; after a BATCH or an OUTCOMES header the body frames
   are counted as the collector and the agent walk them, every frame is also tried as an outcome,
   and a decoded header must agree with the message it came from. */
#include "log.h"
#include "wire.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_SEPARATOR '\n'

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    log_threshold = LOG_LEVEL_ERROR + 1;
    zmsg_t *msg = zmsg_new ();
    size_t start = 0;
    for (size_t i = 0; i <= size; i++) {
        if (i == size || data[i] == FUZZ_SEPARATOR) {
            if (zmsg_addmem (msg, data + start, i - start) != 0)
                abort ();
            start = i + 1;
        }
    }
    wire_header_t hdr;
    char err[256];
    err[0] = '\0';
    if (wire_decode (msg, &hdr, err, sizeof err) == 0) {
        if (hdr.kind == WIRE_BATCH || hdr.kind == WIRE_OUTCOMES) {
            size_t frames = 0;
            for (zframe_t *f = zmsg_next (msg); f; f = zmsg_next (msg)) {
                frames++;
            }
            if (frames != hdr.body_count)
                abort ();
        }
        if (strnlen (hdr.token, sizeof hdr.token) == sizeof hdr.token ||
            strnlen (hdr.reason, sizeof hdr.reason) == sizeof hdr.reason)
            abort (); /* the header's strings are always terminated */
    } else if (strnlen (err, sizeof err) == 0 || strnlen (err, sizeof err) == sizeof err) {
        abort (); /* a refusal always says why, in a terminated string */
    }
    for (zframe_t *f = zmsg_first (msg); f; f = zmsg_next (msg)) {
        wire_outcome_t outcome;
        if (wire_outcome_parse (f, &outcome) == 0 && outcome.verdict == WIRE_REJECTED &&
            strnlen (outcome.why.reason, sizeof outcome.why.reason) == sizeof outcome.why.reason)
            abort ();
    }
    zmsg_destroy (&msg);
    return 0;
}
