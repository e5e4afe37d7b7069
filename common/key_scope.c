/* Which associations a CURVE key may report for (see key_scope.h). */
#include "key_scope.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "constituency.h"
#include "mem.h"

struct key_scope {
    char **associations; /* upper case */
    size_t nassociations;
    const char **regions; /* the region codes of constituency.h (borrowed: static) */
    size_t nregions;
    size_t unknown_regions;
};

/* Calls fn for each trimmed, non-empty item of a comma-separated list. */
static void
s_each (const char *list, void (*fn) (key_scope_t *, const char *, size_t), key_scope_t *self)
{
    if (!list)
        return;
    const char *p = list;
    while (*p) {
        const char *end = strchr (p, ',');
        if (!end)
            end = p + strlen (p);
        const char *a = p, *b = end;
        while (a < b && isspace ((unsigned char)*a))
            a++;
        while (b > a && isspace ((unsigned char)b[-1]))
            b--;
        if (b > a)
            fn (self, a, (size_t)(b - a));
        p = *end ? end + 1 : end;
    }
}

static void
s_add_association (key_scope_t *self, const char *text, size_t len)
{
    if (self->nassociations >= KEY_SCOPE_MAX || len > EVENT_ASSOC_ID_MAX)
        return;
    char *id = xmalloc (len + 1);
    for (size_t i = 0; i < len; i++)
        id[i] = (char)toupper ((unsigned char)text[i]);
    id[len] = '\0';
    self->associations =
      xrealloc (self->associations, (self->nassociations + 1) * sizeof *self->associations);
    self->associations[self->nassociations++] = id;
}

static void
s_add_region (key_scope_t *self, const char *text, size_t len)
{
    for (size_t i = 0; i < constituency_region_count (); i++) {
        const constituency_region_t *r = constituency_region_at (i);
        if (strlen (r->code) == len && strncasecmp (r->code, text, len) == 0) {
            if (self->nregions >= KEY_SCOPE_MAX)
                return;
            self->regions = xrealloc (self->regions, (self->nregions + 1) * sizeof *self->regions);
            self->regions[self->nregions++] = r->code;
            return;
        }
    }
    self->unknown_regions++;
}

key_scope_t *
key_scope_new (const char *associations, const char *regions)
{
    key_scope_t *self = xcalloc (1, sizeof *self);
    s_each (associations, s_add_association, self);
    s_each (regions, s_add_region, self);
    return self;
}

void
key_scope_destroy (key_scope_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    key_scope_t *self = *self_p;
    for (size_t i = 0; i < self->nassociations; i++)
        free (self->associations[i]);
    free (self->associations);
    free (self->regions);
    free (self);
    *self_p = NULL;
}

bool
key_scope_allows (const key_scope_t *self, const event_t *ev)
{
    if (!self)
        return true;
    for (size_t i = 0; i < self->nassociations; i++)
        if (strcasecmp (self->associations[i], ev->association_id) == 0)
            return true;
    if (ev->constituency)
        for (size_t i = 0; i < self->nregions; i++)
            if (strcmp (self->regions[i], ev->constituency->region_code) == 0)
                return true;
    return false;
}

bool
key_scope_check (const key_scope_t *self, const event_t *ev, reject_t *why)
{
    if (key_scope_allows (self, ev))
        return true;
    reject_set (why, "association.id", KEY_SCOPE_REASON, ev->association_id);
    return false;
}

size_t
key_scope_association_count (const key_scope_t *self)
{
    return self->nassociations;
}

size_t
key_scope_region_count (const key_scope_t *self)
{
    return self->nregions;
}

size_t
key_scope_unknown_regions (const key_scope_t *self)
{
    return self->unknown_regions;
}

void
key_scope_describe (const key_scope_t *self, char *out, size_t cap)
{
    if (!cap)
        return;
    size_t o = 0;
    out[0] = '\0';
    const char *sep = "associations=";
    for (size_t i = 0; i < self->nassociations && o + 1 < cap; i++) {
        int n = snprintf (out + o, cap - o, "%s%s", sep, self->associations[i]);
        o = n < 0 ? o : (size_t)n + o >= cap ? cap - 1 : o + (size_t)n;
        sep = ",";
    }
    sep = o ? " regions=" : "regions=";
    for (size_t i = 0; i < self->nregions && o + 1 < cap; i++) {
        int n = snprintf (out + o, cap - o, "%s%s", sep, self->regions[i]);
        o = n < 0 ? o : (size_t)n + o >= cap ? cap - 1 : o + (size_t)n;
        sep = ",";
    }
    if (o == 0)
        snprintf (out, cap, "associations=none");
}
