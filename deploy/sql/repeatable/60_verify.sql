-- Checking and rebuilding what the collector derives (docs/OPERATIONS.md, "Checking and
-- rebuilding aggregates"): parley.conversation from parley.event, and every aggregate table
-- from parley.conversation (association_name from parley.event), recomputed from scratch
-- by plain set-based queries that share nothing with the incremental steps of
-- 31_…–36_…, so a fault in those steps cannot hide itself here.
-- Repeatable: re-applied (CREATE OR REPLACE) whenever the text of a file in
-- deploy/sql/repeatable/ changes; edit it in place (docs/COLLECTOR.md, "Changing the schema").
--
-- parley-collector verify calls parley.verify() and parley-collector rebuild calls
-- parley.rebuild() (collector/verify.c). A new aggregate table needs a parley.expected_…()
-- function here, a block in parley.verify() and two lines in parley.rebuild().

-- Each conversation's state: its accepted event with the greatest (reported_at, event_id).
CREATE OR REPLACE FUNCTION parley.expected_conversation ()
RETURNS SETOF parley.conversation
LANGUAGE sql STABLE AS $fn$
    SELECT DISTINCT ON (constituency_code, association_id, stakeholder_role, person_key,
                        occurred_on)
           constituency_code, association_id, stakeholder_role, person_key, occurred_on,
           event_id, reported_at, type <> 'conversation.withdrawn', stakeholder_name, party,
           format, stance, topics, follow_up, now()
      FROM parley.event
     ORDER BY constituency_code, association_id, stakeholder_role, person_key, occurred_on,
              reported_at DESC, event_id DESC;
$fn$;

-- A row per constituency (the collector seeds one for each), over what counts.
CREATE OR REPLACE FUNCTION parley.expected_constituency_agg ()
RETURNS SETOF parley.constituency_agg
LANGUAGE sql STABLE AS $fn$
    WITH c AS (
        SELECT constituency_code,
               count(*)::integer AS conversations,
               count(*) FILTER (WHERE stakeholder_role = 'mp')::integer AS mp,
               count(*) FILTER (WHERE stakeholder_role = 'councillor')::integer AS councillor,
               count(*) FILTER (WHERE stakeholder_role = 'peer')::integer AS peer,
               count(*) FILTER (WHERE stakeholder_role = 'mayor')::integer AS mayor,
               count(*) FILTER (WHERE stakeholder_role = 'official')::integer AS official,
               count(*) FILTER (WHERE stakeholder_role = 'opinion_former')::integer AS opinion_former,
               count(*) FILTER (WHERE stance = -2)::integer AS opposed,
               count(*) FILTER (WHERE stance = -1)::integer AS sceptical,
               count(*) FILTER (WHERE stance = 0)::integer AS neutral,
               count(*) FILTER (WHERE stance = 1)::integer AS supportive,
               count(*) FILTER (WHERE stance = 2)::integer AS champion,
               count(*) FILTER (WHERE stance IS NULL)::integer AS unknown,
               coalesce(sum(stance), 0)::bigint AS stance_sum,
               count(*) FILTER (WHERE follow_up)::integer AS follow_ups,
               count(DISTINCT association_id)::integer AS associations,
               min(occurred_on) AS first_on,
               max(occurred_on) AS last_on
          FROM parley.conversation
         WHERE counts
         GROUP BY constituency_code
    )
    SELECT k.code, coalesce(c.conversations, 0), coalesce(c.mp, 0), coalesce(c.councillor, 0),
           coalesce(c.peer, 0), coalesce(c.mayor, 0), coalesce(c.official, 0),
           coalesce(c.opinion_former, 0), coalesce(c.opposed, 0), coalesce(c.sceptical, 0),
           coalesce(c.neutral, 0), coalesce(c.supportive, 0), coalesce(c.champion, 0),
           coalesce(c.unknown, 0), coalesce(c.stance_sum, 0), coalesce(c.follow_ups, 0),
           coalesce(c.associations, 0), c.first_on, c.last_on
      FROM parley.constituency k
      LEFT JOIN c ON c.constituency_code = k.code;
$fn$;

CREATE OR REPLACE FUNCTION parley.expected_association_constituency ()
RETURNS SETOF parley.association_constituency
LANGUAGE sql STABLE AS $fn$
    SELECT constituency_code, association_id, count(*)::integer,
           count(*) FILTER (WHERE stakeholder_role = 'mp')::integer,
           min(occurred_on), max(occurred_on)
      FROM parley.conversation
     WHERE counts
     GROUP BY constituency_code, association_id;
$fn$;

CREATE OR REPLACE FUNCTION parley.expected_constituency_topic ()
RETURNS SETOF parley.constituency_topic
LANGUAGE sql STABLE AS $fn$
    SELECT c.constituency_code, t.topic, count(*)::integer
      FROM parley.conversation c, unnest(c.topics) AS t (topic)
     WHERE c.counts
     GROUP BY c.constituency_code, t.topic;
$fn$;

CREATE OR REPLACE FUNCTION parley.expected_daily_conversations ()
RETURNS SETOF parley.daily_conversations
LANGUAGE sql STABLE AS $fn$
    SELECT occurred_on, count(*)::integer
      FROM parley.conversation
     WHERE counts
     GROUP BY occurred_on;
$fn$;

-- The fact tables (0006_facts.sql), from the conversations that count.
CREATE OR REPLACE FUNCTION parley.expected_conversation_fact ()
RETURNS SETOF parley.conversation_fact
LANGUAGE sql STABLE AS $fn$
    SELECT occurred_on, constituency_code, association_id, stakeholder_role, stance, format,
           follow_up, count(*)::integer
      FROM parley.conversation
     WHERE counts
     GROUP BY occurred_on, constituency_code, association_id, stakeholder_role, stance, format,
              follow_up;
$fn$;

CREATE OR REPLACE FUNCTION parley.expected_topic_fact ()
RETURNS SETOF parley.topic_fact
LANGUAGE sql STABLE AS $fn$
    SELECT c.occurred_on, c.constituency_code, t.topic, count(*)::integer
      FROM parley.conversation c, unnest(c.topics) AS t (topic)
     WHERE c.counts
     GROUP BY c.occurred_on, c.constituency_code, t.topic;
$fn$;

-- Over every accepted event, withdrawals included (as ingest_store_events keeps it).
CREATE OR REPLACE FUNCTION parley.expected_association_name ()
RETURNS SETOF parley.association_name
LANGUAGE sql STABLE AS $fn$
    SELECT DISTINCT ON (association_id) association_id, association_name, reported_at, event_id
      FROM parley.event
     WHERE association_name IS NOT NULL
     ORDER BY association_id, reported_at DESC, event_id DESC;
$fn$;

-- Only the stakeholders with a conversation that counts: the rows ingest keeps at
-- conversations = 0 (every conversation withdrawn) depend on how the events were batched,
-- not on the events, and the views leave them out; parley.verify() accepts them in their
-- empty form and parley.rebuild() does not make them.
CREATE OR REPLACE FUNCTION parley.expected_stakeholder_agg ()
RETURNS SETOF parley.stakeholder_agg
LANGUAGE sql STABLE AS $fn$
    WITH c AS (
        SELECT *, ROW(occurred_on, reported_at, event_id, stance)::parley.stance_mark AS mark,
               max(occurred_on) OVER (PARTITION BY constituency_code, stakeholder_role,
                                                   person_key) AS stakeholder_last_on
          FROM parley.conversation
         WHERE counts
    ), g AS (
        SELECT constituency_code, stakeholder_role, person_key,
               count(*)::integer AS conversations,
               array_agg(DISTINCT association_id ORDER BY association_id) AS ids,
               (array_agg(ROW(occurred_on, reported_at, event_id, stakeholder_name)::parley.name_mark
                          ORDER BY occurred_on DESC, reported_at DESC, event_id DESC))[1] AS name,
               (array_agg(mark ORDER BY mark DESC) FILTER (WHERE stance IS NOT NULL)) AS marks,
               min(occurred_on) AS first_on,
               max(occurred_on) AS last_on,
               count(*) FILTER (WHERE occurred_on = stakeholder_last_on AND follow_up)::integer
                   AS open_follow_ups
          FROM c
         GROUP BY constituency_code, stakeholder_role, person_key
    )
    SELECT g.constituency_code, g.stakeholder_role, g.person_key, (g.name).name,
           (g.name).reported_at, (g.name).event_id, g.conversations, cardinality(g.ids), g.ids,
           g.marks[1], g.marks[2], g.first_on, g.last_on, g.open_follow_ups
      FROM g;
$fn$;

-- Every difference between what is stored and what it is derived from: one row per key
-- where the two differ, with the stored and the expected row as JSON (NULL: no such row).
-- One statement, so one snapshot: run it while collectors write and it compares one
-- consistent state (parley-collector verify runs it REPEATABLE READ as well).
CREATE OR REPLACE FUNCTION parley.verify ()
RETURNS TABLE (table_name text, key text, stored text, expected text)
LANGUAGE sql STABLE AS $fn$
    WITH conversation AS (
        SELECT 'conversation'::text AS t, coalesce(s.k, e.k) AS k, s.v AS s, e.v AS e
          FROM (SELECT concat_ws(' ', x.constituency_code, x.association_id, x.stakeholder_role,
                                 x.person_key, x.occurred_on) AS k,
                       to_jsonb(x) - 'updated_at' AS v
                  FROM parley.conversation x) s
          FULL JOIN (SELECT concat_ws(' ', x.constituency_code, x.association_id,
                                      x.stakeholder_role, x.person_key, x.occurred_on) AS k,
                            to_jsonb(x) - 'updated_at' AS v
                       FROM parley.expected_conversation() x) e ON e.k = s.k
         WHERE s.v IS DISTINCT FROM e.v
    ), constituency_agg AS (
        SELECT 'constituency_agg'::text, coalesce(s.k, e.k), s.v, e.v
          FROM (SELECT x.constituency_code AS k, to_jsonb(x) AS v
                  FROM parley.constituency_agg x) s
          FULL JOIN (SELECT x.constituency_code AS k, to_jsonb(x) AS v
                       FROM parley.expected_constituency_agg() x) e ON e.k = s.k
         WHERE s.v IS DISTINCT FROM e.v
    ), association_constituency AS (
        SELECT 'association_constituency'::text, coalesce(s.k, e.k), s.v, e.v
          FROM (SELECT concat_ws(' ', x.constituency_code, x.association_id) AS k, to_jsonb(x) AS v
                  FROM parley.association_constituency x) s
          FULL JOIN (SELECT concat_ws(' ', x.constituency_code, x.association_id) AS k,
                            to_jsonb(x) AS v
                       FROM parley.expected_association_constituency() x) e ON e.k = s.k
         WHERE s.v IS DISTINCT FROM e.v
    ), constituency_topic AS (
        SELECT 'constituency_topic'::text, coalesce(s.k, e.k), s.v, e.v
          FROM (SELECT concat_ws(' ', x.constituency_code, x.topic) AS k, to_jsonb(x) AS v
                  FROM parley.constituency_topic x) s
          FULL JOIN (SELECT concat_ws(' ', x.constituency_code, x.topic) AS k, to_jsonb(x) AS v
                       FROM parley.expected_constituency_topic() x) e ON e.k = s.k
         WHERE s.v IS DISTINCT FROM e.v
    ), daily_conversations AS (
        SELECT 'daily_conversations'::text, coalesce(s.k, e.k), s.v, e.v
          FROM (SELECT x.occurred_on::text AS k, to_jsonb(x) AS v
                  FROM parley.daily_conversations x) s
          FULL JOIN (SELECT x.occurred_on::text AS k, to_jsonb(x) AS v
                       FROM parley.expected_daily_conversations() x) e ON e.k = s.k
         WHERE s.v IS DISTINCT FROM e.v
    ), conversation_fact AS (
        -- keyed by the grain, a NULL (not recorded) written as "null"
        SELECT 'conversation_fact'::text, coalesce(s.k, e.k), s.v, e.v
          FROM (SELECT concat_ws(' ', x.occurred_on, x.constituency_code, x.association_id,
                                 x.stakeholder_role, coalesce(x.stance::text, 'null'),
                                 coalesce(x.format, 'null'),
                                 coalesce(x.follow_up::text, 'null')) AS k,
                       to_jsonb(x) AS v
                  FROM parley.conversation_fact x) s
          FULL JOIN (SELECT concat_ws(' ', x.occurred_on, x.constituency_code, x.association_id,
                                      x.stakeholder_role, coalesce(x.stance::text, 'null'),
                                      coalesce(x.format, 'null'),
                                      coalesce(x.follow_up::text, 'null')) AS k,
                            to_jsonb(x) AS v
                       FROM parley.expected_conversation_fact() x) e ON e.k = s.k
         WHERE s.v IS DISTINCT FROM e.v
    ), topic_fact AS (
        SELECT 'topic_fact'::text, coalesce(s.k, e.k), s.v, e.v
          FROM (SELECT concat_ws(' ', x.occurred_on, x.constituency_code, x.topic) AS k,
                       to_jsonb(x) AS v
                  FROM parley.topic_fact x) s
          FULL JOIN (SELECT concat_ws(' ', x.occurred_on, x.constituency_code, x.topic) AS k,
                            to_jsonb(x) AS v
                       FROM parley.expected_topic_fact() x) e ON e.k = s.k
         WHERE s.v IS DISTINCT FROM e.v
    ), association_name AS (
        SELECT 'association_name'::text, coalesce(s.k, e.k), s.v, e.v
          FROM (SELECT x.association_id AS k, to_jsonb(x) AS v FROM parley.association_name x) s
          FULL JOIN (SELECT x.association_id AS k, to_jsonb(x) AS v
                       FROM parley.expected_association_name() x) e ON e.k = s.k
         WHERE s.v IS DISTINCT FROM e.v
    ), stakeholder_agg AS (
        SELECT 'stakeholder_agg'::text, coalesce(s.k, e.k), s.v, e.v
          FROM (SELECT concat_ws(' ', x.constituency_code, x.stakeholder_role, x.person_key) AS k,
                       to_jsonb(x) AS v
                  FROM parley.stakeholder_agg x
                 -- the empty form ingest leaves when every conversation was withdrawn
                 WHERE NOT (x.conversations = 0 AND x.associations = 0
                            AND x.association_ids IS NULL AND x.latest IS NULL
                            AND x.previous IS NULL AND x.first_on IS NULL AND x.last_on IS NULL
                            AND x.open_follow_ups = 0 AND x.name_reported_at IS NULL
                            AND x.name_event_id IS NULL)) s
          FULL JOIN (SELECT concat_ws(' ', x.constituency_code, x.stakeholder_role,
                                      x.person_key) AS k,
                            to_jsonb(x) AS v
                       FROM parley.expected_stakeholder_agg() x) e ON e.k = s.k
         WHERE s.v IS DISTINCT FROM e.v
    )
    SELECT t, k, s::text, e::text FROM (
        SELECT * FROM conversation
        UNION ALL SELECT * FROM constituency_agg
        UNION ALL SELECT * FROM association_constituency
        UNION ALL SELECT * FROM constituency_topic
        UNION ALL SELECT * FROM daily_conversations
        UNION ALL SELECT * FROM conversation_fact
        UNION ALL SELECT * FROM topic_fact
        UNION ALL SELECT * FROM association_name
        UNION ALL SELECT * FROM stakeholder_agg) d (t, k, s, e)
     ORDER BY 1, 2;
$fn$;

-- Recomputes parley.conversation from parley.event and every aggregate from that, in the
-- caller's transaction (parley-collector rebuild commits it, so a failure leaves everything
-- as it was). Takes the writers' advisory lock (ingest_batch's), so no batch is stored
-- meanwhile: collectors wait and go on afterwards from the rebuilt state. DELETE, not
-- TRUNCATE: parley_writer may do the one, not the other, and readers of the views keep
-- seeing the old rows until the commit. Returns the rows written, per table.
CREATE OR REPLACE FUNCTION parley.rebuild ()
RETURNS TABLE (table_name text, written bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    n bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(8097879414873325569);
    -- The derived state, from what it is derived from, in order.
    DELETE FROM parley.conversation;
    INSERT INTO parley.conversation SELECT * FROM parley.expected_conversation();
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'conversation'; written := n; RETURN NEXT;

    DELETE FROM parley.constituency_agg;
    INSERT INTO parley.constituency_agg SELECT * FROM parley.expected_constituency_agg();
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'constituency_agg'; written := n; RETURN NEXT;

    DELETE FROM parley.association_constituency;
    INSERT INTO parley.association_constituency
    SELECT * FROM parley.expected_association_constituency();
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'association_constituency'; written := n; RETURN NEXT;

    DELETE FROM parley.constituency_topic;
    INSERT INTO parley.constituency_topic SELECT * FROM parley.expected_constituency_topic();
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'constituency_topic'; written := n; RETURN NEXT;

    DELETE FROM parley.daily_conversations;
    INSERT INTO parley.daily_conversations SELECT * FROM parley.expected_daily_conversations();
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'daily_conversations'; written := n; RETURN NEXT;

    DELETE FROM parley.conversation_fact;
    INSERT INTO parley.conversation_fact SELECT * FROM parley.expected_conversation_fact();
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'conversation_fact'; written := n; RETURN NEXT;

    DELETE FROM parley.topic_fact;
    INSERT INTO parley.topic_fact SELECT * FROM parley.expected_topic_fact();
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'topic_fact'; written := n; RETURN NEXT;

    DELETE FROM parley.association_name;
    INSERT INTO parley.association_name SELECT * FROM parley.expected_association_name();
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'association_name'; written := n; RETURN NEXT;

    DELETE FROM parley.stakeholder_agg;
    INSERT INTO parley.stakeholder_agg SELECT * FROM parley.expected_stakeholder_agg();
    GET DIAGNOSTICS n = ROW_COUNT;
    table_name := 'stakeholder_agg'; written := n; RETURN NEXT;
END
$fn$;
