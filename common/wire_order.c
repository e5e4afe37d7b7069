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

struct wire_order {
    zhashx_t *holds; /* routing id as hex -> s_hold_t */
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
    return self;
}

void
wire_order_destroy (wire_order_t **self_p)
{
    if (!*self_p)
        return;
    zhashx_destroy (&(*self_p)->holds);
    free (*self_p);
    *self_p = NULL;
}

/* Drops holds untouched for WIRE_ORDER_FORGET_MS, at most once a minute. */
static void
s_sweep (wire_order_t *self, int64_t now_ms)
{
    if (now_ms - self->swept_ms < 60 * 1000)
        return;
    self->swept_ms = now_ms;
    zlistx_t *keys = zhashx_keys (self->holds);
    for (const char *key = zlistx_first (keys); key; key = zlistx_next (keys)) {
        const s_hold_t *hold = zhashx_lookup (self->holds, key);
        if (now_ms - hold->touched_ms > WIRE_ORDER_FORGET_MS)
            zhashx_delete (self->holds, key);
    }
    zlistx_destroy (&keys);
}

void
wire_order_refused (wire_order_t *self, zframe_t *peer, uint64_t seq, int64_t now_ms)
{
    char *key = zframe_strhex (peer);
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
        if (seq > hold->refused_seq && now_ms - hold->refused_at_ms <= WIRE_ORDER_HOLD_MAX_MS) {
            hold->touched_ms = now_ms;
            admit = false;
        } else {
            if (seq > hold->refused_seq)
                log_warn ("order",
                          "an agent did not send a refused batch again; no longer holding its "
                          "later batches for it",
                          "peer=%s refused_seq=%" PRIu64 " seq=%" PRIu64 " waited_ms=%" PRId64,
                          key,
                          hold->refused_seq,
                          seq,
                          now_ms - hold->refused_at_ms);
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
