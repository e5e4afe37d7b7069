/* What every part of the spool shares with its users: the record size limits, the options,
   the append status and the stats. Apart from spool.h so that the parts (spool_frame, spool_writer,
   spool_segments, spool_cursor) need not include the facade that includes them. */
#ifndef PARLEY_SPOOL_TYPES_H
#define PARLEY_SPOOL_TYPES_H
#include <stdbool.h>
#include <stdint.h>

#define SPOOL_RECORD_MAX (64 * 1024)
/* Bytes each record takes on disk besides its payload (magic, length, id, checksum). */
#define SPOOL_RECORD_HEADER 20

typedef struct {
    uint64_t max_bytes;     /* bound on unacknowledged bytes on disk (--spool-max), default 1 GiB */
    uint64_t segment_bytes; /* segment size, default 64 MiB */
    int fsync_interval_ms;  /* group commit: at most this long between fsyncs, default 50 */
    uint32_t fsync_records; /* … or this many records, default 1000 */
    bool fsync_always;      /* --fsync always: fsync after every append */
} spool_options_t;

typedef enum {
    SPOOL_OK = 0,
    SPOOL_ERROR = -1, /* I/O error: errno is set and the reason logged; nothing was appended */
    SPOOL_FULL = -2,  /* appending would pass max_bytes: nothing was appended */
} spool_status_t;

/* What the spool has done since open, for logs, the --once summary and tests. */
typedef struct {
    uint64_t appended;            /* records appended */
    uint64_t fsyncs;              /* fsync/fdatasync calls on segment files */
    uint64_t quarantined_bytes;   /* damaged bytes set aside (copied to DIR/quarantine/) */
    uint64_t quarantined_records; /* ids lost with them (from the gap in ids; 0 if unknown) */
    uint64_t torn_bytes_cut;      /* torn tail cut at open */
    uint64_t segments;            /* segment files now */
    uint64_t disk_bytes;          /* their total size */
    uint64_t floor;               /* every id ≤ floor is acknowledged */
    uint64_t last_id;             /* highest id given out */
    uint64_t in_flight;           /* records read and above the floor */
    uint64_t ack_ranges;          /* acknowledged ranges held above the floor */
} spool_stats_t;

#endif
