-- Ingest, step 3: apply the deltas to the topics per constituency, to the conversations
-- per day and to the two fact tables (0006_facts.sql): rows found are updated by ctid, new ones inserted (a row whose count fell to 0 is
-- deleted by step 4).
-- Repeatable: re-applied (CREATE OR REPLACE) whenever the text of a file in
-- deploy/sql/repeatable/ changes; edit it in place (docs/COLLECTOR.md, "Changing the schema").

-- Only nested loops (the SET clause, for the call): this step joins the batch's groups
-- (small) to probes of an aggregate table, and PL/pgSQL keeps the plan it made for the
-- session's first batch, when the tables may have been empty; no plan made then may read a
-- whole table in every later batch.
CREATE OR REPLACE FUNCTION parley.ingest_apply_topics_and_days () RETURNS void
LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off SET enable_memoize = off
AS $fn$
BEGIN
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
    -- The fact tables (0006_facts.sql). stance, format and follow_up may be NULL, one value
    -- of the grain: the probe compares them IS NOT DISTINCT FROM, after the index's first
    -- four columns found the few candidate rows by equality.
    WITH t AS (
        SELECT occurred_on, constituency_code, association_id, stakeholder_role, stance,
               format, follow_up, sum(sign)::integer AS n
          FROM pg_temp.parley_delta
         GROUP BY occurred_on, constituency_code, association_id, stakeholder_role, stance,
                  format, follow_up
        HAVING sum(sign) <> 0
    ), l AS (
        SELECT t.*, e.tid
          FROM t
          LEFT JOIN LATERAL (
               SELECT x.ctid AS tid FROM parley.conversation_fact x
                WHERE x.occurred_on = t.occurred_on
                  AND x.constituency_code = t.constituency_code
                  AND x.association_id = t.association_id
                  AND x.stakeholder_role = t.stakeholder_role
                  AND x.stance IS NOT DISTINCT FROM t.stance
                  AND x.format IS NOT DISTINCT FROM t.format
                  AND x.follow_up IS NOT DISTINCT FROM t.follow_up OFFSET 0) e ON true
    ), up AS (
        UPDATE parley.conversation_fact AS x SET conversations = x.conversations + l.n
          FROM l
         WHERE x.ctid = l.tid
    )
    INSERT INTO parley.conversation_fact
           (occurred_on, constituency_code, association_id, stakeholder_role, stance, format,
            follow_up, conversations)
    SELECT occurred_on, constituency_code, association_id, stakeholder_role, stance, format,
           follow_up, n
      FROM l WHERE tid IS NULL;

    WITH t AS (
        SELECT occurred_on, constituency_code, topic, sum(sign)::integer AS n
          FROM pg_temp.parley_delta, unnest(topics) AS topic
         GROUP BY occurred_on, constituency_code, topic
        HAVING sum(sign) <> 0
    ), l AS (
        SELECT t.*, e.tid
          FROM t
          LEFT JOIN LATERAL (
               SELECT x.ctid AS tid FROM parley.topic_fact x
                WHERE x.occurred_on = t.occurred_on
                  AND x.constituency_code = t.constituency_code AND x.topic = t.topic
                OFFSET 0) e ON true
    ), up AS (
        UPDATE parley.topic_fact AS x SET conversations = x.conversations + l.n
          FROM l
         WHERE x.ctid = l.tid
    )
    INSERT INTO parley.topic_fact (occurred_on, constituency_code, topic, conversations)
    SELECT occurred_on, constituency_code, topic, n FROM l WHERE tid IS NULL;
END
$fn$;
