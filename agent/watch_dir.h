/* A drop folder (--watch DIR): which files in it are complete and not yet taken, and what
   becomes of them once read. input_set.c reads each taken file as an input (not
   followed) and calls watch_dir_done once every line is durable and its position saved.

   Which files: regular files named *.jsonl, and *.csv when the folder has a mapping of its
   own (DIR/mapping.ini, loaded at start: the mapping named for the folder, so that each
   form's drop folder reads its own layout) or the agent has a --mapping;
   names starting with "." are never taken (write a file as .name.part, then rename it).
   When a file is complete: when it is closed after writing (IN_CLOSE_WRITE) or moved in
   (IN_MOVED_TO). Files present at start are taken at once, unless a process the agent
   can see (its own user, or any when it runs as root: /proc/PID/fd) has one open for
   writing; that one waits for its IN_CLOSE_WRITE (with --once it is left for the next
   run). A writer the agent cannot see, or one that opens and closes the file several times
   while writing it, can have it read half: write elsewhere and rename into DIR, which is
   atomic.

   Afterwards: a file read to its end is moved to DIR/done/ (created when needed; a name
   already there gets ".1", ".2" … appended), so that a restart does not take it again. A
   file that cannot be read at all (unreadable, a CSV header that does not fit the
   mapping) is moved to DIR/failed/ with an error line in the log; rows refused one by one
   are not a failure (they go to rejected.jsonl, the file to done/). Both moves are made
   durable (the directories are fsynced). */
#ifndef PARLEY_WATCH_DIR_H
#define PARLEY_WATCH_DIR_H
#include "parley.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "csv_mapping.h"

#define WATCH_DIR_DONE "done"
#define WATCH_DIR_FAILED "failed"
#define WATCH_DIR_MAPPING "mapping.ini"

typedef struct watch_dir watch_dir_t;

/* Watches dir (csv: take *.csv files too; once: --once, files still being written at
   start are left alone), adding its watch to inotify_fd, and lists the files already
   there. Returns NULL with a one-line reason in err when dir is not a directory, cannot be
   watched, or has a DIR/mapping.ini that does not load (the reason names its line). */
watch_dir_t *watch_dir_new (const char *dir,
                            bool csv,
                            bool once,
                            int inotify_fd,
                            char *err,
                            size_t errlen);
/* NULL-safe; sets *self_p to NULL. */
void watch_dir_destroy (watch_dir_t **self_p);

/* The folder's own mapping (DIR/mapping.ini), or NULL: then the agent's --mapping. */
const csv_mapping_t *watch_dir_mapping (const watch_dir_t *self);

/* The inotify watch descriptor of the folder. */
int watch_dir_wd (const watch_dir_t *self);
const char *watch_dir_path (const watch_dir_t *self);

/* An inotify event of the folder's watch: name (may be NULL) with mask. IN_Q_OVERFLOW
   (events lost) makes it list the folder again. */
void watch_dir_on_event (watch_dir_t *self, uint32_t mask, const char *name);

/* The next complete file not taken yet, as a path (owned by the folder, valid until
   watch_dir_done), marked taken; or NULL. */
const char *watch_dir_take (watch_dir_t *self, int64_t now_ms);

/* The taken file at path is finished: moves it to done/ (or failed/). Returns 0, or -1
   when it could not be moved (logged: it is taken again by the next run, whose saved
   position then says it is read). */
int watch_dir_done (watch_dir_t *self, const char *path, bool failed) PARLEY_MUST_CHECK;

/* Milliseconds until a file found being written at start should be looked at again (-1:
   none). */
int watch_dir_timeout_ms (const watch_dir_t *self, int64_t now_ms);
/* Whether no file waits to be taken (taken ones in progress do not count). */
bool watch_dir_is_idle (const watch_dir_t *self);

#endif
