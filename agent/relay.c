/* A regional hub's relay (see relay.h). */
#include "relay.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "key_scope.h"
#include "log.h"
#include "mem.h"
#include "wire_server.h"

/* Batches read per turn of the loop, and at most this long, so that a burst from the
   agents does not starve the hub's own sender and inputs. */
#define RELAY_READ_BUDGET 16
#define RELAY_READ_MS 20
#define RELAY_SOURCE_PREFIX "relay:"
/* The memory guard of the hub's wire_server runs at least this often (wire_server.h). */
#define RELAY_GUARD_MS 100

/* A batch whose events are in the spool, waiting for them to be durable. */
typedef struct s_pending {
    wire_server_batch_t *batch;
    zmsg_t *reply;    /* its OUTCOMES, built as its events were offered */
    uint64_t last_id; /* its last record in the spool */
    size_t accepted, rejected;
    struct s_pending *next;
} s_pending_t;

struct relay {
    wire_server_t *server;
    intake_t *intake;
    s_pending_t *head, *tail; /* in the order taken, so record ids grow along the list */
    size_t pending_batches, pending_events;
    bool refusing; /* the last batch was refused: say so when batches are taken again */
    uint64_t refused_at_start;
    relay_stats_t stats;
    volatile sig_atomic_t *reload; /* SIGHUP (or NULL) */
};

relay_t *
relay_new (const wire_server_options_t *opts, intake_t *intake)
{
    wire_server_options_t so = *opts;
    so.comp = "relay";
    wire_server_t *server = wire_server_new (&so);
    if (!server)
        return NULL;
    relay_t *self = xcalloc (1, sizeof *self);
    self->server = server;
    self->intake = intake;
    return self;
}

static void
s_pending_destroy (s_pending_t **p_p)
{
    s_pending_t *p = *p_p;
    wire_server_batch_destroy (&p->batch);
    zmsg_destroy (&p->reply);
    free (p);
    *p_p = NULL;
}

void
relay_destroy (relay_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    relay_t *self = *self_p;
    while (self->head) {
        s_pending_t *p = self->head;
        self->head = p->next;
        s_pending_destroy (&p);
    }
    /* OUTCOMES sent by finish get a second to leave: one lost here would only cause a
       resend, but a clean stop should not cause any. */
    wire_server_destroy (&self->server, 1000);
    free (self);
    *self_p = NULL;
}

void
relay_watch_reload (relay_t *self, volatile sig_atomic_t *flag)
{
    self->reload = flag;
}

/* Whether the sending key may report this event (checked here, before the intake, so that
   nothing out of scope is ever spooled). An event that does not parse is left to the
   intake, which rejects it with the v1 reason. */
static bool
s_in_scope (const wire_server_batch_t *batch, zframe_t *frame, reject_t *why)
{
    if (!batch->scope)
        return true;
    event_t ev;
    reject_t ignored;
    if (event_parse (
          &ev, (const char *)zframe_data (frame), zframe_size (frame), event_now_us (), &ignored) !=
        0) {
        event_fini (&ev);
        return true;
    }
    bool ok = key_scope_check (batch->scope, &ev, why);
    event_fini (&ev);
    return ok;
}

const char *
relay_endpoint (relay_t *self, size_t index)
{
    return wire_server_endpoint (self->server, index);
}

const relay_stats_t *
relay_stats (relay_t *self)
{
    return &self->stats;
}

/* Answers, oldest first, every pending batch whose records are all durable now. */
static void
s_answer_durable (relay_t *self)
{
    uint64_t durable = intake_durable_id (self->intake);
    while (self->head && self->head->last_id <= durable) {
        s_pending_t *p = self->head;
        self->head = p->next;
        if (!self->head)
            self->tail = NULL;
        self->pending_batches--;
        self->pending_events -= p->batch->count;
        self->stats.batches++;
        self->stats.accepted += p->accepted;
        self->stats.rejected += p->rejected;
        (void)wire_server_reply (self->server, p->batch, &p->reply);
        s_pending_destroy (&p);
    }
}

/* The spool cannot take the whole batch: ERROR, nothing of it acknowledged. The taken
   events that went before stay in the spool (relay.h). */
static void
s_refuse (relay_t *self, wire_server_batch_t **batch_p, intake_status_t st, size_t taken)
{
    const char *reason = st == INTAKE_FULL ? RELAY_FULL : RELAY_UNAVAILABLE;
    if (!self->refusing) {
        log_warn ("relay",
                  "hub spool cannot take batches, refusing them",
                  "reason=\"%s\" peer=%s seq=%" PRIu64,
                  reason,
                  (*batch_p)->peer_name,
                  (*batch_p)->seq);
        self->refusing = true;
        self->refused_at_start = self->stats.refused;
    }
    self->stats.refused++;
    self->stats.orphaned += taken;
    wire_server_refuse (self->server, batch_p, reason);
}

/* Offers every event of the batch to the intake, building its OUTCOMES on the way. */
static void
s_take (relay_t *self, wire_server_batch_t *batch)
{
    char source[sizeof RELAY_SOURCE_PREFIX + WIRE_SERVER_PEER_MAX];
    snprintf (source, sizeof source, RELAY_SOURCE_PREFIX "%s", batch->peer_name);
    zmsg_t *reply = wire_outcomes_new (batch->seq);
    uint64_t last_id = 0;
    size_t taken = 0, rejected = 0;
    for (size_t i = 0; i < batch->count; i++) {
        zframe_t *frame = batch->events[i];
        wire_outcome_t outcome = { .verdict = WIRE_ACCEPTED };
        uint64_t id = 0;
        if (!s_in_scope (batch, frame, &outcome.why)) {
            outcome.verdict = WIRE_REJECTED;
            rejected++;
            wire_outcomes_add (reply, &outcome);
            continue;
        }
        /* The line is the event's place in its batch: the agent's own line number does
           not travel, but its event_id does, in the input rejected.jsonl shows. */
        switch (intake_offer (self->intake,
                              source,
                              i + 1,
                              (const char *)zframe_data (frame),
                              zframe_size (frame),
                              &id,
                              &outcome.why)) {
            case INTAKE_TAKEN:
                last_id = id;
                taken++;
                break;
            case INTAKE_REJECTED:
                outcome.verdict = WIRE_REJECTED;
                rejected++;
                break;
            case INTAKE_FULL:
                zmsg_destroy (&reply);
                s_refuse (self, &batch, INTAKE_FULL, taken);
                return;
            case INTAKE_FAILED:
                zmsg_destroy (&reply);
                s_refuse (self, &batch, INTAKE_FAILED, taken);
                return;
        }
        wire_outcomes_add (reply, &outcome);
    }
    if (self->refusing) {
        log_info ("relay",
                  "hub spool takes batches again",
                  "refused_batches=%" PRIu64,
                  self->stats.refused - self->refused_at_start);
        self->refusing = false;
    }
    if (taken == 0) {
        /* Nothing to make durable: every event broke a rule. */
        self->stats.batches++;
        self->stats.rejected += rejected;
        (void)wire_server_reply (self->server, batch, &reply);
        wire_server_batch_destroy (&batch);
        return;
    }
    s_pending_t *p = xcalloc (1, sizeof *p);
    p->batch = batch;
    p->reply = reply;
    p->last_id = last_id;
    p->accepted = taken;
    p->rejected = rejected;
    if (self->tail)
        self->tail->next = p;
    else
        self->head = p;
    self->tail = p;
    self->pending_batches++;
    self->pending_events += batch->count;
}

/* --- the agent's loop (agent_producer_t) ------------------------------------------ */

static int
s_pollitems (void *arg, zmq_pollitem_t *items, int max)
{
    relay_t *self = arg;
    if (max < 2)
        return 0;
    /* The monitor always (connections are logged while their descriptors are open); the
       socket only while there is room for more batches. */
    items[0] = (zmq_pollitem_t){ wire_server_monitor_socket (self->server), 0, ZMQ_POLLIN, 0 };
    if (self->pending_events >= RELAY_PENDING_MAX)
        return 1;
    items[1] = (zmq_pollitem_t){ wire_server_socket (self->server), 0, ZMQ_POLLIN, 0 };
    return 2;
}

static int
s_timeout_ms (void *arg, int64_t now)
{
    relay_t *self = arg;
    (void)now;
    /* Answers are due once the intake's sync (wanted in process) has covered them; and the
       memory guard runs in process at least this often (wire_server_guard). */
    return self->head && self->head->last_id <= intake_durable_id (self->intake) ? 0
                                                                                 : RELAY_GUARD_MS;
}

static void
s_process (void *arg, zmq_pollitem_t *items, int n, int64_t now)
{
    relay_t *self = arg;
    if (self->reload && *self->reload) {
        *self->reload = 0;
        if (wire_server_reload_keys (self->server) != 0) {
            /* logged; the keys loaded before stay in force */
        }
    }
    s_answer_durable (self);
    wire_server_guard (self->server);
    if (n >= 1 && (items[0].revents & ZMQ_POLLIN))
        wire_server_log_connections (self->server);
    if (n >= 2 && (items[1].revents & ZMQ_POLLIN)) {
        for (int k = 0; k < RELAY_READ_BUDGET && self->pending_events < RELAY_PENDING_MAX; k++) {
            if (k > 0 && zclock_mono () - now >= RELAY_READ_MS)
                break;
            wire_server_batch_t *batch = wire_server_recv (self->server, 0);
            if (!batch)
                break;
            s_take (self, batch);
        }
    }
    if (self->head)
        intake_want_sync (self->intake);
}

static bool
s_is_idle (void *arg)
{
    relay_t *self = arg;
    return self->head == NULL;
}

/* After the agent's last sync: what is durable now is answered; the rest is resent by its
   agents to the next run. */
static void
s_finish (void *arg)
{
    relay_t *self = arg;
    s_answer_durable (self);
    const wire_server_stats_t *ws = wire_server_stats (self->server);
    log_info ("relay",
              "relay totals",
              "batches=%" PRIu64 " accepted=%" PRIu64 " rejected=%" PRIu64
              " refused_batches=%" PRIu64 " orphaned=%" PRIu64 " unanswered_batches=%zu"
              " malformed_requests=%" PRIu64 " unroutable_replies=%" PRIu64
              " dropped_replies=%" PRIu64,
              self->stats.batches,
              self->stats.accepted,
              self->stats.rejected,
              self->stats.refused,
              self->stats.orphaned,
              self->pending_batches,
              ws->malformed,
              ws->unroutable,
              ws->dropped);
}

agent_producer_t
relay_producer (relay_t *self)
{
    return (agent_producer_t){ self, s_pollitems, s_timeout_ms, s_process, s_is_idle, s_finish };
}
