/* Conversation event v1: parsing one JSON line and checking every rule of the v1 model
   (docs/EVENTS.md). The agent checks first so a feed's owner learns of bad lines at the
   source; the collector checks again and never trusts an agent. */
#ifndef PARLEY_EVENT_H
#define PARLEY_EVENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "constituency.h"
#include "parley.h"
#include "reject.h"

#define EVENT_LINE_MAX 16384
#define EVENT_ID_LEN 36
#define EVENT_ASSOC_ID_MAX 32
#define EVENT_TOPICS_MAX 20
#define EVENT_TOPIC_MAX 40
#define EVENT_NAME_MAX 200
#define EVENT_ASSOC_NAME_MAX 200 /* association.name: not limited by issue 2; ours */
#define EVENT_PARTY_MAX 100
#define EVENT_NOTES_MAX 4000

typedef enum { EVENT_REPORTED, EVENT_AMENDED, EVENT_WITHDRAWN } event_type_t;
typedef enum {
    ROLE_MP,
    ROLE_COUNCILLOR,
    ROLE_PEER,
    ROLE_MAYOR,
    ROLE_OFFICIAL,
    ROLE_OPINION_FORMER
} stakeholder_role_t;
typedef enum {
    FORMAT_MEETING,
    FORMAT_SITE_VISIT,
    FORMAT_CALL,
    FORMAT_EVENT,
    FORMAT_CORRESPONDENCE
} event_format_t;

/* A checked, normalised event. Owned strings are freed by event_fini. For a withdrawal
   the attribute fields hold their defaults (format meeting, stance unknown, no topics,
   no follow-up, no notes). */
typedef struct {
    char event_id[EVENT_ID_LEN + 1]; /* lower case */
    event_type_t type;
    int64_t reported_at_us;                      /* UTC microseconds since 1970 */
    int32_t occurred_on;                         /* days since 1970-01-01 */
    char association_id[EVENT_ASSOC_ID_MAX + 1]; /* upper case */
    char *association_name;                      /* NULL when absent */
    const constituency_t *constituency;          /* never NULL once parsed */
    stakeholder_role_t role;
    char *stakeholder_name; /* as written */
    char *person_key;       /* fold_person_key, never "" */
    char *party;            /* NULL when absent */
    event_format_t format;
    bool stance_known;
    int stance; /* -2..2 when stance_known */
    size_t topic_count;
    char *topics[EVENT_TOPICS_MAX]; /* distinct, in first-seen order */
    bool follow_up;
    char *notes; /* NULL when absent */
} event_t;

/* Parses and checks one line (without its newline) against v1. now_us is the checker's
   clock (UTC microseconds), for the "not more than one day ahead" rule. On success fills
   *ev (call event_fini after) and returns 0; on failure fills *why with the first problem
   found, leaves *ev empty (event_fini is still safe) and returns -1. */
int event_parse (event_t *ev, const char *line, size_t len, int64_t now_us, reject_t *why)
  PARLEY_MUST_CHECK;
void event_fini (event_t *ev);

/* Text names, as on the wire: "conversation.reported", "mp", "site_visit" … */
const char *event_type_name (event_type_t type);
const char *event_role_name (stakeholder_role_t role);
const char *event_format_name (event_format_t format);

/* The current time as UTC microseconds since 1970. */
int64_t event_now_us (void);

#endif
