-- Parley analytics (issue 4): the target's deadline, the sitting MPs reference list, the
-- aggregate tables behind the analytics views, the views themselves, and the two roles.
-- docs/ANALYTICS.md documents every view and column.
--
-- The aggregates here are kept up to date by statement-level triggers on the collector's
-- tables (parley.conversation and parley.event), so they change in the same transaction as
-- the conversations they summarise, set-based, once per statement of parley.ingest_batch,
-- and parley.ingest_batch itself needs no change. Never edit this file once released.

-- ---------------------------------------------------------------------------------------
-- Target and deadline
-- ---------------------------------------------------------------------------------------

-- NULL: the end of the current year (31 December), as the campaign's target is "1,000
-- conversations by the end of the year".
ALTER TABLE parley.settings ADD COLUMN deadline date;

CREATE VIEW parley.campaign_target AS
SELECT s.target,
       coalesce(s.deadline, make_date(extract(year FROM current_date)::integer, 12, 31)) AS deadline
  FROM parley.settings s;

-- `parley target 1000 --by 2026-12-31`. A NULL deadline keeps the one set before.
CREATE FUNCTION parley.set_target (p_target integer, p_deadline date)
RETURNS void LANGUAGE sql AS $fn$
    UPDATE parley.settings SET target = p_target, deadline = coalesce(p_deadline, deadline);
$fn$;

-- ---------------------------------------------------------------------------------------
-- Sitting MPs (common/data/mps.csv; refreshed with `parley mps load FILE`)
-- ---------------------------------------------------------------------------------------

-- Loaded by the C code (collector/mps.c), which validates each row and computes person_key
-- with the same folding as the events' stakeholder names, so the two compare exactly.
CREATE TABLE parley.mp (
    constituency_code text PRIMARY KEY REFERENCES parley.constituency (code),
    name              text NOT NULL,
    party             text,
    since             date,
    person_key        text NOT NULL CHECK (person_key <> ''),
    loaded_at         timestamptz NOT NULL DEFAULT now()
);

CREATE VIEW parley.sitting_mps AS
SELECT m.constituency_code,
       c.name   AS constituency_name,
       c.region,
       m.name   AS mp_name,
       m.party,
       m.since,
       m.person_key
  FROM parley.mp m
  JOIN parley.constituency c ON c.code = m.constituency_code;

-- ---------------------------------------------------------------------------------------
-- Aggregates for the analytics views
-- ---------------------------------------------------------------------------------------
-- The counters change by signed deltas through INSERT … ON CONFLICT DO UPDATE, so they
-- carry no CHECK (>= 0): PostgreSQL would test it against the bare delta of the proposed
-- row. Rows whose count returns to 0 are deleted.

-- Conversations that count, per day they took place (weekly_progress).
CREATE TABLE parley.daily_conversations (
    occurred_on   date PRIMARY KEY,
    conversations integer NOT NULL
);

-- Per association and constituency (association_summary: conversations, constituencies
-- reached, MPs spoken to). No row has conversations = 0.
CREATE TABLE parley.association_constituency (
    association_id    text NOT NULL,
    constituency_code text NOT NULL,
    conversations     integer NOT NULL,
    mp_conversations  integer NOT NULL,
    PRIMARY KEY (association_id, constituency_code)
);

-- Per association and day: first_on and last_on by two index probes.
CREATE TABLE parley.association_day (
    association_id text NOT NULL,
    occurred_on    date NOT NULL,
    conversations  integer NOT NULL,
    PRIMARY KEY (association_id, occurred_on)
);

-- The latest association.name given for each association id (by reported_at, event_id),
-- over all accepted events.
CREATE TABLE parley.association_name (
    association_id text PRIMARY KEY,
    name           text NOT NULL,
    reported_at    timestamptz NOT NULL,
    event_id       uuid NOT NULL
);

-- One row per stakeholder (constituency, role, person key) ever spoken to, recomputed from
-- parley.conversation for the stakeholders a statement touches (a few rows each: the index
-- below finds them in "latest first" order). A stakeholder whose conversations were all
-- withdrawn keeps a row with conversations = 0, which the views leave out: an upsert whose
-- only index is the primary key updates in place (HOT), where delete-and-insert would
-- rewrite every index entry at every batch.
CREATE TABLE parley.stakeholder_agg (
    constituency_code text NOT NULL,
    stakeholder_role  text NOT NULL,
    person_key        text NOT NULL,
    name              text,
    conversations     integer NOT NULL,
    associations      integer NOT NULL,
    association_ids   text,
    latest_stance     smallint,
    previous_stance   smallint,
    first_on          date,
    last_on           date,
    open_follow_ups   integer NOT NULL,
    PRIMARY KEY (constituency_code, stakeholder_role, person_key)
);

CREATE INDEX conversation_stakeholder ON parley.conversation
    (constituency_code, stakeholder_role, person_key, occurred_on DESC, reported_at DESC, event_id DESC);

-- Recomputes the stakeholder rows for the keys in pg_temp.parley_touched_stakeholder.
-- "Latest" means by occurred_on, then reported_at and event_id; the latest and previous
-- stance skip conversations whose stance is unknown, so an unrecorded stance never hides a
-- change of mind. A follow-up is open while no later conversation with the person exists:
-- the follow-ups flagged on the stakeholder's last day.
CREATE FUNCTION parley.stakeholder_refresh ()
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    -- LATERAL, so that each stakeholder is read through conversation_stakeholder whatever
    -- the planner guesses about the (never analysed) temporary table.
    INSERT INTO parley.stakeholder_agg AS s
    SELECT t.constituency_code, t.stakeholder_role, t.person_key,
           x.name, x.conversations, x.associations, x.association_ids, x.latest_stance,
           x.previous_stance, x.first_on, m.last_on, x.open_follow_ups
      FROM (SELECT DISTINCT constituency_code, stakeholder_role, person_key
              FROM pg_temp.parley_touched_stakeholder) t
     CROSS JOIN LATERAL (
           SELECT max(c.occurred_on) AS last_on
             FROM parley.conversation c
            WHERE c.constituency_code = t.constituency_code AND c.stakeholder_role = t.stakeholder_role
              AND c.person_key = t.person_key AND c.counts) m
     CROSS JOIN LATERAL (
           SELECT (array_agg(c.stakeholder_name ORDER BY c.occurred_on DESC, c.reported_at DESC,
                             c.event_id DESC))[1] AS name,
                  count(*) AS conversations,
                  count(DISTINCT c.association_id) AS associations,
                  string_agg(DISTINCT c.association_id, ', ' ORDER BY c.association_id) AS association_ids,
                  (array_agg(c.stance ORDER BY c.occurred_on DESC, c.reported_at DESC, c.event_id DESC)
                       FILTER (WHERE c.stance IS NOT NULL))[1] AS latest_stance,
                  (array_agg(c.stance ORDER BY c.occurred_on DESC, c.reported_at DESC, c.event_id DESC)
                       FILTER (WHERE c.stance IS NOT NULL))[2] AS previous_stance,
                  min(c.occurred_on) AS first_on,
                  count(*) FILTER (WHERE c.follow_up AND c.occurred_on = m.last_on) AS open_follow_ups
             FROM parley.conversation c
            WHERE c.constituency_code = t.constituency_code AND c.stakeholder_role = t.stakeholder_role
              AND c.person_key = t.person_key AND c.counts) x
     WHERE m.last_on IS NOT NULL
        OR EXISTS (SELECT 1 FROM parley.stakeholder_agg e
                    WHERE e.constituency_code = t.constituency_code AND e.stakeholder_role = t.stakeholder_role
                      AND e.person_key = t.person_key)
    ON CONFLICT (constituency_code, stakeholder_role, person_key) DO UPDATE
       SET name = coalesce(EXCLUDED.name, s.name), conversations = EXCLUDED.conversations,
           associations = EXCLUDED.associations, association_ids = EXCLUDED.association_ids,
           latest_stance = EXCLUDED.latest_stance, previous_stance = EXCLUDED.previous_stance,
           first_on = EXCLUDED.first_on, last_on = EXCLUDED.last_on,
           open_follow_ups = EXCLUDED.open_follow_ups;
END
$fn$;

-- The session's scratch tables for one statement's changes, made on first use (checked,
-- not IF NOT EXISTS, which would send a NOTICE to the collector on every statement) and
-- emptied: one statement's INSERT and UPDATE triggers both run in one transaction.
CREATE FUNCTION parley.analytics_begin ()
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    IF to_regclass('pg_temp.parley_analytics_delta') IS NULL THEN
        CREATE TEMP TABLE parley_analytics_delta (
            association_id    text,
            constituency_code text,
            stakeholder_role  text,
            occurred_on       date,
            sign              integer
        ) ON COMMIT DELETE ROWS;
    END IF;
    IF to_regclass('pg_temp.parley_touched_stakeholder') IS NULL THEN
        CREATE TEMP TABLE parley_touched_stakeholder (
            constituency_code text,
            stakeholder_role  text,
            person_key        text
        ) ON COMMIT DELETE ROWS;
    END IF;
    DELETE FROM pg_temp.parley_analytics_delta;
    DELETE FROM pg_temp.parley_touched_stakeholder;
END
$fn$;

-- Applies a statement's changes to parley.conversation, staged by the trigger functions
-- below from their transition tables (which only the trigger function itself can read):
-- pg_temp.parley_analytics_delta holds the signed contributions (-1 for an old state that
-- counted, +1 for a new one that counts), pg_temp.parley_touched_stakeholder the
-- stakeholder keys the statement wrote.
CREATE FUNCTION parley.analytics_apply ()
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO parley.daily_conversations AS t (occurred_on, conversations)
    SELECT occurred_on, sum(sign) FROM pg_temp.parley_analytics_delta
     GROUP BY occurred_on HAVING sum(sign) <> 0
    ON CONFLICT (occurred_on) DO UPDATE SET conversations = t.conversations + EXCLUDED.conversations;
    DELETE FROM parley.daily_conversations WHERE conversations = 0
       AND occurred_on IN (SELECT occurred_on FROM pg_temp.parley_analytics_delta WHERE sign < 0);

    INSERT INTO parley.association_constituency AS t
           (association_id, constituency_code, conversations, mp_conversations)
    SELECT association_id, constituency_code, sum(sign),
           coalesce(sum(sign) FILTER (WHERE stakeholder_role = 'mp'), 0)
      FROM pg_temp.parley_analytics_delta
     GROUP BY association_id, constituency_code
    HAVING sum(sign) <> 0 OR coalesce(sum(sign) FILTER (WHERE stakeholder_role = 'mp'), 0) <> 0
    ON CONFLICT (association_id, constituency_code) DO UPDATE
       SET conversations = t.conversations + EXCLUDED.conversations,
           mp_conversations = t.mp_conversations + EXCLUDED.mp_conversations;
    DELETE FROM parley.association_constituency t
     USING (SELECT DISTINCT association_id, constituency_code FROM pg_temp.parley_analytics_delta
             WHERE sign < 0) d
     WHERE t.association_id = d.association_id AND t.constituency_code = d.constituency_code
       AND t.conversations = 0;

    INSERT INTO parley.association_day AS t (association_id, occurred_on, conversations)
    SELECT association_id, occurred_on, sum(sign) FROM pg_temp.parley_analytics_delta
     GROUP BY association_id, occurred_on HAVING sum(sign) <> 0
    ON CONFLICT (association_id, occurred_on) DO UPDATE SET conversations = t.conversations + EXCLUDED.conversations;
    DELETE FROM parley.association_day t
     USING (SELECT DISTINCT association_id, occurred_on FROM pg_temp.parley_analytics_delta WHERE sign < 0) d
     WHERE t.association_id = d.association_id AND t.occurred_on = d.occurred_on AND t.conversations = 0;

    PERFORM parley.stakeholder_refresh ();
END
$fn$;

CREATE FUNCTION parley.analytics_conversation_inserted ()
RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM parley.analytics_begin ();
    INSERT INTO pg_temp.parley_analytics_delta
    SELECT association_id, constituency_code, stakeholder_role, occurred_on, 1 FROM new_rows WHERE counts;
    INSERT INTO pg_temp.parley_touched_stakeholder
    SELECT DISTINCT constituency_code, stakeholder_role, person_key FROM new_rows;
    PERFORM parley.analytics_apply ();
    RETURN NULL;
END
$fn$;

CREATE FUNCTION parley.analytics_conversation_updated ()
RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM parley.analytics_begin ();
    INSERT INTO pg_temp.parley_analytics_delta
    SELECT association_id, constituency_code, stakeholder_role, occurred_on, -1 FROM old_rows WHERE counts
    UNION ALL
    SELECT association_id, constituency_code, stakeholder_role, occurred_on, 1 FROM new_rows WHERE counts;
    INSERT INTO pg_temp.parley_touched_stakeholder
    SELECT constituency_code, stakeholder_role, person_key FROM old_rows
    UNION
    SELECT constituency_code, stakeholder_role, person_key FROM new_rows;
    PERFORM parley.analytics_apply ();
    RETURN NULL;
END
$fn$;

CREATE FUNCTION parley.analytics_conversation_deleted ()
RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM parley.analytics_begin ();
    INSERT INTO pg_temp.parley_analytics_delta
    SELECT association_id, constituency_code, stakeholder_role, occurred_on, -1 FROM old_rows WHERE counts;
    INSERT INTO pg_temp.parley_touched_stakeholder
    SELECT DISTINCT constituency_code, stakeholder_role, person_key FROM old_rows;
    PERFORM parley.analytics_apply ();
    RETURN NULL;
END
$fn$;

CREATE TRIGGER analytics_inserted AFTER INSERT ON parley.conversation
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION parley.analytics_conversation_inserted ();
CREATE TRIGGER analytics_updated AFTER UPDATE ON parley.conversation
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION parley.analytics_conversation_updated ();
CREATE TRIGGER analytics_deleted AFTER DELETE ON parley.conversation
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT
    EXECUTE FUNCTION parley.analytics_conversation_deleted ();

CREATE FUNCTION parley.analytics_event_inserted ()
RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO parley.association_name AS t (association_id, name, reported_at, event_id)
    SELECT DISTINCT ON (association_id) association_id, association_name, reported_at, event_id
      FROM new_events
     WHERE association_name IS NOT NULL
     ORDER BY association_id, reported_at DESC, event_id DESC
    ON CONFLICT (association_id) DO UPDATE
       SET name = EXCLUDED.name, reported_at = EXCLUDED.reported_at, event_id = EXCLUDED.event_id
     WHERE (EXCLUDED.reported_at, EXCLUDED.event_id) > (t.reported_at, t.event_id);
    RETURN NULL;
END
$fn$;

CREATE TRIGGER analytics_event_inserted AFTER INSERT ON parley.event
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT
    EXECUTE FUNCTION parley.analytics_event_inserted ();

-- Conversations stored before this migration: the same aggregates, computed once.
INSERT INTO parley.daily_conversations
SELECT occurred_on, count(*) FROM parley.conversation WHERE counts GROUP BY occurred_on;
INSERT INTO parley.association_constituency
SELECT association_id, constituency_code, count(*), count(*) FILTER (WHERE stakeholder_role = 'mp')
  FROM parley.conversation WHERE counts GROUP BY association_id, constituency_code;
INSERT INTO parley.association_day
SELECT association_id, occurred_on, count(*) FROM parley.conversation WHERE counts
 GROUP BY association_id, occurred_on;
INSERT INTO parley.association_name
SELECT DISTINCT ON (association_id) association_id, association_name, reported_at, event_id
  FROM parley.event WHERE association_name IS NOT NULL
 ORDER BY association_id, reported_at DESC, event_id DESC;
DO $do$
BEGIN
    PERFORM parley.analytics_begin ();
    INSERT INTO pg_temp.parley_touched_stakeholder
    SELECT DISTINCT constituency_code, stakeholder_role, person_key FROM parley.conversation;
    PERFORM parley.stakeholder_refresh ();
    DELETE FROM pg_temp.parley_touched_stakeholder;
END
$do$;

-- ---------------------------------------------------------------------------------------
-- The analytics views
-- ---------------------------------------------------------------------------------------

-- One row per ISO week from the week of the first conversation to the current week (or
-- the last week with a conversation, if later), empty weeks included. The projection is
-- a straight line: the conversations so far, at the average daily pace since the first
-- conversation, carried on to the deadline. A week's pace is measured up to the end of that
-- week, or to today for the current week.
CREATE VIEW parley.weekly_progress AS
WITH t AS (
    SELECT target, deadline FROM parley.campaign_target
), b AS (
    SELECT min(occurred_on) AS first_on, max(occurred_on) AS last_on
      FROM parley.daily_conversations
), weeks AS (
    SELECT w::date AS week_start
      FROM b, generate_series(date_trunc('week', b.first_on::timestamp),
                              date_trunc('week', greatest(b.last_on, current_date)::timestamp),
                              interval '7 days') AS w
     WHERE b.first_on IS NOT NULL
), counts AS (
    SELECT date_trunc('week', occurred_on::timestamp)::date AS week_start, sum(conversations)::bigint AS conversations
      FROM parley.daily_conversations
     GROUP BY 1
), w AS (
    SELECT weeks.week_start,
           coalesce(counts.conversations, 0)::bigint AS conversations,
           sum(coalesce(counts.conversations, 0)) OVER (ORDER BY weeks.week_start)::bigint AS cumulative,
           least(weeks.week_start + 6, greatest(current_date, b.last_on)) AS as_of,
           b.first_on
      FROM weeks CROSS JOIN b
      LEFT JOIN counts ON counts.week_start = weeks.week_start
)
SELECT to_char(w.week_start, 'IYYY-"W"IW') AS week,
       w.week_start,
       w.conversations,
       w.cumulative AS cumulative_conversations,
       t.target,
       t.deadline,
       CASE WHEN t.deadline <= w.as_of THEN w.cumulative
            ELSE round(w.cumulative::numeric * (t.deadline - w.first_on + 1) / (w.as_of - w.first_on + 1))::bigint
       END AS projected_at_deadline
  FROM w CROSS JOIN t;

-- Per association with at least one conversation that counts.
CREATE VIEW parley.association_summary AS
SELECT a.association_id,
       n.name                                                AS association_name,
       a.conversations,
       a.constituencies_reached,
       a.mps_spoken_to,
       (SELECT min(d.occurred_on) FROM parley.association_day d WHERE d.association_id = a.association_id)
                                                             AS first_on,
       (SELECT max(d.occurred_on) FROM parley.association_day d WHERE d.association_id = a.association_id)
                                                             AS last_on
  FROM (SELECT association_id,
               sum(conversations)::bigint                       AS conversations,
               count(*) FILTER (WHERE conversations > 0)        AS constituencies_reached,
               count(*) FILTER (WHERE mp_conversations > 0)     AS mps_spoken_to
          FROM parley.association_constituency
         GROUP BY association_id) a
  LEFT JOIN parley.association_name n ON n.association_id = a.association_id;

CREATE VIEW parley.stakeholder_summary AS
SELECT s.constituency_code,
       c.name              AS constituency_name,
       s.stakeholder_role  AS role,
       s.person_key,
       s.name,
       s.conversations,
       s.associations,
       s.latest_stance,
       s.previous_stance,
       s.first_on,
       s.last_on,
       s.open_follow_ups
  FROM parley.stakeholder_agg s
  JOIN parley.constituency c ON c.code = s.constituency_code
 WHERE s.conversations > 0;

-- People spoken to with role mp who are not the constituency's sitting MP by person key
-- (or in a constituency with no sitting MP listed). They are counted as usual.
CREATE VIEW parley.mp_mismatches AS
SELECT s.constituency_code,
       c.name             AS constituency_name,
       s.name,
       s.person_key,
       s.conversations,
       s.association_ids,
       s.first_on,
       s.last_on,
       m.name             AS sitting_mp,
       m.party            AS sitting_mp_party,
       m.person_key       AS sitting_mp_key
  FROM parley.stakeholder_agg s
  JOIN parley.constituency c ON c.code = s.constituency_code
  LEFT JOIN parley.mp m ON m.constituency_code = s.constituency_code
 WHERE s.stakeholder_role = 'mp' AND s.conversations > 0
   AND (m.person_key IS NULL OR m.person_key <> s.person_key);

-- ---------------------------------------------------------------------------------------
-- Roles
-- ---------------------------------------------------------------------------------------
-- parley_writer: what the collector needs on Parley's tables (read and write rows, run the
-- ingest functions), and nothing else: no DDL, no TRUNCATE. parley_analyst: SELECT on the
-- views, nothing else; no base table (so never an event's notes or raw JSON), no writes.
-- Both are NOLOGIN groups: grant them to login roles (GRANT parley_analyst TO alice).
-- Roles belong to the cluster, not to the database, so they may exist already.
DO $do$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['parley_writer', 'parley_analyst'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- created meanwhile by a migration of another database
            END;
        END IF;
    END LOOP;
END
$do$;

REVOKE ALL ON ALL TABLES IN SCHEMA parley FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA parley FROM PUBLIC;

GRANT USAGE ON SCHEMA parley TO parley_writer, parley_analyst;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA parley TO parley_writer;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA parley TO parley_writer;

GRANT SELECT ON parley.constituency_summary, parley.constituency_topics, parley.region_summary,
                parley.progress, parley.weekly_progress, parley.association_summary,
                parley.stakeholder_summary, parley.mp_mismatches, parley.sitting_mps,
                parley.campaign_target
   TO parley_analyst;
