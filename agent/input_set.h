/* The agent's inputs as a set, and the agent's own producer (agent.h): every INPUT of the
   command line and every file taken from a --watch folder is an input (input.h), all read
   at once, each with its own read position and its own checkpoint. Each turn of the loop
   the inputs that have something to read are read in turn (at most INPUT_SET_LINES lines
   each, and INPUT_SET_READ_MS for all of them, so that the socket and the other inputs
   are served, and a stop is seen within a second whatever an input holds), and their
   items are offered to the intake: an event line is appended or refused, a refused line
   goes to rejected.jsonl, and an item the spool cannot take yet (full, disk error) stops
   the reading until the intake has room; it is offered again first.

   One inotify descriptor serves the set: for each followed file, IN_MODIFY, IN_CLOSE_WRITE,
   IN_MOVE_SELF and IN_DELETE_SELF on the file, IN_CREATE and IN_MOVED_TO on its folder (the
   new file after a rotation); for each --watch folder, IN_CLOSE_WRITE and IN_MOVED_TO. It
   is polled with the agent's sockets, along with FIFOs and standard input while they have
   nothing to read. Positions are saved (offsets.json, after rejected.jsonl is synced) at
   most every INPUT_CHECKPOINT_MS, once their lines' records are durable; a file read to
   its end has its last position saved at once (one spool sync), before a --watch file is
   moved to done/ or a rotated file is left for the new one. */
#ifndef PARLEY_INPUT_SET_H
#define PARLEY_INPUT_SET_H
#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csv_mapping.h"
#include "intake.h"
#include "offsets.h"
#include "parley.h"
#include "rejects.h"

#define INPUT_SET_LINES 500      /* items per input per turn */
#define INPUT_SET_READ_MS 20     /* reading per turn, all inputs together */
#define INPUT_SET_WATCHED_MAX 8  /* files from --watch folders read at once */
#define INPUT_SET_POLLED_MAX 200 /* FIFOs and standard input polled at once */

typedef struct input_set input_set_t;

typedef struct {
    const char *const *inputs; /* INPUT operands ("-" is standard input) */
    int ninputs;
    const char *const *watch; /* --watch folders */
    size_t nwatch;
    bool follow;                  /* --follow */
    bool once;                    /* --once: --watch folders are listed once, at start */
    const csv_mapping_t *mapping; /* for .csv inputs (NULL: none allowed) */
    void (*on_read) (void *arg, const char *source); /* NULL, or told of each item read */
    void *on_read_arg;
} input_set_options_t;

typedef struct {
    uint64_t read;  /* items taken: lines and CSV rows (blank and refused ones included) */
    uint64_t blank; /* of which blank lines, skipped */
} input_set_counts_t;

/* Opens every input (a followed file that does not exist yet is waited for) and lists
   the --watch folders. intake, offsets and rejects are borrowed. Returns NULL with a
   one-line reason in err when an input cannot be opened or a folder watched. */
input_set_t *input_set_new (const input_set_options_t *opts,
                            intake_t *intake,
                            offsets_t *offsets,
                            rejects_t *rejects,
                            char *err,
                            size_t errlen);
/* NULL-safe; sets *self_p to NULL. */
void input_set_destroy (input_set_t **self_p);

/* The producer's callbacks (agent.h: agent_producer_t), self an input_set_t. */
int input_set_pollitems (void *self, zmq_pollitem_t *items, int max);
int input_set_timeout_ms (void *self, int64_t now);
void input_set_process (void *self, zmq_pollitem_t *items, int n, int64_t now);
bool input_set_is_idle (void *self);
/* On the way out: saves every position whose records are durable (the agent has synced). */
void input_set_finish (void *self);

/* Whether some input could not be read to its end (the run then ends with status 1). */
bool input_set_failed (const input_set_t *self);
const input_set_counts_t *input_set_counts (const input_set_t *self);

#endif
