/* One CSV input (a form export) read through a mapping, yielding events and refused rows
   with where they came from: the file-reading half that the agent loop (and --check) call,
   over csv_reader (rows), csv_map (row -> event) and the mapping bound to the file's
   header. It never blocks: a regular file is read as needed.

   Positions: item.end_offset / end_line after each item are where a restart resumes
   (csv_feed_resume), saved once everything before them is durable, exactly as for a
   JSON-lines feed (offsets.h). With follow set, the end of a regular file is not the end
   of the input: a row is taken only once its line end is there, and csv_feed_next says
   CSV_FEED_WAIT until more is appended (or csv_feed_finish says the input has ended).
   One csv_feed_next reads at most CSV_FEED_READ_BUDGET bytes (then CSV_FEED_AGAIN), so
   that an input that never ends a row cannot hold up the caller's loop. */
#ifndef PARLEY_CSV_FEED_H
#define PARLEY_CSV_FEED_H
#include "csv_map.h"
#include "csv_mapping.h"
#include "parley.h"
#include "reject.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CSV_FEED_READ_SIZE 65536           /* bytes read at a time */
#define CSV_FEED_READ_BUDGET (1024 * 1024) /* bytes one csv_feed_next may read */

typedef struct csv_feed csv_feed_t;

typedef enum {
    CSV_FEED_ERROR = -1, /* the input cannot be read, or its header does not fit the
                            mapping: csv_feed_error says why; the feed is finished */
    CSV_FEED_EOF = 0,    /* no more rows */
    CSV_FEED_EVENT = 1,  /* item->event is a checked event line */
    CSV_FEED_REJECT = 2, /* item->why says why the row was refused */
    CSV_FEED_WAIT = 3,   /* following, and no complete row yet: poll or wait, then call again */
    CSV_FEED_AGAIN = 4,  /* CSV_FEED_READ_BUDGET bytes read without a row: call again later */
} csv_feed_status_t;

typedef struct {
    uint64_t line;         /* physical line the row starts on */
    uint64_t end_offset;   /* byte offset just past the row: where a restart resumes */
    uint64_t end_line;     /* lines before end_offset */
    csv_map_event_t event; /* CSV_FEED_EVENT: valid until the next call */
    reject_t why;          /* CSV_FEED_REJECT */
    const char *raw;       /* the row's CSV text (for rejected.jsonl's input), valid */
    size_t raw_len;        /* until the next call */
} csv_feed_item_t;

/* Opens path for reading through mapping, which must outlive the feed. Returns NULL with
   a one-line reason in err when it cannot be opened or is a directory. The header is read
   with the first csv_feed_next. */
csv_feed_t *csv_feed_open (const char *path,
                           const csv_mapping_t *mapping,
                           char *err,
                           size_t errlen);
/* The same over fd, which the feed then owns (closes), named name. A FIFO or pipe is
   read only when poll says it has something (CSV_FEED_WAIT otherwise). */
csv_feed_t *csv_feed_new_fd (int fd, const char *name, const csv_mapping_t *mapping);
/* Closes; NULL-safe; sets *self_p to NULL. */
void csv_feed_destroy (csv_feed_t **self_p);

/* Before the first csv_feed_next: the rows before byte offset (lines lines) were taken in
   an earlier run. The header is still read from the start of the file, then reading goes
   on at offset. */
void csv_feed_resume (csv_feed_t *self, uint64_t offset, uint64_t lines);

/* Whether the end of the file ends the input (false, the default) or more may come. */
void csv_feed_set_follow (csv_feed_t *self, bool follow);

/* The input has ended (a followed file that will not grow): a last row without a line
   end is complete. */
void csv_feed_finish (csv_feed_t *self);
/* Whether bytes were read after the last row taken (a row without its line end yet). */
bool csv_feed_has_partial (const csv_feed_t *self);

/* The next event or refused row. now_us is the checking clock. */
csv_feed_status_t csv_feed_next (csv_feed_t *self,
                                 int64_t now_us,
                                 csv_feed_item_t *item) PARLEY_MUST_CHECK;

/* After CSV_FEED_ERROR: why, in one line naming the file. */
const char *csv_feed_error (const csv_feed_t *self);
/* The name given at open. */
const char *csv_feed_name (const csv_feed_t *self);
/* The descriptor (for the offsets' file identity, and to poll). */
int csv_feed_fd (const csv_feed_t *self);

#endif
