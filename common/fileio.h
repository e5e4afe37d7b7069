/* Durable file writing, written once for every caller (the spool, the input offsets, the
   rejected-lines file), so that what "written" and "durable" mean cannot drift between
   them: a write either puts every byte down or fails; a replaced file is the old one or
   the new one after a crash, never a mixture; and a rename counts as done only once the
   directory holding it is fsynced, because until then a power cut can undo it.

   Every function returns 0, or -1 with errno set by the call that failed (kept across
   any clean-up). Nothing is logged here: the caller knows what the file is for and logs
   once, where it decides what to do (docs/SPOOL.md, STYLE.md "Errors"). */
#ifndef PARLEY_FILEIO_H
#define PARLEY_FILEIO_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "parley.h"

/* Writes all len bytes at the file position, going on after short writes and EINTR.
   Fails on the first error (-1, errno); a write that makes no progress fails with EIO.
   On failure some of the bytes may have been written. */
int fileio_write_all (int fd, const void *buf, size_t len) PARLEY_MUST_CHECK;

/* The same with pwrite at offset off; the file position does not move. */
int fileio_pwrite_all (int fd, const void *buf, size_t len, uint64_t off) PARLEY_MUST_CHECK;

/* Appends all len bytes at the end of the file, whole or not at all: a write cut short
   (a full disk, EFBIG) is taken back by truncating to the old end, so the file never
   ends in a torn line or record. errno is that of the failed write. (If the file cannot
   be positioned, a pipe say, nothing can be taken back.) */
int fileio_append_whole (int fd, const void *buf, size_t len) PARLEY_MUST_CHECK;

/* fsync / fdatasync, retried on EINTR only: after any other failure the kernel may have
   dropped the dirty pages, so retrying could report success for data that is gone. */
int fileio_fsync (int fd) PARLEY_MUST_CHECK;
int fileio_fdatasync (int fd) PARLEY_MUST_CHECK;

/* Closes *fd_p unless it is -1, then sets it to -1; errno is kept, so a clean-up after a
   failure does not overwrite the failure's reason. For descriptors only read or already
   synced: a close error is not reported. */
void fileio_close (int *fd_p);

/* fsyncs the directory dir, making the creation, deletion or renaming of the names in
   it durable. */
int fileio_fsync_dir (const char *dir) PARLEY_MUST_CHECK;

/* Replaces the file at path with data, atomically and durably: writes path.tmp (mode,
   before umask), fsyncs it, renames it over path, then fsyncs path's directory. After
   a crash at any point path holds either its old contents or data, and once this returns
   0 it holds data for good. On failure path.tmp is removed; path is then unchanged,
   except when only the last fsync (the directory's) failed, when path holds data but may
   lose it to a power cut. */
int fileio_replace (const char *path, const void *data, size_t len, mode_t mode) PARLEY_MUST_CHECK;

/* The same steps without either fsync: atomic for the processes that read path, but not
   durable, and after a power cut path may be found empty or partial. Only for a file
   whose loss costs repeated work, never data, and whose reader copes with it (the
   spool's ack file between syncs: docs/SPOOL.md). */
int fileio_replace_unsynced (const char *path, const void *data, size_t len, mode_t mode)
  PARLEY_MUST_CHECK;

#endif
