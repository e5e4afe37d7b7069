/* One JSON-lines input (a file, a FIFO, or "-" for standard input), yielded a line at a
   time with where it came from. Lines end at "\n"; a "\r" before it is dropped. A last
   line without a newline counts once the input has ended: at the end of a file or stream
   that is not followed, or when the caller says so (feed_finish); a followed file's
   unterminated last line waits for its newline. A line longer than FEED_LINE_MAX is
   reported as too long without being held in memory (memory stays at one buffer whatever
   the input), and reading goes on at the next line. One feed_next reads at most
   FEED_READ_BUDGET bytes, so that an input without newlines (/dev/zero, a huge file) cannot
   hold up the caller's loop. */
#ifndef PARLEY_FEED_H
#define PARLEY_FEED_H
#include "event.h"
#include "parley.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define FEED_LINE_MAX EVENT_LINE_MAX
#define FEED_READ_BUDGET (1024 * 1024) /* bytes one feed_next may read */

typedef struct feed feed_t;

typedef struct {
    const char *data; /* the line without its newline; valid until the next feed call */
    size_t len;
    uint64_t number;     /* 1-based line number in the source */
    bool too_long;       /* longer than FEED_LINE_MAX: data is NULL, len is 0 */
    uint64_t total_len;  /* the line's length in bytes (also when too long) */
    uint64_t end_offset; /* byte offset just past the line and its newline */
} feed_line_t;

typedef enum {
    FEED_ERROR = -1, /* a read failed: errno is set; the feed is finished */
    FEED_EOF = 0,    /* no more lines */
    FEED_LINE = 1,   /* *line is filled */
    FEED_WAIT = 2,   /* no complete line yet: a pipe or terminal (poll feed_fd for input), or
                        the end of a followed file (wait for it to change) */
    FEED_AGAIN = 3,  /* FEED_READ_BUDGET bytes read without a line end: call again later */
} feed_status_t;

/* Opens path ("-" for standard input). A FIFO is opened without waiting for a writer (the
   feed says FEED_WAIT until one has written). Returns NULL with a one-line reason in err
   when it cannot be opened or is a directory. */
feed_t *feed_open (const char *path, char *err, size_t errlen);
/* Reads from fd, which the feed then owns (closes, unless it is standard input), under
   the given name. Standard input is always read as a stream (never as a file with a
   position), whatever it is. */
feed_t *feed_new_fd (int fd, const char *name);
/* Before the first feed_next of a regular file: starts reading at byte offset, counting
   lines from line + 1 (offsets.h says where a restart resumes). Returns 0, or -1 when
   the input is not a regular file or cannot seek there. */
int feed_resume (feed_t *self, uint64_t offset, uint64_t line) PARLEY_MUST_CHECK;
/* Closes; NULL-safe; sets *self_p to NULL. */
void feed_destroy (feed_t **self_p);

/* The next line. Never blocks: a regular file is read as needed, other inputs only when
   poll says there is data (otherwise FEED_WAIT). */
feed_status_t feed_next (feed_t *self, feed_line_t *line) PARLEY_MUST_CHECK;

/* Whether the end of a regular file ends the input (false, the default) or more may be
   appended (true: at the end, an unterminated last line is kept and FEED_WAIT said). */
void feed_set_follow (feed_t *self, bool follow);
/* The input has ended: an unterminated last line is yielded by the next feed_next, then
   FEED_EOF. */
void feed_finish (feed_t *self);
/* Whether bytes were read after the last line yielded (an unterminated line). */
bool feed_has_partial (feed_t *self);

/* The name given at open ("-" for standard input). */
const char *feed_name (feed_t *self);
/* The descriptor to poll for input after FEED_WAIT. */
int feed_fd (feed_t *self);
/* Whether the input is a regular file (whose read position can be saved and resumed). */
bool feed_is_file (feed_t *self);

#endif
