/* Checking a CSV feed before connecting it (the library half of `parley-agent --check`):
   maps a whole file offline (no spool, no network) and counts rows read, would be
   accepted and rejected, the rejections grouped by column and kind of reason with the
   first examples and their lines, so a feed owner can fix the mapping or the form. */
#ifndef PARLEY_CSV_CHECK_H
#define PARLEY_CSV_CHECK_H
#include "csv_mapping.h"
#include "parley.h"
#include "reject.h"
#include <stdint.h>
#include <stdio.h>

#define CSV_CHECK_EXAMPLES 3

typedef struct {
    char field[REJECT_FIELD_MAX]; /* the column ("" for the row as a whole) */
    char kind[REJECT_REASON_MAX]; /* the reason with quoted values and numbers blanked */
    uint64_t count;
    size_t nexamples;
    struct {
        uint64_t line;
        char reason[REJECT_REASON_MAX];
    } examples[CSV_CHECK_EXAMPLES]; /* the first ones, in file order */
} csv_check_reason_t;

typedef struct {
    uint64_t rows;     /* data rows read (good and malformed; not the header or blank lines) */
    uint64_t accepted; /* would be accepted by the agent */
    uint64_t amended;  /* of which amendments */
    uint64_t rejected;
    csv_check_reason_t *reasons; /* by first appearance */
    size_t nreasons;
    uint64_t blank;  /* JSON lines: blank lines skipped (not counted in rows) */
    bool lines;      /* a JSON-lines report: "lines read" rather than "rows read" */
    char error[512]; /* why the file could not be checked at all */
} csv_check_report_t;

/* Maps every row of the CSV file at path through mapping, checking events against now_us.
   Returns 0 with *report filled (rejections are data, not a failure), or -1 when the
   file cannot be read or its header does not fit the mapping (report->error says why).
   Call csv_check_report_fini after, either way. */
int csv_check_file (const char *path,
                    const csv_mapping_t *mapping,
                    int64_t now_us,
                    csv_check_report_t *report) PARLEY_MUST_CHECK;

/* Counts one rejection in report: grouped by field and kind of reason, keeping the first
   CSV_CHECK_EXAMPLES examples (for JSON-lines checks too, agent_check.c). */
void csv_check_add_reject (csv_check_report_t *report, uint64_t line, const reject_t *why);

/* Writes the report for people: a summary line, then each kind of rejection with its
   count and examples. */
void csv_check_print (const csv_check_report_t *report, const char *source, FILE *out);

void csv_check_report_fini (csv_check_report_t *report);

#endif
