/* Which associations a CURVE key may report for (docs/SECURITY.md, "How a key is scoped").

   A scope is read from a public cert's metadata: CURVE_CERT_META_ASSOCIATIONS, a
   comma-separated list of association ids (an association's own agent), and/or
   CURVE_CERT_META_REGIONS, a comma-separated list of region GSS codes (constituency.h: an
   ONS region in England, the nation elsewhere; a regional hub's relay). An event is
   allowed when its association.id is in the list (compared without regard to case, as
   event_parse upper-cases it), or when its constituency lies in one of the regions. A key
   with neither, or with only unknown region codes, may report nothing.

   The rule is the event's own fields: a hub's key scoped to a region may report an event
   of any association whose constituency is in that region, and no other. An event that is
   not allowed is rejected (field "association.id", reason KEY_SCOPE_REASON), the rest of
   its batch goes on. */
#ifndef PARLEY_KEY_SCOPE_H
#define PARLEY_KEY_SCOPE_H
#include <stdbool.h>
#include <stddef.h>
#include "event.h"
#include "parley.h"
#include "reject.h"

/* printf format of the reason; the argument is the event's association id. */
#define KEY_SCOPE_REASON "not authorised for association %s"
#define KEY_SCOPE_MAX 256 /* ids or regions in one list */

typedef struct key_scope key_scope_t;

/* A scope from the two metadata values (either may be NULL or ""). Unknown region codes
   are kept out (logged by the caller if it wishes: key_scope_unknown_regions counts them).
   Caller owns the result. */
key_scope_t *key_scope_new (const char *associations, const char *regions);
void key_scope_destroy (key_scope_t **self_p);

/* Whether ev may be reported with this scope. NULL scope: anything (an --insecure server). */
bool key_scope_allows (const key_scope_t *self, const event_t *ev);

/* Checks ev; when not allowed fills why (field "association.id", KEY_SCOPE_REASON) and
   returns false. */
bool key_scope_check (const key_scope_t *self, const event_t *ev, reject_t *why);

/* Numbers of ids and regions held, and region codes given that name no region. */
size_t key_scope_association_count (const key_scope_t *self);
size_t key_scope_region_count (const key_scope_t *self);
size_t key_scope_unknown_regions (const key_scope_t *self);

/* "associations=A,B regions=E12000008" for logs, into out. */
void key_scope_describe (const key_scope_t *self, char *out, size_t cap);

#endif
