#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "event.h"
#include "log.h"
#include "mem.h"
#include "rfc3339.h"

/* The staging table's columns, in the order s_append_row writes them. */
#define STORE_COPY_SQL                                                                           \
    "COPY pg_temp.parley_incoming (ord, event_id, type, reported_at, occurred_on,"              \
    " association_id, association_name, constituency_code, stakeholder_role, stakeholder_name," \
    " person_key, party, format, stance, topics, follow_up, notes, raw) FROM STDIN"

struct store {
    db_buf_t rows;          /* COPY data of the valid pending items, one line each */
    size_t *row_item;       /* the item each row stands for */
    size_t *row_off;        /* where each row starts in rows; row_off[n] == rows.len */
    wire_outcome_t *staged; /* outcomes read back before COMMIT, per row */
    size_t row_cap;
    store_stats_t stats;
};

store_t *
store_new (void)
{
    store_t *self = xcalloc (1, sizeof *self);
    db_buf_init (&self->rows);
    return self;
}

void
store_destroy (store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_t *self = *self_p;
    db_buf_fini (&self->rows);
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
    (void) self;
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
s_tab (db_buf_t *buf)
{
    db_buf_putc (buf, '\t');
}

static void
s_text (db_buf_t *buf, const char *text)
{
    if (text)
        db_buf_put_field (buf, text, strlen (text));
    else
        db_buf_put_null (buf);
}

static int
s_strcmp (const void *a, const void *b)
{
    return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Topics are a set: stored sorted, so that the same topics in another order compare equal
   (a resend that lists them differently is a duplicate, not a conflict). Written as an
   array literal with every element quoted, then escaped again as a COPY field. */
static void
s_topics (db_buf_t *buf, const event_t *ev)
{
    char *sorted[EVENT_TOPICS_MAX];
    memcpy (sorted, ev->topics, ev->topic_count * sizeof *sorted);
    qsort (sorted, ev->topic_count, sizeof *sorted, s_strcmp);
    db_buf_t lit;
    db_buf_init (&lit);
    db_buf_putc (&lit, '{');
    for (size_t i = 0; i < ev->topic_count; i++) {
        if (i)
            db_buf_putc (&lit, ',');
        db_buf_putc (&lit, '"');
        for (const char *c = sorted[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                db_buf_putc (&lit, '\\');
            db_buf_putc (&lit, *c);
        }
        db_buf_putc (&lit, '"');
    }
    db_buf_putc (&lit, '}');
    db_buf_put_field (buf, lit.data, lit.len);
    db_buf_fini (&lit);
}

/* One staging row: the normalised event and its original line. For a withdrawal the
   attribute fields are NULL (ignored, not validated). */
static void
s_append_row (db_buf_t *buf, size_t ord, const event_t *ev, const char *line, size_t len)
{
    char num[32];
    snprintf (num, sizeof num, "%zu\t", ord);
    db_buf_puts (buf, num);
    db_buf_puts (buf, ev->event_id);
    s_tab (buf);
    db_buf_puts (buf, event_type_name (ev->type));
    s_tab (buf);
    char instant[RFC3339_INSTANT_LEN + 1], date[RFC3339_DATE_LEN + 1];
    rfc3339_format_instant (ev->reported_at_us, instant);
    db_buf_puts (buf, instant);
    s_tab (buf);
    rfc3339_format_date (ev->occurred_on, date);
    db_buf_puts (buf, date);
    s_tab (buf);
    s_text (buf, ev->association_id);
    s_tab (buf);
    s_text (buf, ev->association_name);
    s_tab (buf);
    s_text (buf, ev->constituency->code);
    s_tab (buf);
    db_buf_puts (buf, event_role_name (ev->role));
    s_tab (buf);
    s_text (buf, ev->stakeholder_name);
    s_tab (buf);
    s_text (buf, ev->person_key);
    s_tab (buf);
    s_text (buf, ev->party);
    s_tab (buf);
    if (ev->type == EVENT_WITHDRAWN) {
        db_buf_puts (buf, "\\N\t\\N\t\\N\t\\N\t\\N");
    } else {
        db_buf_puts (buf, event_format_name (ev->format));
        s_tab (buf);
        if (ev->stance_known) {
            snprintf (num, sizeof num, "%d", ev->stance);
            db_buf_puts (buf, num);
        } else {
            db_buf_put_null (buf);
        }
        s_tab (buf);
        s_topics (buf, ev);
        s_tab (buf);
        db_buf_putc (buf, ev->follow_up ? 't' : 'f');
        s_tab (buf);
        s_text (buf, ev->notes);
    }
    s_tab (buf);
    db_buf_put_field (buf, line, len);
    db_buf_putc (buf, '\n');
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
s_transaction (store_t *self, PGconn *conn, store_item_t *items, size_t lo, size_t hi, char *err,
               size_t errlen)
{
    /* READ COMMITTED whatever the database's default: each statement of ingest_batch must
       see what the previous writer committed before it released the advisory lock (under
       REPEATABLE READ the snapshot would date from the COPY, taken before the lock). */
    db_status_t st = db_command (conn, "BEGIN ISOLATION LEVEL READ COMMITTED", err, errlen);
    if (st != DB_OK)
        return st;
    st = db_copy_in (conn, STORE_COPY_SQL, self->rows.data + self->row_off[lo],
                     self->row_off[hi] - self->row_off[lo], err, errlen);
    if (st != DB_OK)
        goto fail;
    PGresult *res = db_query (conn, "SELECT ord, outcome, reason FROM parley.ingest_batch()", 0,
                              NULL, &st, err, errlen);
    if (!res)
        goto fail;
    size_t n = (size_t) PQntuples (res);
    bool seen_all = n == hi - lo;
    for (size_t r = 0; seen_all && r < n; r++) {
        size_t ord = strtoull (PQgetvalue (res, (int) r, 0), NULL, 10);
        const char *outcome = PQgetvalue (res, (int) r, 1);
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
            reject_set (&o->why, "event_id", "%s", PQgetvalue (res, (int) r, 2));
        }
    }
    PQclear (res);
    if (!seen_all) {
        /* Not the data's fault: a schema that does not match this collector. */
        snprintf (err, errlen, "parley.ingest_batch() returned %zu outcomes for %zu events", n, hi - lo);
        st = DB_RETRY;
        goto fail;
    }
    st = db_command (conn, "COMMIT", err, errlen);
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
        log_warn ("store", "database write failed, batch kept for retry", "events=%zu err=\"%s\"",
                  hi - lo, err);
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
    log_debug ("store", "splitting batch to isolate a refused event", "events=%zu err=\"%s\"",
               hi - lo, err);
    size_t mid = lo + (hi - lo) / 2;
    if (s_write_range (self, conn, items, lo, mid) != STORE_OK)
        return STORE_RETRY;
    return s_write_range (self, conn, items, mid, hi);
}

store_status_t
store_write (store_t *self, PGconn *conn, store_item_t *items, size_t count, int64_t now_us)
{
    s_reserve_rows (self, count);
    db_buf_reset (&self->rows);
    size_t nrows = 0;
    for (size_t i = 0; i < count; i++) {
        store_item_t *item = &items[i];
        if (item->done)
            continue;
        event_t ev;
        reject_t why;
        if (event_parse (&ev, item->line, item->len, now_us, &why) != 0) {
            item->outcome.verdict = WIRE_REJECTED;
            item->outcome.why = why;
            item->done = true;
            event_fini (&ev);
            continue;
        }
        self->row_off[nrows] = self->rows.len;
        self->row_item[nrows] = i;
        s_append_row (&self->rows, nrows, &ev, item->line, item->len);
        nrows++;
        event_fini (&ev);
    }
    self->row_off[nrows] = self->rows.len;
    if (nrows == 0)
        return STORE_OK;
    return s_write_range (self, conn, items, 0, nrows);
}
