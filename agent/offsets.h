/* How far each input file has been taken (DIR/offsets.json), so that a restart neither
   re-reads nor skips lines. Files are known by identity (device and inode), not by name,
   so a renamed (rotated) file is still recognised; a fingerprint of its first kilobyte
   catches an inode reused by a new file, a fingerprint of the kilobyte just before the
   saved offset catches a file rewritten in place (same start, lines inserted or changed
   further on), and a file now shorter than the saved offset (truncated or replaced) is
   read again from the start: each logged at warn; the lines read again are duplicates
   for the collector. The name is kept for the log.

   The caller saves a position only once the spool records of every line before it are
   durable (see agent.c), and the file is replaced atomically and durably (write, fsync,
   rename, fsync of the directory: common/fileio.h), so a crash leaves either the old or
   the new positions: at worst the lines of the last group commit are read again, and
   the collector reports them as duplicates. */
#ifndef PARLEY_OFFSETS_H
#define PARLEY_OFFSETS_H
#include "parley.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OFFSETS_FILE "offsets.json"

typedef struct offsets offsets_t;

/* Loads dir/offsets.json if it exists. A damaged file is logged and ignored (inputs are
   then read from the start: duplicates, never losses). Returns NULL with a one-line
   reason in err only when the directory cannot be used. */
offsets_t *offsets_open (const char *dir, char *err, size_t errlen);
/* NULL-safe; sets *self_p to NULL. Does not save. */
void offsets_destroy (offsets_t **self_p);

/* Where to resume the regular file open at fd (named name): sets *offset (bytes) and
   *line (lines before that offset). Both 0 for a file not seen before, or one that
   changed as above (logged). */
void offsets_resume (offsets_t *self, const char *name, int fd, uint64_t *offset, uint64_t *line);

/* Records that the file open at fd has been taken up to offset (line lines). */
void offsets_update (offsets_t *self, const char *name, int fd, uint64_t offset, uint64_t line);

/* Forgets the file open at fd (a dropped file moved to done/: its name will not be read
   again, and its entry would only grow the file). */
void offsets_forget (offsets_t *self, int fd);

/* FNV-1a of the up to 1 KiB just before offset in the file open at fd; *len says how
   many bytes (0, and the result 0, when they cannot be read). For a reader that checks,
   while it follows a file, that what it has read is still there. */
uint64_t offsets_fingerprint_before (int fd, uint64_t offset, uint64_t *len);

/* Whether there are updates not yet saved. */
bool offsets_is_dirty (offsets_t *self);

/* Saves atomically if dirty. Returns 0, or -1 on I/O error (logged; the old file stays). */
int offsets_save (offsets_t *self) PARLEY_MUST_CHECK;

#endif
