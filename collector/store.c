#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "event.h"
#include "log.h"
#include "mem.h"
#include "rfc3339.h"

/* The staging table's columns, in the order s_append_row writes them. Binary COPY: no
   escaping here, and PostgreSQL parses no text (uuid, timestamps, dates, arrays) back. */
#define STORE_COPY_SQL                                                                             \
    "COPY pg_temp.parley_incoming (ord, event_id, type, reported_at, occurred_on,"                 \
    " association_id, association_name, constituency_code, stakeholder_role, stakeholder_name,"    \
    " person_key, party, format, stance, topics, follow_up, notes, raw, delivered_by) FROM STDIN"  \
    " (FORMAT binary)"
#define STORE_COPY_FIELDS 19

/* The binary COPY header (signature, flags, no extension) and trailer. */
static const char s_copy_header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
static const char s_copy_trailer[2] = "\377\377";

/* PostgreSQL counts days and microseconds from 2000-01-01, event_t from 1970-01-01. */
#define S_PG_EPOCH_DAYS 10957
#define S_PG_EPOCH_US INT64_C (946684800000000)
#define S_TEXT_OID 25

struct store {
    db_buf_t rows;          /* COPY data of the valid pending items: header, rows, trailer */
    db_buf_t part;          /* header, some of the rows, trailer: when a batch is split */
    size_t *row_item;       /* the item each row stands for */
    size_t *row_off;        /* where each row starts in rows; row_off[n]: the trailer */
    wire_outcome_t *staged; /* outcomes read back before COMMIT, per row */
    size_t row_cap;
    size_t row_count; /* rows in this store_write */
    db_idle_fn *idle; /* for the write in progress */
    void *idle_arg;
    store_stats_t stats;
};

store_t *
store_new (void)
{
    store_t *self = xcalloc (1, sizeof *self);
    db_buf_init (&self->rows);
    db_buf_init (&self->part);
    return self;
}

void
store_destroy (store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_t *self = *self_p;
    db_buf_fini (&self->rows);
    db_buf_fini (&self->part);
    free (self->row_item);
    free (self->row_off);
    free (self->staged);
    free (self);
    *self_p = NULL;
}

const store_stats_t *
store_stats (store_t *self)
{
    return &self->stats;
}

int
store_prepare (store_t *self, PGconn *conn)
{
    (void)self;
    char err[512];
    if (db_command (conn, "SELECT parley.ingest_prepare()", err, sizeof err) != DB_OK) {
        log_error ("store", "could not prepare the session", "err=\"%s\"", err);
        return -1;
    }
    return 0;
}

static void
s_reserve_rows (store_t *self, size_t count)
{
    if (count + 1 <= self->row_cap)
        return;
    self->row_cap = count + 1;
    self->row_item = xrealloc (self->row_item, self->row_cap * sizeof *self->row_item);
    self->row_off = xrealloc (self->row_off, self->row_cap * sizeof *self->row_off);
    self->staged = xrealloc (self->staged, self->row_cap * sizeof *self->staged);
}

static void
s_int16 (db_buf_t *buf, int16_t v)
{
    uint16_t u = (uint16_t)v;
    char b[2] = { (char)(u >> 8), (char)u };
    db_buf_put (buf, b, sizeof b);
}

static void
s_int32 (db_buf_t *buf, int32_t v)
{
    uint32_t u = (uint32_t)v;
    char b[4] = { (char)(u >> 24), (char)(u >> 16), (char)(u >> 8), (char)u };
    db_buf_put (buf, b, sizeof b);
}

static void
s_int64 (db_buf_t *buf, int64_t v)
{
    s_int32 (buf, (int32_t)(uint32_t)((uint64_t)v >> 32));
    s_int32 (buf, (int32_t)(uint32_t)(uint64_t)v);
}

/* A field: its length, then its bytes; NULL is length -1. */
static void
s_field (db_buf_t *buf, const char *bytes, size_t len)
{
    s_int32 (buf, (int32_t)len);
    db_buf_put (buf, bytes, len);
}

static void
s_text (db_buf_t *buf, const char *text)
{
    if (text)
        s_field (buf, text, strlen (text));
    else
        s_int32 (buf, -1);
}

static int
s_hex (char c)
{
    return c <= '9' ? c - '0' : c - 'a' + 10; /* event_id is checked lower-case hex */
}

static void
s_uuid (db_buf_t *buf, const char *text)
{
    char bytes[16];
    size_t n = 0;
    for (const char *c = text; *c && n < sizeof bytes; c++) {
        if (*c == '-')
            continue;
        bytes[n++] = (char)(s_hex (c[0]) << 4 | s_hex (c[1]));
        c++;
    }
    s_field (buf, bytes, sizeof bytes);
}

static int
s_strcmp (const void *a, const void *b)
{
    return strcmp (*(char *const *)a, *(char *const *)b);
}

/* Topics are a set: stored sorted, so that the same topics in another order compare equal
   (a resend that lists them differently is a duplicate, not a conflict). A text[] in
   binary form: dimensions, no nulls, element type, then each element as a field. */
static void
s_topics (db_buf_t *buf, const event_t *ev)
{
    char *sorted[EVENT_TOPICS_MAX];
    memcpy (sorted, ev->topics, ev->topic_count * sizeof *sorted);
    qsort (sorted, ev->topic_count, sizeof *sorted, s_strcmp);
    size_t lenpos = buf->len;
    s_int32 (buf, 0); /* the field's length, filled in below */
    s_int32 (buf, ev->topic_count ? 1 : 0);
    s_int32 (buf, 0);
    s_int32 (buf, S_TEXT_OID);
    if (ev->topic_count) {
        s_int32 (buf, (int32_t)ev->topic_count);
        s_int32 (buf, 1);
    }
    for (size_t i = 0; i < ev->topic_count; i++)
        s_text (buf, sorted[i]);
    uint32_t len = (uint32_t)(buf->len - lenpos - 4);
    char b[4] = { (char)(len >> 24), (char)(len >> 16), (char)(len >> 8), (char)len };
    memcpy (buf->data + lenpos, b, sizeof b);
}

/* One staging row, all but its field count and first column (ord, the position in the
   transaction, which store_write puts in front): the normalised event and its original
   line, and who delivered it. For a withdrawal the attribute fields are NULL (ignored, not
   validated). */
static void
s_append_row (db_buf_t *buf,
              const event_t *ev,
              const char *line,
              size_t len,
              const char *delivered_by)
{
    s_uuid (buf, ev->event_id);
    s_text (buf, event_type_name (ev->type));
    s_int32 (buf, 8);
    s_int64 (buf, ev->reported_at_us - S_PG_EPOCH_US);
    s_int32 (buf, 4);
    s_int32 (buf, ev->occurred_on - S_PG_EPOCH_DAYS);
    s_text (buf, ev->association_id);
    s_text (buf, ev->association_name);
    s_text (buf, ev->constituency->code);
    s_text (buf, event_role_name (ev->role));
    s_text (buf, ev->stakeholder_name);
    s_text (buf, ev->person_key);
    s_text (buf, ev->party);
    if (ev->type == EVENT_WITHDRAWN) {
        for (int i = 0; i < 5; i++)
            s_int32 (buf, -1); /* format, stance, topics, follow_up, notes */
    } else {
        s_text (buf, event_format_name (ev->format));
        if (ev->stance_known) {
            s_int32 (buf, 2);
            s_int16 (buf, (int16_t)ev->stance);
        } else {
            s_int32 (buf, -1);
        }
        s_topics (buf, ev);
        s_int32 (buf, 1);
        db_buf_putc (buf, ev->follow_up ? 1 : 0);
        s_text (buf, ev->notes);
    }
    s_field (buf, line, len); /* json: the text itself */
    s_text (buf, delivered_by);
}

static void
s_rollback (PGconn *conn)
{
    if (PQstatus (conn) == CONNECTION_OK && PQtransactionStatus (conn) != PQTRANS_IDLE)
        PQclear (PQexec (conn, "ROLLBACK"));
}

/* Rows [lo, hi) in one transaction. Outcomes are staged and become final only once
   COMMIT has succeeded. */
static db_status_t
s_transaction (store_t *self,
               PGconn *conn,
               store_item_t *items,
               size_t lo,
               size_t hi,
               char *err,
               size_t errlen)
{
    /* READ COMMITTED whatever the database's default: each statement of ingest_batch must
       see what the previous writer committed before it released the advisory lock (under
       REPEATABLE READ the snapshot would date from the COPY, taken before the lock). */
    db_status_t st = db_command (conn, "BEGIN ISOLATION LEVEL READ COMMITTED", err, errlen);
    if (st != DB_OK)
        return st;
    /* The whole batch is sent as it stands in rows; a part of it (a split) is copied out
       between a header and a trailer of its own. */
    const db_buf_t *data = &self->rows;
    if (lo > 0 || hi < self->row_count) {
        db_buf_reset (&self->part);
        db_buf_put (&self->part, s_copy_header, sizeof s_copy_header);
        db_buf_put (
          &self->part, self->rows.data + self->row_off[lo], self->row_off[hi] - self->row_off[lo]);
        db_buf_put (&self->part, s_copy_trailer, sizeof s_copy_trailer);
        data = &self->part;
    }
    st = db_copy_in_idle (
      conn, STORE_COPY_SQL, data->data, data->len, self->idle, self->idle_arg, err, errlen);
    if (st != DB_OK)
        goto fail;
    PGresult *res = db_query_idle (conn,
                                   "SELECT ord, outcome, reason FROM parley.ingest_batch()",
                                   self->idle,
                                   self->idle_arg,
                                   &st,
                                   err,
                                   errlen);
    if (!res)
        goto fail;
    size_t n = (size_t)PQntuples (res);
    bool seen_all = n == hi - lo;
    for (size_t r = 0; seen_all && r < n; r++) {
        size_t ord = strtoull (PQgetvalue (res, (int)r, 0), NULL, 10);
        const char *outcome = PQgetvalue (res, (int)r, 1);
        if (ord < lo || ord >= hi) {
            seen_all = false;
            break;
        }
        wire_outcome_t *o = &self->staged[ord];
        memset (o, 0, sizeof *o);
        if (strcmp (outcome, "accepted") == 0)
            o->verdict = WIRE_ACCEPTED;
        else if (strcmp (outcome, "duplicate") == 0)
            o->verdict = WIRE_DUPLICATE;
        else {
            o->verdict = WIRE_REJECTED;
            reject_set (&o->why, "event_id", "%s", PQgetvalue (res, (int)r, 2));
        }
    }
    PQclear (res);
    if (!seen_all) {
        /* Not the data's fault: a schema that does not match this collector. */
        snprintf (
          err, errlen, "parley.ingest_batch() returned %zu outcomes for %zu events", n, hi - lo);
        st = DB_RETRY;
        goto fail;
    }
    st = db_command_idle (conn, "COMMIT", self->idle, self->idle_arg, err, errlen);
    if (st != DB_OK)
        goto fail;
    for (size_t r = lo; r < hi; r++) {
        store_item_t *item = &items[self->row_item[r]];
        item->outcome = self->staged[r];
        item->done = true;
    }
    self->stats.transactions++;
    return DB_OK;
fail:
    s_rollback (conn);
    return st;
}

static store_status_t
s_write_range (store_t *self, PGconn *conn, store_item_t *items, size_t lo, size_t hi)
{
    char err[REJECT_REASON_MAX - 64];
    db_status_t st = s_transaction (self, conn, items, lo, hi, err, sizeof err);
    if (st == DB_OK)
        return STORE_OK;
    if (st == DB_RETRY) {
        log_warn ("store",
                  "database write failed, nothing acknowledged",
                  "events=%zu err=\"%s\"",
                  hi - lo,
                  err);
        return STORE_RETRY;
    }
    if (hi - lo == 1) {
        store_item_t *item = &items[self->row_item[lo]];
        item->outcome.verdict = WIRE_REJECTED;
        reject_set (&item->outcome.why, "", "database refused the event: %s", err);
        item->done = true;
        self->stats.db_refused++;
        log_warn ("store", "database refused an event", "err=\"%s\"", err);
        return STORE_OK;
    }
    /* Isolate the refused event: each half in its own transaction. The first half commits
       before the second is tried, so "the first occurrence wins" still holds. */
    self->stats.splits++;
    log_debug (
      "store", "splitting batch to isolate a refused event", "events=%zu err=\"%s\"", hi - lo, err);
    size_t mid = lo + (hi - lo) / 2;
    if (s_write_range (self, conn, items, lo, mid) != STORE_OK)
        return STORE_RETRY;
    return s_write_range (self, conn, items, mid, hi);
}

void
store_stage (store_item_t *items,
             size_t count,
             db_buf_t *rows,
             int64_t now_us,
             const char *delivered_by)
{
    for (size_t i = 0; i < count; i++) {
        store_item_t *item = &items[i];
        event_t ev;
        reject_t why;
        if (event_parse (&ev, item->line, item->len, now_us, &why) != 0 ||
            !key_scope_check (item->scope, &ev, &why)) {
            item->outcome.verdict = WIRE_REJECTED;
            item->outcome.why = why;
            item->done = true;
            event_fini (&ev);
            continue;
        }
        item->row_off = rows->len;
        s_append_row (rows, &ev, item->line, item->len, delivered_by);
        item->row_len = rows->len - item->row_off;
        event_fini (&ev);
    }
}

store_status_t
store_write (store_t *self,
             PGconn *conn,
             store_item_t *items,
             size_t count,
             const db_buf_t *rows,
             db_idle_fn *idle,
             void *idle_arg)
{
    s_reserve_rows (self, count);
    db_buf_reset (&self->rows);
    db_buf_put (&self->rows, s_copy_header, sizeof s_copy_header);
    size_t nrows = 0;
    for (size_t i = 0; i < count; i++) {
        store_item_t *item = &items[i];
        if (item->done)
            continue;
        self->row_off[nrows] = self->rows.len;
        self->row_item[nrows] = i;
        s_int16 (&self->rows, STORE_COPY_FIELDS);
        s_int32 (&self->rows, 4);
        s_int32 (&self->rows, (int32_t)nrows);
        db_buf_put (&self->rows, rows->data + item->row_off, item->row_len);
        nrows++;
    }
    self->row_off[nrows] = self->rows.len;
    db_buf_put (&self->rows, s_copy_trailer, sizeof s_copy_trailer);
    self->row_count = nrows;
    if (nrows == 0)
        return STORE_OK;
    self->idle = idle;
    self->idle_arg = idle_arg;
    store_status_t st = s_write_range (self, conn, items, 0, nrows);
    self->idle = NULL;
    self->idle_arg = NULL;
    return st;
}
