-- Parley core schema: every accepted event, the current state of each conversation, the
-- aggregate tables the collector keeps up to date by deltas, and the four views the
-- analytics team reads (docs/COLLECTOR.md describes every table and column).
--
-- Applied once by the collector (collector/schema.c) inside a transaction, under an
-- advisory lock, and recorded in parley.schema_migrations. Never edit this file once
-- released: add 0002_…, 0003_… instead.

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
-- a withdrawal's attributes are ignored, not validated.
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
    raw               jsonb NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now()
);

-- The current state of each conversation: the accepted event with the greatest
-- (reported_at, event_id) among those with this key. counts is false when that event is a
-- withdrawal; the attribute columns are then NULL.
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
);

-- Aggregates over the conversations that count, kept by signed deltas in the transaction
-- that stores the events (parley.ingest_batch). The per-key tables below hold no row whose
-- count is 0. constituency_agg has a row for every constituency (seeded with them), so the
-- deltas are applied by UPDATE and its CHECK guards the invariant that no count goes
-- below zero. (An upsert's CHECK would test the proposed row, i.e. the bare delta.)
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
);

CREATE TABLE parley.constituency_association (
    constituency_code text NOT NULL,
    association_id    text NOT NULL,
    conversations     integer NOT NULL,
    PRIMARY KEY (constituency_code, association_id)
);

CREATE TABLE parley.constituency_topic (
    constituency_code text NOT NULL,
    topic             text NOT NULL,
    conversations     integer NOT NULL,
    PRIMARY KEY (constituency_code, topic)
);

-- first_on and last_on of a constituency, found again by two probes of this index when a
-- conversation there stops counting (or changes): the earliest and latest day that counts.
CREATE INDEX conversation_counting_day ON parley.conversation (constituency_code, occurred_on)
    WHERE counts;

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
        raw               jsonb NOT NULL
    ) ON COMMIT DELETE ROWS;
    -- The positions of the events this batch stored (each event_id's first occurrence, when
    -- not stored before).
    CREATE TEMP TABLE parley_accepted (ord integer NOT NULL) ON COMMIT DELETE ROWS;
    -- Signed contributions: -1 for a conversation's old state that counted, +1 for its new
    -- state that counts.
    CREATE TEMP TABLE parley_delta (
        constituency_code text NOT NULL,
        association_id    text NOT NULL,
        stakeholder_role  text NOT NULL,
        occurred_on       date NOT NULL,
        stance            smallint,
        topics            text[],
        follow_up         boolean,
        sign              integer NOT NULL
    ) ON COMMIT DELETE ROWS;
END
$fn$;

-- Stores the batch staged in pg_temp.parley_incoming and brings the conversations and the
-- aggregates up to date, set-based: a handful of statements whatever the batch's size.
-- Returns one row per staged event: accepted, duplicate, or rejected with the reason.
--
-- Exactness does not depend on arrival order: a conversation's state is the event with the
-- greatest (reported_at, event_id) among all its accepted events, so each batch only has
-- to compare its own best candidate with the stored state; the aggregates change by the
-- difference between the old and the new state's contributions.
CREATE FUNCTION parley.ingest_batch ()
RETURNS TABLE (ord integer, outcome text, reason text)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
    -- Writers take turns (two collectors on one database stay exact); the lock lasts until
    -- the transaction ends, so the next writer sees everything this one stored.
    PERFORM pg_advisory_xact_lock(8097879414873325569);
    DELETE FROM pg_temp.parley_delta;
    DELETE FROM pg_temp.parley_accepted;

    -- 1. The new events: the first occurrence in the batch of each event_id not stored
    --    yet. The primary key's own probe tells which those are (ON CONFLICT), so the
    --    common case costs one index probe per event; the other occurrences are compared
    --    with the stored event in step 4.
    WITH lead AS (
        SELECT DISTINCT ON (event_id) *
          FROM pg_temp.parley_incoming
         ORDER BY event_id, ord
    ), ins AS (
        INSERT INTO parley.event (event_id, type, reported_at, occurred_on, association_id,
                                  association_name, constituency_code, stakeholder_role,
                                  stakeholder_name, person_key, party, format, stance, topics,
                                  follow_up, notes, raw)
        SELECT event_id, type, reported_at, occurred_on, association_id, association_name,
               constituency_code, stakeholder_role, stakeholder_name, person_key, party, format,
               stance, topics, follow_up, notes, raw
          FROM lead
        ON CONFLICT (event_id) DO NOTHING
        RETURNING event_id
    )
    INSERT INTO pg_temp.parley_accepted (ord)
    SELECT lead.ord FROM lead JOIN ins ON ins.event_id = lead.event_id;

    -- 2. Per conversation the batch touches: its best new event, if it beats the stored
    --    state, becomes the state; the old state's contribution goes, the new one's comes.
    WITH cand AS (
        SELECT DISTINCT ON (i.constituency_code, i.association_id, i.stakeholder_role, i.person_key,
                            i.occurred_on) i.*
          FROM pg_temp.parley_incoming i
          JOIN pg_temp.parley_accepted a ON a.ord = i.ord
         ORDER BY i.constituency_code, i.association_id, i.stakeholder_role, i.person_key,
                  i.occurred_on, i.reported_at DESC, i.event_id DESC
    ), chg AS (
        -- LATERAL makes this one primary-key probe per candidate whatever the statistics say:
        -- a hash join would read the whole table every batch, and the store must stay as
        -- fast at tens of millions of conversations as at none.
        SELECT n.*,
               s.counts AS old_counts, s.stance AS old_stance, s.topics AS old_topics,
               s.follow_up AS old_follow_up
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
    ), up AS (
        INSERT INTO parley.conversation AS s
               (constituency_code, association_id, stakeholder_role, person_key, occurred_on,
                event_id, reported_at, counts, stakeholder_name, party, format, stance, topics,
                follow_up)
        SELECT constituency_code, association_id, stakeholder_role, person_key, occurred_on,
               event_id, reported_at, type <> 'conversation.withdrawn', stakeholder_name, party,
               format, stance, topics, follow_up
          FROM chg
        ON CONFLICT (constituency_code, association_id, stakeholder_role, person_key, occurred_on)
        DO UPDATE SET event_id = EXCLUDED.event_id, reported_at = EXCLUDED.reported_at,
                      counts = EXCLUDED.counts, stakeholder_name = EXCLUDED.stakeholder_name,
                      party = EXCLUDED.party, format = EXCLUDED.format, stance = EXCLUDED.stance,
                      topics = EXCLUDED.topics, follow_up = EXCLUDED.follow_up,
                      updated_at = now()
    )
    INSERT INTO pg_temp.parley_delta
    SELECT constituency_code, association_id, stakeholder_role, occurred_on,
           old_stance, old_topics, old_follow_up, -1
      FROM chg WHERE old_counts
    UNION ALL
    SELECT constituency_code, association_id, stakeholder_role, occurred_on,
           stance, topics, follow_up, 1
      FROM chg WHERE type <> 'conversation.withdrawn';

    -- 3. The aggregates, by grouped deltas. (The schema step seeds a row per constituency;
    --    a missing one is made here rather than have its delta silently dropped.)
    INSERT INTO parley.constituency_agg (constituency_code)
    SELECT DISTINCT d.constituency_code FROM pg_temp.parley_delta d
     WHERE NOT EXISTS (SELECT 1 FROM parley.constituency_agg a
                        WHERE a.constituency_code = d.constituency_code)
    ON CONFLICT (constituency_code) DO NOTHING;

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
           first_on = least(a.first_on, d.first_added),
           last_on = greatest(a.last_on, d.last_added)
      FROM (SELECT constituency_code,
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
                   min(occurred_on) FILTER (WHERE sign > 0) AS first_added,
                   max(occurred_on) FILTER (WHERE sign > 0) AS last_added
              FROM pg_temp.parley_delta
             GROUP BY constituency_code) d
     WHERE a.constituency_code = d.constituency_code;

    -- Distinct associations per constituency change when a (constituency, association)
    -- count goes from 0 to more, or back to 0.
    WITH d AS (
        SELECT constituency_code, association_id, sum(sign)::integer AS n
          FROM pg_temp.parley_delta
         GROUP BY constituency_code, association_id
        HAVING sum(sign) <> 0
    ), up AS (
        INSERT INTO parley.constituency_association AS t (constituency_code, association_id, conversations)
        SELECT constituency_code, association_id, n FROM d
        ON CONFLICT (constituency_code, association_id)
        DO UPDATE SET conversations = t.conversations + EXCLUDED.conversations
        RETURNING t.constituency_code, t.association_id, t.conversations
    ), tr AS (
        SELECT up.constituency_code,
               sum(CASE WHEN up.conversations > 0 AND up.conversations - d.n = 0 THEN 1
                        WHEN up.conversations = 0 AND up.conversations - d.n > 0 THEN -1
                        ELSE 0 END) AS change
          FROM up
          JOIN d ON d.constituency_code = up.constituency_code AND d.association_id = up.association_id
         GROUP BY up.constituency_code
    )
    UPDATE parley.constituency_agg a
       SET associations = a.associations + tr.change
      FROM tr
     WHERE a.constituency_code = tr.constituency_code AND tr.change <> 0;

    DELETE FROM parley.constituency_association t
     USING (SELECT constituency_code, association_id FROM pg_temp.parley_delta
             GROUP BY constituency_code, association_id HAVING sum(sign) < 0) d
     WHERE t.constituency_code = d.constituency_code AND t.association_id = d.association_id
       AND t.conversations = 0;

    INSERT INTO parley.constituency_topic AS t (constituency_code, topic, conversations)
    SELECT constituency_code, topic, sum(sign)
      FROM pg_temp.parley_delta, unnest(topics) AS topic
     GROUP BY constituency_code, topic
    HAVING sum(sign) <> 0
    ON CONFLICT (constituency_code, topic)
    DO UPDATE SET conversations = t.conversations + EXCLUDED.conversations;

    DELETE FROM parley.constituency_topic t
     USING (SELECT constituency_code, topic FROM pg_temp.parley_delta, unnest(topics) AS topic
             GROUP BY constituency_code, topic HAVING sum(sign) < 0) d
     WHERE t.constituency_code = d.constituency_code AND t.topic = d.topic AND t.conversations = 0;

    -- first_on and last_on only move inwards when a conversation stops counting (or is
    -- replaced): then two probes of conversation_counting_day per such constituency.
    UPDATE parley.constituency_agg a
       SET first_on = (SELECT min(c.occurred_on) FROM parley.conversation c
                        WHERE c.constituency_code = a.constituency_code AND c.counts),
           last_on = (SELECT max(c.occurred_on) FROM parley.conversation c
                       WHERE c.constituency_code = a.constituency_code AND c.counts)
     WHERE a.constituency_code IN (SELECT constituency_code FROM pg_temp.parley_delta WHERE sign < 0);

    -- 4. The outcomes: accepted for what step 1 stored; any other occurrence is a duplicate
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
