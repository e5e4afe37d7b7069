/* libFuzzer target: the CSV reader and the mapping (agent/csv_reader.h, agent/csv_map.h). The
   input is a form export; it is read through each mapping of examples/forms/ as the agent reads
   a file: fed in two parts (so a row may be cut between two feeds), every row taken, the header
   bound to the mapping and every data row mapped. A mapped row must be a valid event. */
#include "csv_map.h"
#include "csv_mapping.h"
#include "csv_reader.h"
#include "event.h"
#include "log.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_NOW_US INT64_C (1773144000000000) /* 2026-03-10T12:00:00Z */

static const char *const s_mapping_files[] = {
    PARLEY_SOURCE_DIR "/examples/forms/google-engagement-log.ini",
    PARLEY_SOURCE_DIR "/examples/forms/msforms-member-meetings.ini",
};
#define S_MAPPINGS (sizeof s_mapping_files / sizeof s_mapping_files[0])
static csv_mapping_t *s_mappings[S_MAPPINGS];

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    log_threshold = LOG_LEVEL_ERROR + 1;
    for (size_t i = 0; i < S_MAPPINGS; i++) {
        char err[512];
        s_mappings[i] = csv_mapping_load (s_mapping_files[i], err, sizeof err);
        if (!s_mappings[i]) {
            fprintf (stderr, "fuzz_csv: %s\n", err);
            exit (1);
        }
    }
    return 0;
}

/* Takes every complete row the reader has. */
static void
s_drain (csv_reader_t *reader, const csv_mapping_t *mapping, csv_map_t **map)
{
    for (;;) {
        csv_row_t row;
        reject_t why;
        csv_reader_status_t status = csv_reader_next (reader, &row, &why);
        if (status == CSV_READER_MORE || status == CSV_READER_END)
            return;
        if (status == CSV_READER_HEADER) {
            char err[512];
            csv_map_destroy (map);
            *map = csv_map_new (mapping, row.fields, row.count, err, sizeof err);
        } else if (status == CSV_READER_ROW && *map) {
            csv_map_event_t out;
            if (csv_map_row (*map, &row, FUZZ_NOW_US, &out, &why) == 0) {
                event_t ev;
                reject_t ev_why;
                if (event_parse (&ev, out.line, out.len, FUZZ_NOW_US, &ev_why) != 0) {
                    fprintf (
                      stderr, "mapped row is not an event: %s: %s\n", ev_why.field, ev_why.reason);
                    abort ();
                }
                event_fini (&ev);
            } else if (why.reason[0] == '\0') {
                abort (); /* a rejected row always says why */
            }
        } else if (status == CSV_READER_BAD && why.reason[0] == '\0') {
            abort ();
        }
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    for (size_t i = 0; i < S_MAPPINGS; i++) {
        /* Small limits, so that the fuzzer reaches them with small inputs. */
        csv_reader_options_t opts = { .row_max = 2048, .fields_max = 64 };
        csv_reader_t *reader = csv_reader_new (&opts);
        csv_map_t *map = NULL;
        size_t cut = size / 3;
        csv_reader_feed (reader, data, cut);
        s_drain (reader, s_mappings[i], &map);
        csv_reader_feed (reader, data + cut, size - cut);
        s_drain (reader, s_mappings[i], &map);
        csv_reader_finish (reader);
        s_drain (reader, s_mappings[i], &map);
        csv_map_destroy (&map);
        csv_reader_destroy (&reader);
    }
    return 0;
}
