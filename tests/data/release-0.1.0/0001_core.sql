-- Parley core schema: every accepted event, the current state of each conversation, the
-- aggregate tables the collector keeps up to date by deltas (those behind the four core
-- views and those behind the analytics views of 0002_analytics.sql), the four core views,
-- and the ingest functions. docs/COLLECTOR.md describes every table and column.
--
-- Applied once by the collector (collector/schema.c) inside a transaction, under an
-- advisory lock, and recorded in parley.schema_migrations. Never edit this file once
-- released: add 0003_…, 0004_… instead.

CREATE SCHEMA IF NOT EXISTS parley;

-- The 650 Westminster constituencies of 2024. Seeded (upserted) by the collector on every
-- start from the compiled-in common/data/constituencies-2024.csv.
CREATE TABLE parley.constituency (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    country     text NOT NULL,
    region      text NOT NULL,
    region_code text NOT NULL,
    hex_q       integer NOT NULL,
    hex_r       integer NOT NULL
);

-- One row of settings. The target is the number of conversations the campaign aims for:
--   UPDATE parley.settings SET target = 1500;
CREATE TABLE parley.settings (
    id     boolean PRIMARY KEY DEFAULT true CHECK (id),
    target integer NOT NULL DEFAULT 1000 CHECK (target > 0)
);
INSERT INTO parley.settings DEFAULT VALUES;

-- Every accepted event, as checked and normalised by the collector, with the original line
-- (unknown fields kept). For a withdrawal the attribute columns (format … notes) are NULL:
-- a withdrawal's attributes are ignored, not validated. raw is json, not jsonb: the line is
-- kept exactly as received, and PostgreSQL only checks it is JSON instead of building a
-- binary tree of it (nothing reads inside raw; duplicates are told by the normalised
-- columns). The primary key is the only index: every event costs one index insertion.
CREATE TABLE parley.event (
    event_id          uuid PRIMARY KEY,
    type              text NOT NULL CHECK (type IN ('conversation.reported', 'conversation.amended',
                                                    'conversation.withdrawn')),
    reported_at       timestamptz NOT NULL,
    occurred_on       date NOT NULL,
    association_id    text NOT NULL,
    association_name  text,
    constituency_code text NOT NULL,
    stakeholder_role  text NOT NULL,
    stakeholder_name  text NOT NULL,
    person_key        text NOT NULL,
    party             text,
    format            text,
    stance            smallint CHECK (stance BETWEEN -2 AND 2),
    topics            text[],
    follow_up         boolean,
    notes             text,
    raw               json NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now()
);

-- The current state of each conversation: the accepted event with the greatest
-- (reported_at, event_id) among those with this key. counts is false when that event is a
-- withdrawal; the attribute columns are then NULL. Only the key columns are indexed, so
-- that a conversation whose state changes is updated in place (a HOT update: no index
-- entry rewritten); fillfactor leaves room on each page for that.
CREATE TABLE parley.conversation (
    constituency_code text NOT NULL,
    association_id    text NOT NULL,
    stakeholder_role  text NOT NULL,
    person_key        text NOT NULL,
    occurred_on       date NOT NULL,
    event_id          uuid NOT NULL,
    reported_at       timestamptz NOT NULL,
    counts            boolean NOT NULL,
    stakeholder_name  text NOT NULL,
    party             text,
    format            text,
    stance            smallint,
    topics            text[],
    follow_up         boolean,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (constituency_code, association_id, stakeholder_role, person_key, occurred_on)
) WITH (fillfactor = 90);

-- A stakeholder's conversations that count, latest last: for bringing their stakeholder_agg
-- row up to date when it cannot be merged (one of them withdrawn, say) by reading one or
-- two entries (the latest, the first, the last two stances). Partial, so that it holds
-- only what counts and that the look-up of a conversation by its key can only use the
-- primary key.
CREATE INDEX conversation_stakeholder ON parley.conversation
    (constituency_code, stakeholder_role, person_key, occurred_on, reported_at, event_id)
    WHERE counts;

-- ---------------------------------------------------------------------------------------
-- Aggregates over the conversations that count
-- ---------------------------------------------------------------------------------------
-- All are kept by parley.ingest_batch, in the transaction that stores the events, from
-- the signed contributions of the conversations whose state the batch changed (-1 for an
-- old state that counted, +1 for a new state that counts), grouped per row of each table:
-- existing rows by UPDATE, new ones by INSERT (writers take turns under an advisory lock,
-- so nothing else inserts meanwhile). An UPDATE's CHECK sees the resulting row, so the
-- CHECKs below guard the invariant that no count goes below zero. Rows whose count
-- returns to 0 are deleted (except constituency_agg and stakeholder_agg). The generous
-- fillfactors let an updated row stay on its page (HOT): no index entry is rewritten.

-- Per constituency; a row for every constituency (seeded with them by the collector).
-- first_on/last_on: the earliest and latest day that counts.
CREATE TABLE parley.constituency_agg (
    constituency_code            text PRIMARY KEY REFERENCES parley.constituency (code),
    conversations                integer NOT NULL DEFAULT 0,
    mp_conversations             integer NOT NULL DEFAULT 0,
    councillor_conversations     integer NOT NULL DEFAULT 0,
    peer_conversations           integer NOT NULL DEFAULT 0,
    mayor_conversations          integer NOT NULL DEFAULT 0,
    official_conversations       integer NOT NULL DEFAULT 0,
    opinion_former_conversations integer NOT NULL DEFAULT 0,
    stance_opposed               integer NOT NULL DEFAULT 0,
    stance_sceptical             integer NOT NULL DEFAULT 0,
    stance_neutral               integer NOT NULL DEFAULT 0,
    stance_supportive            integer NOT NULL DEFAULT 0,
    stance_champion              integer NOT NULL DEFAULT 0,
    stance_unknown               integer NOT NULL DEFAULT 0,
    stance_sum                   bigint NOT NULL DEFAULT 0,
    follow_ups                   integer NOT NULL DEFAULT 0,
    associations                 integer NOT NULL DEFAULT 0,
    first_on                     date,
    last_on                      date,
    CHECK (conversations >= 0 AND mp_conversations >= 0 AND associations >= 0)
) WITH (fillfactor = 50);

-- Per (constituency, association) with conversations that count: the distinct
-- associations of a constituency (constituency_agg.associations counts its rows), and the
-- association_summary view (conversations, constituencies reached, MPs spoken to, first and
-- last conversation: an association's first_on is the least of its rows').
CREATE TABLE parley.association_constituency (
    constituency_code text NOT NULL,
    association_id    text NOT NULL,
    conversations     integer NOT NULL CHECK (conversations >= 0),
    mp_conversations  integer NOT NULL CHECK (mp_conversations >= 0),
    first_on          date,
    last_on           date,
    PRIMARY KEY (constituency_code, association_id)
) WITH (fillfactor = 70);

-- Per (constituency, topic) with conversations that count.
CREATE TABLE parley.constituency_topic (
    constituency_code text NOT NULL,
    topic             text NOT NULL,
    conversations     integer NOT NULL CHECK (conversations >= 0),
    PRIMARY KEY (constituency_code, topic)
) WITH (fillfactor = 70);

-- Conversations that count, per day they took place (weekly_progress).
CREATE TABLE parley.daily_conversations (
    occurred_on   date PRIMARY KEY,
    conversations integer NOT NULL CHECK (conversations >= 0)
) WITH (fillfactor = 50);

-- The latest association.name given for each association id (by reported_at, event_id),
-- over all accepted events.
CREATE TABLE parley.association_name (
    association_id text PRIMARY KEY,
    name           text NOT NULL,
    reported_at    timestamptz NOT NULL,
    event_id       uuid NOT NULL
) WITH (fillfactor = 50);

-- A conversation's recorded stance with what orders it: "latest" means by occurred_on, then
-- reported_at and event_id (unique), which is the order in which composite values compare.
CREATE TYPE parley.stance_mark AS (
    occurred_on date,
    reported_at timestamptz,
    event_id    uuid,
    stance      smallint
);
-- The same for the name written in a conversation (used while recomputing a stakeholder).
CREATE TYPE parley.name_mark AS (
    occurred_on date,
    reported_at timestamptz,
    event_id    uuid,
    name        text
);

-- One row per stakeholder (constituency, role, person key) ever spoken to, over the
-- conversations with them that count. name is the name written in the latest one
-- (name_reported_at and name_event_id, with last_on, say which that is); latest and previous
-- are the last two recorded stances (an unrecorded stance never hides a change of mind).
-- A follow-up is open while no later conversation with the person exists: the follow-ups
-- flagged on the stakeholder's last day. A stakeholder whose conversations were all
-- withdrawn keeps a row with conversations = 0 (and NULL marks and days), which the views
-- leave out.
CREATE TABLE parley.stakeholder_agg (
    constituency_code text NOT NULL,
    stakeholder_role  text NOT NULL,
    person_key        text NOT NULL,
    name              text,
    name_reported_at  timestamptz,
    name_event_id     uuid,
    conversations     integer NOT NULL CHECK (conversations >= 0),
    associations      integer NOT NULL,
    association_ids   text[],          -- sorted, distinct
    latest            parley.stance_mark,
    previous          parley.stance_mark,
    first_on          date,
    last_on           date,
    open_follow_ups   integer NOT NULL,
    PRIMARY KEY (constituency_code, stakeholder_role, person_key)
) WITH (fillfactor = 85);

-- The views the analytics team uses. Their names and columns are a contract: change them
-- only by adding columns at the end.

CREATE VIEW parley.constituency_summary AS
SELECT c.code AS constituency_code,
       c.name AS constituency_name,
       c.region,
       c.country,
       coalesce(a.conversations, 0)                AS conversations,
       coalesce(a.mp_conversations, 0)             AS mp_conversations,
       coalesce(a.councillor_conversations, 0)     AS councillor_conversations,
       coalesce(a.peer_conversations, 0)           AS peer_conversations,
       coalesce(a.mayor_conversations, 0)          AS mayor_conversations,
       coalesce(a.official_conversations, 0)       AS official_conversations,
       coalesce(a.opinion_former_conversations, 0) AS opinion_former_conversations,
       coalesce(a.associations, 0)                 AS associations,
       coalesce(a.stance_opposed, 0)               AS stance_opposed,
       coalesce(a.stance_sceptical, 0)             AS stance_sceptical,
       coalesce(a.stance_neutral, 0)               AS stance_neutral,
       coalesce(a.stance_supportive, 0)            AS stance_supportive,
       coalesce(a.stance_champion, 0)              AS stance_champion,
       coalesce(a.stance_unknown, 0)               AS stance_unknown,
       -- the same value avg(stance) would give over the conversations with a known stance
       CASE WHEN a.conversations - a.stance_unknown > 0
            THEN a.stance_sum::numeric / (a.conversations - a.stance_unknown)
       END                                         AS mean_stance,
       coalesce(a.follow_ups, 0)                   AS follow_ups,
       a.first_on,
       a.last_on
  FROM parley.constituency c
  LEFT JOIN parley.constituency_agg a ON a.constituency_code = c.code;

CREATE VIEW parley.constituency_topics AS
SELECT constituency_code, topic, conversations
  FROM parley.constituency_topic
 WHERE conversations > 0;

CREATE VIEW parley.region_summary AS
SELECT c.region,
       c.country,
       count(*)                                            AS constituencies,
       count(*) FILTER (WHERE a.conversations > 0)         AS constituencies_reached,
       count(*) FILTER (WHERE a.mp_conversations > 0)      AS mps_engaged,
       coalesce(sum(a.conversations), 0)::bigint           AS conversations
  FROM parley.constituency c
  LEFT JOIN parley.constituency_agg a ON a.constituency_code = c.code
 GROUP BY c.region, c.country;

CREATE VIEW parley.progress AS
SELECT coalesce(sum(a.conversations), 0)::bigint           AS conversations,
       s.target,
       count(a.constituency_code) FILTER (WHERE a.conversations > 0)    AS constituencies_reached,
       count(a.constituency_code) FILTER (WHERE a.mp_conversations > 0) AS mps_engaged
  FROM parley.settings s
  LEFT JOIN parley.constituency_agg a ON true
 GROUP BY s.target;

-- The session's staging tables for ingest_batch. The collector calls this once per
-- connection; the tables are private to the session and emptied at every commit.
CREATE FUNCTION parley.ingest_prepare () RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    DROP TABLE IF EXISTS pg_temp.parley_incoming;
    DROP TABLE IF EXISTS pg_temp.parley_delta;
    DROP TABLE IF EXISTS pg_temp.parley_accepted;
    DROP TABLE IF EXISTS pg_temp.parley_slow;
    -- One row per checked event of the batch, COPYed by the collector; ord is the event's
    -- position in the batch (arrival order).
    CREATE TEMP TABLE parley_incoming (
        ord               integer NOT NULL,
        event_id          uuid NOT NULL,
        type              text NOT NULL,
        reported_at       timestamptz NOT NULL,
        occurred_on       date NOT NULL,
        association_id    text NOT NULL,
        association_name  text,
        constituency_code text NOT NULL,
        stakeholder_role  text NOT NULL,
        stakeholder_name  text NOT NULL,
        person_key        text NOT NULL,
        party             text,
        format            text,
        stance            smallint,
        topics            text[],
        follow_up         boolean,
        notes             text,
        raw               json NOT NULL
    ) ON COMMIT DELETE ROWS;
    -- The positions of the events this batch stored (each event_id's first occurrence, when
    -- not stored before).
    CREATE TEMP TABLE parley_accepted (ord integer NOT NULL) ON COMMIT DELETE ROWS;
    -- The stakeholders whose row the batch cannot merge (see ingest_batch, step 5).
    CREATE TEMP TABLE parley_slow (
        constituency_code text NOT NULL,
        stakeholder_role  text NOT NULL,
        person_key        text NOT NULL
    ) ON COMMIT DELETE ROWS;
    -- Signed contributions of the conversations whose state the batch changed: -1 for an
    -- old state that counted, +1 for a new state that counts, each with that state's
    -- attributes and ordering (reported_at, event_id). stakeholder_name is only filled
    -- for +1.
    CREATE TEMP TABLE parley_delta (
        constituency_code text NOT NULL,
        association_id    text NOT NULL,
        stakeholder_role  text NOT NULL,
        person_key        text NOT NULL,
        occurred_on       date NOT NULL,
        stance            smallint,
        topics            text[],
        follow_up         boolean,
        stakeholder_name  text,
        reported_at       timestamptz,
        event_id          uuid,
        sign              integer NOT NULL
    ) ON COMMIT DELETE ROWS;
END
$fn$;

-- Stores the batch staged in pg_temp.parley_incoming and brings the conversations and every
-- aggregate table up to date, set-based: a fixed handful of statements whatever the batch's
-- size. Returns one row per staged event: accepted, duplicate, or rejected with the reason.
--
-- Exactness does not depend on arrival order: a conversation's state is the event with the
-- greatest (reported_at, event_id) among all its accepted events, so each batch only has
-- to compare its own best candidate with the stored state; the aggregates change by the
-- difference between the old and the new state's contributions (pg_temp.parley_delta).
--
-- Cost does not depend on the store's size: every row a batch reads or writes in a large
-- table is found by one probe of its primary key, never by a scan. Where the plan could
-- otherwise go wrong it is pinned: a LATERAL subquery with OFFSET 0 is always a probe per
-- outer row, and the aggregate rows found that way are then updated by their ctid (a TID
-- scan, no second probe); new ones are plain INSERTs (writers take turns under the
-- advisory lock, so nothing else inserts meanwhile). The few values a removal can move
-- inwards (earliest and latest days, a stakeholder's latest name and stances) are found
-- again, by index, only where a removal did move them.
CREATE FUNCTION parley.ingest_batch ()
RETURNS TABLE (ord integer, outcome text, reason text)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    removals boolean;
    hashjoin text := current_setting('enable_hashjoin');
    mergejoin text := current_setting('enable_mergejoin');
    memoize text := current_setting('enable_memoize');
BEGIN
    -- Writers take turns (two collectors on one database stay exact); the lock lasts until
    -- the transaction ends, so the next writer sees everything this one stored.
    PERFORM pg_advisory_xact_lock(8097879414873325569);
    DELETE FROM pg_temp.parley_delta;
    DELETE FROM pg_temp.parley_accepted;
    DELETE FROM pg_temp.parley_slow;

    -- 1. The new events: the first occurrence in the batch of each event_id not stored yet.
    --    The primary key's own probe tells which those are (ON CONFLICT), so the common case
    --    costs one index probe per event; the other occurrences are compared with the
    --    stored event in step 8. The association names come from the new events.
    -- 2. Per conversation the new events touch: the best new event, if it beats the stored
    --    state, becomes the state (a plain INSERT for a conversation never seen, an upsert
    --    for one seen before); the old state's contribution goes, the new one's comes.
    WITH first AS (
        -- narrow, so that the wide rows (raw, notes) are never sorted or kept in memory
        SELECT event_id, min(ord) AS ord
          FROM pg_temp.parley_incoming
         GROUP BY event_id
    ), ins AS (
        INSERT INTO parley.event (event_id, type, reported_at, occurred_on, association_id,
                                  association_name, constituency_code, stakeholder_role,
                                  stakeholder_name, person_key, party, format, stance, topics,
                                  follow_up, notes, raw)
        SELECT i.event_id, i.type, i.reported_at, i.occurred_on, i.association_id,
               i.association_name, i.constituency_code, i.stakeholder_role, i.stakeholder_name,
               i.person_key, i.party, i.format, i.stance, i.topics, i.follow_up, i.notes, i.raw
          FROM pg_temp.parley_incoming i
          JOIN first f ON f.ord = i.ord
        ON CONFLICT (event_id) DO NOTHING
        RETURNING event_id, type, reported_at, occurred_on, association_id, association_name,
                  constituency_code, stakeholder_role, stakeholder_name, person_key, party,
                  format, stance, topics, follow_up
    ), accepted AS (
        INSERT INTO pg_temp.parley_accepted (ord)
        SELECT f.ord FROM first f JOIN ins ON ins.event_id = f.event_id
    ), names AS (
        INSERT INTO parley.association_name AS t (association_id, name, reported_at, event_id)
        SELECT DISTINCT ON (association_id) association_id, association_name, reported_at, event_id
          FROM ins
         WHERE association_name IS NOT NULL
         ORDER BY association_id, reported_at DESC, event_id DESC
        ON CONFLICT (association_id) DO UPDATE
           SET name = EXCLUDED.name, reported_at = EXCLUDED.reported_at, event_id = EXCLUDED.event_id
         WHERE (EXCLUDED.reported_at, EXCLUDED.event_id) > (t.reported_at, t.event_id)
    ), cand AS (
        SELECT DISTINCT ON (constituency_code, association_id, stakeholder_role, person_key,
                            occurred_on) *
          FROM ins
         ORDER BY constituency_code, association_id, stakeholder_role, person_key, occurred_on,
                  reported_at DESC, event_id DESC
    ), chg AS (
        SELECT n.*, s.event_id IS NOT NULL AS existed,
               coalesce(s.counts, false) AS old_counts, s.stance AS old_stance,
               s.topics AS old_topics, s.follow_up AS old_follow_up,
               s.reported_at AS old_reported_at, s.event_id AS old_event_id
          FROM cand n
          LEFT JOIN LATERAL (
               SELECT c.event_id, c.reported_at, c.counts, c.stance, c.topics, c.follow_up
                 FROM parley.conversation c
                WHERE c.constituency_code = n.constituency_code
                  AND c.association_id = n.association_id
                  AND c.stakeholder_role = n.stakeholder_role AND c.person_key = n.person_key
                  AND c.occurred_on = n.occurred_on
                OFFSET 0) s ON true
         WHERE s.event_id IS NULL OR (n.reported_at, n.event_id) > (s.reported_at, s.event_id)
    ), fresh AS (
        INSERT INTO parley.conversation
               (constituency_code, association_id, stakeholder_role, person_key, occurred_on,
                event_id, reported_at, counts, stakeholder_name, party, format, stance, topics,
                follow_up)
        SELECT constituency_code, association_id, stakeholder_role, person_key, occurred_on,
               event_id, reported_at, type <> 'conversation.withdrawn', stakeholder_name, party,
               format, stance, topics, follow_up
          FROM chg
         WHERE NOT existed
    ), changed AS (
        -- An upsert, which probes the primary key whatever the plan (this statement keeps
        -- hash joins for its joins between the batch's own rows).
        INSERT INTO parley.conversation AS s
               (constituency_code, association_id, stakeholder_role, person_key, occurred_on,
                event_id, reported_at, counts, stakeholder_name, party, format, stance, topics,
                follow_up)
        SELECT constituency_code, association_id, stakeholder_role, person_key, occurred_on,
               event_id, reported_at, type <> 'conversation.withdrawn', stakeholder_name, party,
               format, stance, topics, follow_up
          FROM chg
         WHERE existed
        ON CONFLICT (constituency_code, association_id, stakeholder_role, person_key, occurred_on)
        DO UPDATE SET event_id = EXCLUDED.event_id, reported_at = EXCLUDED.reported_at,
                      counts = EXCLUDED.counts, stakeholder_name = EXCLUDED.stakeholder_name,
                      party = EXCLUDED.party, format = EXCLUDED.format, stance = EXCLUDED.stance,
                      topics = EXCLUDED.topics, follow_up = EXCLUDED.follow_up,
                      updated_at = now()
    )
    INSERT INTO pg_temp.parley_delta
           (constituency_code, association_id, stakeholder_role, person_key, occurred_on,
            stance, topics, follow_up, stakeholder_name, reported_at, event_id, sign)
    SELECT constituency_code, association_id, stakeholder_role, person_key, occurred_on,
           old_stance, old_topics, old_follow_up, NULL, old_reported_at, old_event_id, -1
      FROM chg WHERE old_counts
    UNION ALL
    SELECT constituency_code, association_id, stakeholder_role, person_key, occurred_on,
           stance, topics, follow_up, stakeholder_name, reported_at, event_id, 1
      FROM chg WHERE type <> 'conversation.withdrawn';

    SELECT EXISTS (SELECT 1 FROM pg_temp.parley_delta d WHERE d.sign < 0) INTO removals;

    -- Steps 3 to 6 only join the batch's groups (small) to probes of the aggregate tables.
    -- PL/pgSQL keeps the plan it made for the session's first batch, when those tables may
    -- have been empty: so that no plan made then can read a whole table in every later
    -- batch, the joins here are nested loops only (for this transaction, until step 7).
    PERFORM set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true),
            set_config('enable_memoize', 'off', true);

    -- 3. Per (constituency, association), then per constituency, which counts its
    --    associations: a pair row made is one more, a pair whose count falls to 0 one
    --    fewer. Earliest and latest days widen with what now counts; where a removal took
    --    away the earliest (latest) day and nothing as early (late) came, the day is set
    --    NULL here and found again in step 6. (The parts of one statement all see the
    --    tables as they were before it.)
    WITH pair AS (
        SELECT constituency_code, association_id,
               sum(sign)::integer AS n,
               coalesce(sum(sign) FILTER (WHERE stakeholder_role = 'mp'), 0)::integer AS mp,
               min(occurred_on) FILTER (WHERE sign > 0) AS lo,
               max(occurred_on) FILTER (WHERE sign > 0) AS hi,
               min(occurred_on) FILTER (WHERE sign < 0) AS gone_lo,
               max(occurred_on) FILTER (WHERE sign < 0) AS gone_hi
          FROM pg_temp.parley_delta
         GROUP BY constituency_code, association_id
    ), p AS (
        SELECT pair.*, e.tid, e.conversations AS was, e.first_on, e.last_on
          FROM pair
          LEFT JOIN LATERAL (
               SELECT x.ctid AS tid, x.conversations, x.first_on, x.last_on
                 FROM parley.association_constituency x
                WHERE x.constituency_code = pair.constituency_code
                  AND x.association_id = pair.association_id
                OFFSET 0) e ON true
    ), up AS (
        UPDATE parley.association_constituency AS t
           SET conversations = t.conversations + p.n,
               mp_conversations = t.mp_conversations + p.mp,
               first_on = CASE WHEN p.gone_lo = t.first_on AND (p.lo IS NULL OR p.lo > t.first_on)
                               THEN NULL ELSE least(t.first_on, p.lo) END,
               last_on = CASE WHEN p.gone_hi = t.last_on AND (p.hi IS NULL OR p.hi < t.last_on)
                              THEN NULL ELSE greatest(t.last_on, p.hi) END
          FROM p
         WHERE t.ctid = p.tid
           -- an amendment within one pair changes nothing here: no write
           AND (p.n <> 0 OR p.mp <> 0 OR p.lo < p.first_on OR p.hi > p.last_on
                OR p.gone_lo = p.first_on OR p.gone_hi = p.last_on)
    ), made AS (
        -- (A pair with a removal exists: its conversation counted.)
        INSERT INTO parley.association_constituency
               (constituency_code, association_id, conversations, mp_conversations, first_on, last_on)
        SELECT constituency_code, association_id, n, mp, lo, hi
          FROM p
         WHERE tid IS NULL AND n > 0
    ), d AS (
        -- The pairs made and emptied come in as rows of sign 0 that count one association
        -- more or fewer (k).
        SELECT constituency_code,
               sum(sign) AS conversations,
               coalesce(sum(sign) FILTER (WHERE stakeholder_role = 'mp'), 0) AS mp,
               coalesce(sum(sign) FILTER (WHERE stakeholder_role = 'councillor'), 0) AS councillor,
               coalesce(sum(sign) FILTER (WHERE stakeholder_role = 'peer'), 0) AS peer,
               coalesce(sum(sign) FILTER (WHERE stakeholder_role = 'mayor'), 0) AS mayor,
               coalesce(sum(sign) FILTER (WHERE stakeholder_role = 'official'), 0) AS official,
               coalesce(sum(sign) FILTER (WHERE stakeholder_role = 'opinion_former'), 0) AS opinion_former,
               coalesce(sum(sign) FILTER (WHERE stance = -2), 0) AS opposed,
               coalesce(sum(sign) FILTER (WHERE stance = -1), 0) AS sceptical,
               coalesce(sum(sign) FILTER (WHERE stance = 0), 0) AS neutral,
               coalesce(sum(sign) FILTER (WHERE stance = 1), 0) AS supportive,
               coalesce(sum(sign) FILTER (WHERE stance = 2), 0) AS champion,
               coalesce(sum(sign) FILTER (WHERE stance IS NULL), 0) AS unknown,
               coalesce(sum(sign * stance), 0) AS stance_sum,
               coalesce(sum(sign) FILTER (WHERE follow_up), 0) AS follow_ups,
               min(occurred_on) FILTER (WHERE sign > 0) AS lo,
               max(occurred_on) FILTER (WHERE sign > 0) AS hi,
               min(occurred_on) FILTER (WHERE sign < 0) AS gone_lo,
               max(occurred_on) FILTER (WHERE sign < 0) AS gone_hi,
               sum(k)::integer AS associations
          FROM (SELECT constituency_code, sign, stakeholder_role, stance, follow_up, occurred_on,
                       0 AS k
                  FROM pg_temp.parley_delta
                UNION ALL
                SELECT constituency_code, 0, NULL, NULL, NULL, NULL, 1
                  FROM p WHERE tid IS NULL AND n > 0
                UNION ALL
                SELECT constituency_code, 0, NULL, NULL, NULL, NULL, -1
                  FROM p WHERE tid IS NOT NULL AND was + n = 0) x
         GROUP BY constituency_code
    ), dc AS (
        SELECT d.*, e.tid
          FROM d
          LEFT JOIN LATERAL (
               SELECT a.ctid AS tid FROM parley.constituency_agg a
                WHERE a.constituency_code = d.constituency_code OFFSET 0) e ON true
    ), seeded AS (
        -- The collector seeds a row per constituency; one missing (deleted by hand) is made
        -- here rather than have its deltas dropped.
        INSERT INTO parley.constituency_agg
               (constituency_code, conversations, mp_conversations, councillor_conversations,
                peer_conversations, mayor_conversations, official_conversations,
                opinion_former_conversations, stance_opposed, stance_sceptical, stance_neutral,
                stance_supportive, stance_champion, stance_unknown, stance_sum, follow_ups,
                associations, first_on, last_on)
        SELECT constituency_code, conversations, mp, councillor, peer, mayor, official,
               opinion_former, opposed, sceptical, neutral, supportive, champion, unknown,
               stance_sum, follow_ups, associations, lo, hi
          FROM dc WHERE tid IS NULL
    )
    UPDATE parley.constituency_agg AS a SET
           conversations = a.conversations + d.conversations,
           mp_conversations = a.mp_conversations + d.mp,
           councillor_conversations = a.councillor_conversations + d.councillor,
           peer_conversations = a.peer_conversations + d.peer,
           mayor_conversations = a.mayor_conversations + d.mayor,
           official_conversations = a.official_conversations + d.official,
           opinion_former_conversations = a.opinion_former_conversations + d.opinion_former,
           stance_opposed = a.stance_opposed + d.opposed,
           stance_sceptical = a.stance_sceptical + d.sceptical,
           stance_neutral = a.stance_neutral + d.neutral,
           stance_supportive = a.stance_supportive + d.supportive,
           stance_champion = a.stance_champion + d.champion,
           stance_unknown = a.stance_unknown + d.unknown,
           stance_sum = a.stance_sum + d.stance_sum,
           follow_ups = a.follow_ups + d.follow_ups,
           associations = a.associations + d.associations,
           first_on = CASE WHEN d.gone_lo = a.first_on AND (d.lo IS NULL OR d.lo > a.first_on)
                           THEN NULL ELSE least(a.first_on, d.lo) END,
           last_on = CASE WHEN d.gone_hi = a.last_on AND (d.hi IS NULL OR d.hi < a.last_on)
                          THEN NULL ELSE greatest(a.last_on, d.hi) END
      FROM dc d
     WHERE a.ctid = d.tid;

    -- 4. Topics per constituency, and conversations per day.
    WITH t AS (
        SELECT constituency_code, topic, sum(sign)::integer AS n
          FROM pg_temp.parley_delta, unnest(topics) AS topic
         GROUP BY constituency_code, topic
        HAVING sum(sign) <> 0
    ), l AS (
        SELECT t.*, e.tid
          FROM t
          LEFT JOIN LATERAL (
               SELECT x.ctid AS tid FROM parley.constituency_topic x
                WHERE x.constituency_code = t.constituency_code AND x.topic = t.topic OFFSET 0) e
            ON true
    ), up AS (
        UPDATE parley.constituency_topic AS x SET conversations = x.conversations + l.n
          FROM l
         WHERE x.ctid = l.tid
    )
    INSERT INTO parley.constituency_topic (constituency_code, topic, conversations)
    SELECT constituency_code, topic, n FROM l WHERE tid IS NULL;

    WITH t AS (
        SELECT occurred_on, sum(sign)::integer AS n
          FROM pg_temp.parley_delta
         GROUP BY occurred_on
        HAVING sum(sign) <> 0
    ), l AS (
        SELECT t.*, e.tid
          FROM t
          LEFT JOIN LATERAL (
               SELECT x.ctid AS tid FROM parley.daily_conversations x
                WHERE x.occurred_on = t.occurred_on OFFSET 0) e ON true
    ), up AS (
        UPDATE parley.daily_conversations AS x SET conversations = x.conversations + l.n
          FROM l
         WHERE x.ctid = l.tid
    )
    INSERT INTO parley.daily_conversations (occurred_on, conversations)
    SELECT occurred_on, n FROM l WHERE tid IS NULL;

    -- 5. Stakeholders. One whose only change is one conversation that now counts (the
    --    common case: a new conversation), or one conversation of theirs replaced by a
    --    later state (an amendment), is merged with its row here: the replaced state's
    --    stance, if it was one of the last two, gives way to the new one, which is later.
    --    Any other (a withdrawal, several conversations at once, or an amendment that takes
    --    away one of the last two recorded stances) is noted in pg_temp.parley_slow and
    --    brought up to date in step 7.
    WITH g AS (
        -- For a group of one row, max() is that row's value; an amendment is one -1 and one
        -- +1 row of the same conversation, told apart by FILTER.
        SELECT constituency_code, stakeholder_role, person_key,
               CASE WHEN count(*) = 1 AND min(sign) > 0 THEN 'add'
                    WHEN count(*) = 2 AND min(sign) < 0 AND max(sign) > 0
                         AND min(association_id) = max(association_id)
                         AND min(occurred_on) = max(occurred_on) THEN 'amend'
               END AS kind,
               max(occurred_on) AS occurred_on,
               max(reported_at) FILTER (WHERE sign > 0) AS reported_at,
               max(event_id::text) FILTER (WHERE sign > 0) AS event_id,
               max(stakeholder_name) FILTER (WHERE sign > 0) AS name,
               max(association_id) AS association_id,
               max(stance) FILTER (WHERE sign > 0) AS stance,
               coalesce(bool_or(follow_up) FILTER (WHERE sign > 0), false)::integer AS follow_up,
               max(reported_at) FILTER (WHERE sign < 0) AS old_reported_at,
               max(event_id::text) FILTER (WHERE sign < 0) AS old_event_id,
               max(stance) FILTER (WHERE sign < 0) AS old_stance,
               coalesce(bool_or(follow_up) FILTER (WHERE sign < 0), false)::integer AS old_follow_up
          FROM pg_temp.parley_delta
         GROUP BY constituency_code, stakeholder_role, person_key
    ), one AS (
        SELECT g.constituency_code, g.stakeholder_role, g.person_key, g.kind, g.occurred_on,
               g.reported_at, g.event_id::uuid AS event_id, g.name, g.association_id, g.stance,
               g.follow_up, g.old_follow_up, e.tid,
               CASE WHEN g.stance IS NOT NULL
                    THEN ROW(g.occurred_on, g.reported_at, g.event_id::uuid, g.stance)::parley.stance_mark
               END AS mark,
               CASE WHEN g.old_stance IS NOT NULL
                    THEN ROW(g.occurred_on, g.old_reported_at, g.old_event_id::uuid, g.old_stance)::parley.stance_mark
               END AS old_mark,
               e.latest, e.previous
          FROM g
          LEFT JOIN LATERAL (
               SELECT x.ctid AS tid, x.latest, x.previous FROM parley.stakeholder_agg x
                WHERE x.constituency_code = g.constituency_code
                  AND x.stakeholder_role = g.stakeholder_role AND x.person_key = g.person_key
                OFFSET 0) e ON true
         WHERE g.kind IS NOT NULL
    ), fast AS (
        SELECT * FROM one
         WHERE NOT (old_mark IS NOT NULL AND mark IS NULL
                    AND (old_mark = latest OR old_mark = previous))
    ), merged AS (
        -- The name is taken when this conversation is later than the one it came from; the
        -- association is added when it has not spoken to the stakeholder before. (An
        -- amendment keeps the day and the association, so only name, stances and open
        -- follow-ups can change.)
        UPDATE parley.stakeholder_agg AS s SET
               conversations = s.conversations + CASE WHEN o.kind = 'add' THEN 1 ELSE 0 END,
               name = CASE WHEN s.name_event_id IS NULL
                                OR (o.occurred_on, o.reported_at, o.event_id)
                                   > (s.last_on, s.name_reported_at, s.name_event_id)
                           THEN o.name ELSE s.name END,
               name_reported_at = CASE WHEN s.name_event_id IS NULL
                                            OR (o.occurred_on, o.reported_at, o.event_id)
                                               > (s.last_on, s.name_reported_at, s.name_event_id)
                                       THEN o.reported_at ELSE s.name_reported_at END,
               name_event_id = CASE WHEN s.name_event_id IS NULL
                                         OR (o.occurred_on, o.reported_at, o.event_id)
                                            > (s.last_on, s.name_reported_at, s.name_event_id)
                                    THEN o.event_id ELSE s.name_event_id END,
               association_ids = CASE WHEN o.association_id = ANY (s.association_ids)
                                      THEN s.association_ids
                                      ELSE ARRAY(SELECT x FROM unnest(s.association_ids || o.association_id) x
                                                  ORDER BY x) END,
               associations = CASE WHEN o.association_id = ANY (s.association_ids)
                                   THEN s.associations ELSE s.associations + 1 END,
               -- the replaced stance's place (if it had one of the two) goes to the new,
               -- later one; otherwise the new stance is merged in
               latest = CASE WHEN o.old_mark = s.latest THEN o.mark
                             WHEN o.old_mark = s.previous
                             THEN CASE WHEN o.mark > s.latest THEN o.mark ELSE s.latest END
                             WHEN o.mark IS NULL THEN s.latest
                             WHEN s.latest IS NULL OR o.mark > s.latest THEN o.mark
                             ELSE s.latest END,
               previous = CASE WHEN o.old_mark = s.latest THEN s.previous
                               WHEN o.old_mark = s.previous
                               THEN CASE WHEN o.mark > s.latest THEN s.latest ELSE o.mark END
                               WHEN o.mark IS NULL THEN s.previous
                               WHEN s.latest IS NULL OR o.mark > s.latest THEN s.latest
                               WHEN s.previous IS NULL OR o.mark > s.previous THEN o.mark
                               ELSE s.previous END,
               first_on = least(s.first_on, o.occurred_on),
               last_on = greatest(s.last_on, o.occurred_on),
               open_follow_ups = CASE WHEN s.last_on IS NULL OR o.occurred_on > s.last_on
                                      THEN o.follow_up
                                      WHEN o.occurred_on = s.last_on
                                      THEN s.open_follow_ups + o.follow_up - o.old_follow_up
                                      ELSE s.open_follow_ups END
          FROM fast o
         WHERE s.ctid = o.tid
    ), born AS (
        INSERT INTO parley.stakeholder_agg
               (constituency_code, stakeholder_role, person_key, name, name_reported_at,
                name_event_id, conversations, associations, association_ids, latest, previous,
                first_on, last_on, open_follow_ups)
        SELECT o.constituency_code, o.stakeholder_role, o.person_key, o.name, o.reported_at,
               o.event_id, 1, 1, ARRAY[o.association_id], o.mark, NULL,
               o.occurred_on, o.occurred_on, o.follow_up
          FROM fast o
         WHERE o.tid IS NULL
    )
    INSERT INTO pg_temp.parley_slow (constituency_code, stakeholder_role, person_key)
    SELECT constituency_code, stakeholder_role, person_key FROM g WHERE kind IS NULL
    UNION ALL
    SELECT constituency_code, stakeholder_role, person_key FROM one
     WHERE old_mark IS NOT NULL AND mark IS NULL AND (old_mark = latest OR old_mark = previous);

    -- 6. What only a removal needs: the earliest and latest days set NULL in step 3 found
    --    again (a pair's from its conversations, by the primary key's prefix; a
    --    constituency's from its pairs), and the rows whose count fell to 0 deleted. The
    --    rows are found by probes (LATERAL) and written by ctid.
    IF removals THEN
        UPDATE parley.association_constituency AS t
           SET first_on = coalesce(t.first_on,
                   (SELECT min(c.occurred_on) FROM parley.conversation c
                     WHERE c.constituency_code = t.constituency_code
                       AND c.association_id = t.association_id AND c.counts)),
               last_on = coalesce(t.last_on,
                   (SELECT max(c.occurred_on) FROM parley.conversation c
                     WHERE c.constituency_code = t.constituency_code
                       AND c.association_id = t.association_id AND c.counts))
         WHERE t.ctid = ANY (ARRAY(
               SELECT e.tid
                 FROM (SELECT DISTINCT constituency_code, association_id FROM pg_temp.parley_delta
                        WHERE sign < 0) r
                CROSS JOIN LATERAL (
                      SELECT x.ctid AS tid FROM parley.association_constituency x
                       WHERE x.constituency_code = r.constituency_code
                         AND x.association_id = r.association_id AND x.conversations > 0
                         AND (x.first_on IS NULL OR x.last_on IS NULL) OFFSET 0) e));
        DELETE FROM parley.association_constituency AS t
         WHERE t.ctid = ANY (ARRAY(
               SELECT e.tid
                 FROM (SELECT DISTINCT constituency_code, association_id FROM pg_temp.parley_delta
                        WHERE sign < 0) r
                CROSS JOIN LATERAL (
                      SELECT x.ctid AS tid FROM parley.association_constituency x
                       WHERE x.constituency_code = r.constituency_code
                         AND x.association_id = r.association_id AND x.conversations = 0
                       OFFSET 0) e));
        UPDATE parley.constituency_agg AS a
           SET first_on = coalesce(a.first_on,
                   (SELECT min(p.first_on) FROM parley.association_constituency p
                     WHERE p.constituency_code = a.constituency_code)),
               last_on = coalesce(a.last_on,
                   (SELECT max(p.last_on) FROM parley.association_constituency p
                     WHERE p.constituency_code = a.constituency_code))
         WHERE a.ctid = ANY (ARRAY(
               SELECT e.tid
                 FROM (SELECT DISTINCT constituency_code FROM pg_temp.parley_delta WHERE sign < 0) r
                CROSS JOIN LATERAL (
                      SELECT x.ctid AS tid FROM parley.constituency_agg x
                       WHERE x.constituency_code = r.constituency_code
                         AND (x.first_on IS NULL OR x.last_on IS NULL) OFFSET 0) e));
        DELETE FROM parley.constituency_topic AS t
         WHERE t.ctid = ANY (ARRAY(
               SELECT e.tid
                 FROM (SELECT DISTINCT constituency_code, topic
                         FROM pg_temp.parley_delta, unnest(topics) AS topic WHERE sign < 0) r
                CROSS JOIN LATERAL (
                      SELECT x.ctid AS tid FROM parley.constituency_topic x
                       WHERE x.constituency_code = r.constituency_code AND x.topic = r.topic
                         AND x.conversations = 0 OFFSET 0) e));
        DELETE FROM parley.daily_conversations AS t
         WHERE t.ctid = ANY (ARRAY(
               SELECT e.tid
                 FROM (SELECT DISTINCT occurred_on FROM pg_temp.parley_delta WHERE sign < 0) r
                CROSS JOIN LATERAL (
                      SELECT x.ctid AS tid FROM parley.daily_conversations x
                       WHERE x.occurred_on = r.occurred_on AND x.conversations = 0 OFFSET 0) e));
    END IF;

    PERFORM set_config('enable_hashjoin', hashjoin, true), set_config('enable_mergejoin', mergejoin, true),
            set_config('enable_memoize', memoize, true);

    -- 7. The stakeholders step 5 could not merge, each from its stored row, this batch's
    --    changes (pg_temp.parley_delta) and a few probes of conversation_stakeholder, whose
    --    order (day, then reported_at and event_id, among the conversations that count) gives
    --    the latest conversation, the first day and the last two stances by reading one or
    --    two entries: the cost does not grow with how many conversations the stakeholder
    --    has. The count changes by the delta; an association goes when a probe finds no
    --    conversation of it with the stakeholder that still counts; the last two stances are
    --    read again only if a removed one was among them.
    IF EXISTS (SELECT 1 FROM pg_temp.parley_slow) THEN
        WITH d AS (
            SELECT d.constituency_code, d.stakeholder_role, d.person_key,
                   sum(d.sign)::integer AS net,
                   array_agg(DISTINCT d.association_id) FILTER (WHERE d.sign > 0) AS added,
                   array_agg(DISTINCT d.association_id) FILTER (WHERE d.sign < 0) AS removed,
                   array_agg(ROW(d.occurred_on, d.reported_at, d.event_id, d.stance)::parley.stance_mark)
                       FILTER (WHERE d.sign < 0 AND d.stance IS NOT NULL) AS gone,
                   array_agg(ROW(d.occurred_on, d.reported_at, d.event_id, d.stance)::parley.stance_mark)
                       FILTER (WHERE d.sign > 0 AND d.stance IS NOT NULL) AS came
              FROM pg_temp.parley_delta d
              JOIN (SELECT DISTINCT * FROM pg_temp.parley_slow) k
                ON k.constituency_code = d.constituency_code
               AND k.stakeholder_role = d.stakeholder_role AND k.person_key = d.person_key
             GROUP BY d.constituency_code, d.stakeholder_role, d.person_key
        )
        INSERT INTO parley.stakeholder_agg AS s
               (constituency_code, stakeholder_role, person_key, name, name_reported_at,
                name_event_id, conversations, associations, association_ids, latest, previous,
                first_on, last_on, open_follow_ups)
        SELECT d.constituency_code, d.stakeholder_role, d.person_key, t.stakeholder_name,
               t.reported_at, t.event_id, coalesce(e.conversations, 0) + d.net,
               coalesce(cardinality(a.ids), 0), a.ids, m.marks[1], m.marks[2], f.occurred_on,
               t.occurred_on, coalesce(o.n, 0)
          FROM d
          LEFT JOIN LATERAL (
               SELECT x.conversations, x.association_ids, x.latest, x.previous
                 FROM parley.stakeholder_agg x
                WHERE x.constituency_code = d.constituency_code
                  AND x.stakeholder_role = d.stakeholder_role AND x.person_key = d.person_key
                OFFSET 0) e ON true
          LEFT JOIN LATERAL (
               SELECT c.occurred_on, c.reported_at, c.event_id, c.stakeholder_name
                 FROM parley.conversation c
                WHERE c.constituency_code = d.constituency_code
                  AND c.stakeholder_role = d.stakeholder_role AND c.person_key = d.person_key
                  AND c.counts
                ORDER BY c.occurred_on DESC, c.reported_at DESC, c.event_id DESC
                LIMIT 1) t ON true
          LEFT JOIN LATERAL (
               SELECT c.occurred_on
                 FROM parley.conversation c
                WHERE c.constituency_code = d.constituency_code
                  AND c.stakeholder_role = d.stakeholder_role AND c.person_key = d.person_key
                  AND c.counts
                ORDER BY c.occurred_on
                LIMIT 1) f ON true
          LEFT JOIN LATERAL (
               SELECT count(*)::integer AS n
                 FROM parley.conversation c
                WHERE c.constituency_code = d.constituency_code
                  AND c.stakeholder_role = d.stakeholder_role AND c.person_key = d.person_key
                  AND c.counts AND c.occurred_on = t.occurred_on AND c.follow_up) o ON true
         CROSS JOIN LATERAL (
               SELECT CASE
                      WHEN d.gone && ARRAY[e.latest, e.previous]
                      THEN (SELECT array_agg(r.mark ORDER BY r.mark DESC)
                              FROM (SELECT ROW(c.occurred_on, c.reported_at, c.event_id,
                                               c.stance)::parley.stance_mark AS mark
                                      FROM parley.conversation c
                                     WHERE c.constituency_code = d.constituency_code
                                       AND c.stakeholder_role = d.stakeholder_role
                                       AND c.person_key = d.person_key AND c.counts
                                       AND c.stance IS NOT NULL
                                     ORDER BY c.occurred_on DESC, c.reported_at DESC, c.event_id DESC
                                     LIMIT 2) r)
                      ELSE (SELECT array_agg(u.mark ORDER BY u.mark DESC)
                              FROM (SELECT DISTINCT x AS mark
                                      FROM unnest(ARRAY[e.latest, e.previous] || d.came) x
                                     WHERE x IS NOT NULL) u)
                      END AS marks) m
         CROSS JOIN LATERAL (
               SELECT array_agg(u.id ORDER BY u.id) AS ids
                 FROM (SELECT DISTINCT x AS id
                         FROM unnest(coalesce(e.association_ids, '{}') || coalesce(d.added, '{}')) x) u
                WHERE NOT u.id = ANY (coalesce(d.removed, '{}'))
                   -- by the primary key's prefix (constituency, association, role, person),
                   -- never by reading every conversation of the stakeholder: coalesce() keeps
                   -- the planner off conversation_stakeholder (partial on counts), OFFSET 0
                   -- from turning the EXISTS into a hashed list of their associations
                   OR EXISTS (SELECT 1 FROM parley.conversation c
                               WHERE c.constituency_code = d.constituency_code
                                 AND c.association_id = u.id
                                 AND c.stakeholder_role = d.stakeholder_role
                                 AND c.person_key = d.person_key
                                 AND coalesce(c.counts, false)
                              OFFSET 0)) a
        ON CONFLICT (constituency_code, stakeholder_role, person_key) DO UPDATE
           SET name = coalesce(EXCLUDED.name, s.name), name_reported_at = EXCLUDED.name_reported_at,
               name_event_id = EXCLUDED.name_event_id, conversations = EXCLUDED.conversations,
               associations = EXCLUDED.associations, association_ids = EXCLUDED.association_ids,
               latest = EXCLUDED.latest, previous = EXCLUDED.previous,
               first_on = EXCLUDED.first_on, last_on = EXCLUDED.last_on,
               open_follow_ups = EXCLUDED.open_follow_ups;
    END IF;

    -- 8. The outcomes: accepted for what step 1 stored; any other occurrence is a duplicate
    --    when its content (every normalised field) equals the stored event's, else a
    --    conflict: the first one stays.
    RETURN QUERY
    SELECT a.ord, 'accepted'::text, NULL::text FROM pg_temp.parley_accepted a;
    RETURN QUERY
    SELECT i.ord,
           CASE WHEN same THEN 'duplicate' ELSE 'rejected' END,
           CASE WHEN NOT same
                THEN 'conflict: event_id ' || i.event_id || ' already stored with different content'
           END
      FROM pg_temp.parley_incoming i
      CROSS JOIN LATERAL (SELECT x.* FROM parley.event x WHERE x.event_id = i.event_id OFFSET 0) e
      CROSS JOIN LATERAL (
          SELECT (i.type, i.reported_at, i.occurred_on, i.association_id, i.association_name,
                  i.constituency_code, i.stakeholder_role, i.stakeholder_name, i.party, i.format,
                  i.stance, i.topics, i.follow_up, i.notes)
                 IS NOT DISTINCT FROM
                 (e.type, e.reported_at, e.occurred_on, e.association_id, e.association_name,
                  e.constituency_code, e.stakeholder_role, e.stakeholder_name, e.party, e.format,
                  e.stance, e.topics, e.follow_up, e.notes) AS same) cmp
     WHERE NOT EXISTS (SELECT 1 FROM pg_temp.parley_accepted a WHERE a.ord = i.ord);
END
$fn$;
