/* One input of the agent: a regular file (read once, or followed as it grows), a FIFO or
   standard input, read as JSON lines (feed.h) or as a CSV form export through a mapping
   (csv_feed.h), yielding one item at a time with where it came from and where a restart
   resumes. input_set.c runs many of them at once; this module is one input's life:

   - Peek, then consume. input_next returns the same item again until input_consume says
     it was taken (spooled, or refused), so that an item the spool cannot take yet (full,
     disk error) is simply asked for again later: nothing is held elsewhere.
   - Positions. A regular file resumes where the last run stopped (offsets.h: by file
     identity, with fingerprints of the first kilobyte and of the kilobyte before the
     saved offset). A position is saved only once the spool records of every item before
     it are durable: input_taken notes each record id, input_checkpoint saves what the
     durable id covers. Streams (FIFOs, standard input) have no position.
   - The newline rule. A line (or CSV row) is taken only once its line end is there. An
     input that is not followed ends at its end: its unterminated last line is taken then.
     A followed file's unterminated last line waits for its newline, or until the writer
     has closed the file (IN_CLOSE_WRITE, input_notify) and the file has stayed unchanged
     for INPUT_PARTIAL_MS, or until the file is rotated away.
   - Following (--follow). At the end of a followed file, each time it is asked (after a
     change notice, or the set's periodic look) the input checks, in order: truncation (the
     file is now shorter than what was read: read again from the start, logged), content
     changed under the read position (the kilobyte before it is not what it was: read
     again from the start, logged; the collector answers the lines read again as
     duplicates), rotation (another file, or none, now has the name, or the file was
     deleted: the old file is finished to its end, then the new one is opened when it
     appears), and the newline rule above. A followed FIFO is opened again after its writer
     closes it (so the next writer finds a reader); standard input ends at its end. */
#ifndef PARLEY_INPUT_H
#define PARLEY_INPUT_H
#include "csv_mapping.h"
#include "offsets.h"
#include "parley.h"
#include "reject.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A followed file's unterminated last line is taken once the writer has closed the file
   and it has stayed unchanged this long. */
#define INPUT_PARTIAL_MS 5000
/* Positions are noted at most this often while input flows (then saved once durable). */
#define INPUT_CHECKPOINT_MS 100

typedef struct input input_t;

typedef struct {
    bool follow;                  /* --follow (never for standard input's end) */
    const csv_mapping_t *mapping; /* read as CSV through it (NULL: JSON lines) */
    offsets_t *offsets;           /* where files resume (borrowed) */
} input_options_t;

typedef enum {
    INPUT_ITEM_EVENT,   /* data[0..len): an event line to offer to the intake */
    INPUT_ITEM_REFUSED, /* refused before offering (a line too long, a CSV row that does not
                           map): why says why; data (may be NULL) is the input shown */
    INPUT_ITEM_BLANK,   /* an empty or white-space line: skipped */
} input_item_kind_t;

typedef struct {
    input_item_kind_t kind;
    uint64_t line; /* the line it starts on, from 1 */
    const char *data;
    size_t len;
    reject_t why;        /* INPUT_ITEM_REFUSED */
    uint64_t end_offset; /* where a restart resumes once this item is taken */
    uint64_t end_line;
} input_item_t;

typedef enum {
    INPUT_FAILED = -1, /* the input cannot be read further (logged): it is finished */
    INPUT_END = 0,     /* the input is finished */
    INPUT_ITEM = 1,    /* *item filled, valid until input_consume or the next call */
    INPUT_WAIT = 2,    /* nothing now: a stream waits for input_fd to be readable, a file
                          for a change (input_notify) */
    INPUT_AGAIN = 3,   /* a long stretch without a line end was read: call again later */
    INPUT_FILE_END = 4 /* the file is read to its end: make what was taken durable, call
                          input_checkpoint (force), then input_next_file */
} input_status_t;

/* Opens path ("-" for standard input) as opts say. A followed file that does not exist
   yet is waited for (the input says INPUT_WAIT until it appears). Returns NULL with a
   one-line reason in err when it cannot be opened. */
input_t *input_new (const char *path, const input_options_t *opts, char *err, size_t errlen);
/* Closes; NULL-safe; sets *self_p to NULL. Saves nothing. */
void input_destroy (input_t **self_p);

/* The next item (the same one again until input_consume). now_ms is zclock_mono (), now_us
   the event clock (for the CSV mapping's checks). */
input_status_t input_next (input_t *self, int64_t now_ms, int64_t now_us, input_item_t *item)
  PARLEY_MUST_CHECK;
/* The item last returned was taken: the position moves past it. */
void input_consume (input_t *self);
/* The item just consumed was appended to the spool as record id. */
void input_taken (input_t *self, uint64_t id);

/* After INPUT_FILE_END (and the checkpoint): goes on with the file now at the name
   (rotation), or finishes the input. */
void input_next_file (input_t *self);

/* Notes, in offsets, the position past the last item taken whose records are all at or
   below durable. While input flows a position is noted every INPUT_CHECKPOINT_MS with the
   last record id appended by then, and put in offsets once durable covers that id; with
   force (everything taken is durable) the current position at once. Returns true when
   offsets changed (the caller saves them). */
bool input_checkpoint (input_t *self, uint64_t durable, int64_t now_ms, bool force);

/* A change notice: inotify's mask for the file or its name (IN_MODIFY, IN_CLOSE_WRITE,
   IN_MOVE_SELF, IN_CREATE …), or 0 for "look again" (poll said readable, a periodic look). */
void input_notify (input_t *self, uint32_t mask, int64_t now_ms);
/* Whether there may be something to read (a notice since the last INPUT_WAIT). */
bool input_is_ready (const input_t *self);
/* Milliseconds until the input should be looked at again without a notice (-1: never):
   the newline rule's wait, or the once-a-second look of a followed file. */
int input_timeout_ms (const input_t *self, int64_t now_ms);

const char *input_path (const input_t *self);
/* The descriptor read now (-1 while a followed file is missing). */
int input_fd (const input_t *self);
/* A FIFO or standard input: polled for input, no positions. */
bool input_is_stream (const input_t *self);
/* Whether the input waits on input_fd now (a stream with nothing to read). */
bool input_wants_poll (const input_t *self);
/* Lines consumed in this input (its current file), for the log. */
uint64_t input_line (const input_t *self);

#endif
