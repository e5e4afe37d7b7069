/* libFuzzer target: the event decoder and validator (common/event.h). The input is one line as
   it would come from a feed or a BATCH frame; event_parse must accept it or reject it with a
   reason, never crash, read outside it or leak. An accepted event must parse again the same. */
#include "event.h"
#include "log.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A fixed checking clock (2026-03-10T12:00:00Z), so that a run is reproducible. */
#define FUZZ_NOW_US INT64_C (1773144000000000)

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    log_threshold = LOG_LEVEL_ERROR + 1;
    /* A copy of exactly size bytes, without a NUL after it: any read past the line is caught. */
    char *line = malloc (size ? size : 1);
    if (!line)
        abort ();
    memcpy (line, data, size);
    event_t ev;
    reject_t why;
    if (event_parse (&ev, line, size, FUZZ_NOW_US, &why) == 0) {
        event_t again;
        reject_t why_again;
        if (event_parse (&again, line, size, FUZZ_NOW_US, &why_again) != 0)
            abort (); /* the same line must not be accepted once and rejected the next time */
        event_fini (&again);
    } else if (why.reason[0] == '\0') {
        abort (); /* a rejection always says why */
    }
    event_fini (&ev);
    free (line);
    return 0;
}
