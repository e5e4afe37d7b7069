#include "wire_order.h"

#include <inttypes.h>
#include <stdlib.h>

#include "log.h"
#include "mem.h"

typedef struct {
    uint64_t refused_seq;  /* the lowest seq refused since the hold began */
    int64_t refused_at_ms; /* when that batch was last refused */
    int64_t touched_ms;
} s_hold_t;

/* The peer's last answered seqs, a ring. */
typedef struct {
    uint64_t seqs[WIRE_ORDER_ANSWERED_MAX];
    size_t count, next;
    int64_t touched_ms;
} s_answered_t;

struct wire_order {
    zhashx_t *holds;    /* routing id as hex -> s_hold_t */
    zhashx_t *answered; /* routing id as hex -> s_answered_t */
    int64_t swept_ms;
};

static void
s_hold_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

wire_order_t *
wire_order_new (void)
{
    wire_order_t *self = xcalloc (1, sizeof *self);
    self->holds = zhashx_new ();
    zhashx_set_destructor (self->holds, s_hold_free);
    self->answered = zhashx_new ();
    zhashx_set_destructor (self->answered, s_hold_free);
    return self;
}

void
wire_order_destroy (wire_order_t **self_p)
{
    if (!*self_p)
        return;
    zhashx_destroy (&(*self_p)->holds);
    zhashx_destroy (&(*self_p)->answered);
    free (*self_p);
    *self_p = NULL;
}

/* Drops the entries of hash (of s_hold_t when is_hold, else of s_answered_t) untouched
   for WIRE_ORDER_FORGET_MS. */
static void
s_sweep_hash (zhashx_t *hash, bool is_hold, int64_t now_ms)
{
    zlistx_t *keys = zhashx_keys (hash);
    for (const char *key = zlistx_first (keys); key; key = zlistx_next (keys)) {
        const void *item = zhashx_lookup (hash, key);
        int64_t touched =
          is_hold ? ((const s_hold_t *)item)->touched_ms : ((const s_answered_t *)item)->touched_ms;
        if (now_ms - touched > WIRE_ORDER_FORGET_MS)
            zhashx_delete (hash, key);
    }
    zlistx_destroy (&keys);
}

/* Forgets the peers untouched for WIRE_ORDER_FORGET_MS, at most once a minute. */
static void
s_sweep (wire_order_t *self, int64_t now_ms)
{
    if (now_ms - self->swept_ms < 60 * 1000)
        return;
    self->swept_ms = now_ms;
    s_sweep_hash (self->holds, true, now_ms);
    s_sweep_hash (self->answered, false, now_ms);
}

static bool
s_was_answered (wire_order_t *self, const char *key, uint64_t seq)
{
    const s_answered_t *a = zhashx_lookup (self->answered, key);
    for (size_t i = 0; a && i < a->count; i++)
        if (a->seqs[i] == seq)
            return true;
    return false;
}

void
wire_order_answered (wire_order_t *self, zframe_t *peer, uint64_t seq, int64_t now_ms)
{
    char *key = zframe_strhex (peer);
    s_answered_t *a = zhashx_lookup (self->answered, key);
    if (!a) {
        a = xcalloc (1, sizeof *a);
        zhashx_insert (self->answered, key, a);
    }
    a->seqs[a->next] = seq;
    a->next = (a->next + 1) % WIRE_ORDER_ANSWERED_MAX;
    if (a->count < WIRE_ORDER_ANSWERED_MAX)
        a->count++;
    a->touched_ms = now_ms;
    /* A hold on this very batch was set by refusing a copy of it sent again while the
       first was being taken: its events are in now, so nothing need wait for it. */
    const s_hold_t *hold = zhashx_size (self->holds) ? zhashx_lookup (self->holds, key) : NULL;
    if (hold && hold->refused_seq == seq)
        zhashx_delete (self->holds, key);
    free (key);
    s_sweep (self, now_ms);
}

void
wire_order_refused (wire_order_t *self, zframe_t *peer, uint64_t seq, int64_t now_ms)
{
    char *key = zframe_strhex (peer);
    if (s_was_answered (self, key, seq)) {
        /* A copy sent again of a batch already answered: its events are in, and the
           client, done with it, will not send it again. */
        free (key);
        return;
    }
    s_hold_t *hold = zhashx_lookup (self->holds, key);
    if (!hold) {
        hold = xcalloc (1, sizeof *hold);
        hold->refused_seq = seq;
        hold->refused_at_ms = now_ms;
        zhashx_insert (self->holds, key, hold);
    } else if (seq <= hold->refused_seq) {
        hold->refused_seq = seq;
        hold->refused_at_ms = now_ms;
    }
    hold->touched_ms = now_ms;
    free (key);
    s_sweep (self, now_ms);
}

bool
wire_order_admit (wire_order_t *self, zframe_t *peer, uint64_t seq, int64_t now_ms)
{
    /* The common case, nothing refused: no lookup, no allocation. */
    if (zhashx_size (self->holds) == 0)
        return true;
    s_sweep (self, now_ms);
    char *key = zframe_strhex (peer);
    s_hold_t *hold = zhashx_lookup (self->holds, key);
    bool admit = true;
    if (hold) {
        bool expired = now_ms - hold->refused_at_ms > WIRE_ORDER_HOLD_MAX_MS;
        if (seq > hold->refused_seq && !expired) {
            hold->touched_ms = now_ms;
            admit = false;
        } else if (seq > hold->refused_seq) {
            log_warn ("order",
                      "an agent did not send a refused batch again; no longer holding its "
                      "later batches for it",
                      "peer=%s refused_seq=%" PRIu64 " seq=%" PRIu64 " waited_ms=%" PRId64,
                      key,
                      hold->refused_seq,
                      seq,
                      now_ms - hold->refused_at_ms);
            zhashx_delete (self->holds, key);
        } else if (!s_was_answered (self, key, seq)) {
            /* The refused batch, or an earlier one still unanswered: the client is resending
               from there, in order. A late copy of a batch answered before says nothing of
               the kind: it is taken (its events again, harmless), and the hold stays. */
            zhashx_delete (self->holds, key);
        }
    }
    free (key);
    return admit;
}

size_t
wire_order_held (wire_order_t *self)
{
    return zhashx_size (self->holds);
}
