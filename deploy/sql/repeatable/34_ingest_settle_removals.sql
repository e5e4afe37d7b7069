-- Ingest, step 4, only when the batch took a conversation away from the counts (a
-- withdrawal, or an amendment that moved it): what only a removal needs.
-- Repeatable: re-applied (CREATE OR REPLACE) whenever the text of a file in
-- deploy/sql/repeatable/ changes; edit it in place (docs/COLLECTOR.md, "Changing the schema").

-- The earliest and latest days step 2 set NULL are found again (a pair's from its
-- conversations, by the primary key's prefix; a constituency's from its pairs), and the
-- rows whose count fell to 0 are deleted (pairs, topics, days, facts; constituency_agg keeps a row
-- for every constituency). The rows are found by probes (LATERAL) and written by ctid.
-- Only nested loops (the SET clause, for the call): this step joins the batch's groups
-- (small) to probes of an aggregate table, and PL/pgSQL keeps the plan it made for the
-- session's first batch, when the tables may have been empty; no plan made then may read a
-- whole table in every later batch.
CREATE OR REPLACE FUNCTION parley.ingest_settle_removals () RETURNS void
LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off SET enable_memoize = off
AS $fn$
BEGIN
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
    DELETE FROM parley.conversation_fact AS t
     WHERE t.ctid = ANY (ARRAY(
           SELECT e.tid
             FROM (SELECT DISTINCT occurred_on, constituency_code, association_id,
                          stakeholder_role, stance, format, follow_up
                     FROM pg_temp.parley_delta WHERE sign < 0) r
            CROSS JOIN LATERAL (
                  SELECT x.ctid AS tid FROM parley.conversation_fact x
                   WHERE x.occurred_on = r.occurred_on
                     AND x.constituency_code = r.constituency_code
                     AND x.association_id = r.association_id
                     AND x.stakeholder_role = r.stakeholder_role
                     AND x.stance IS NOT DISTINCT FROM r.stance
                     AND x.format IS NOT DISTINCT FROM r.format
                     AND x.follow_up IS NOT DISTINCT FROM r.follow_up
                     AND x.conversations = 0 OFFSET 0) e));
    DELETE FROM parley.topic_fact AS t
     WHERE t.ctid = ANY (ARRAY(
           SELECT e.tid
             FROM (SELECT DISTINCT occurred_on, constituency_code, topic
                     FROM pg_temp.parley_delta, unnest(topics) AS topic WHERE sign < 0) r
            CROSS JOIN LATERAL (
                  SELECT x.ctid AS tid FROM parley.topic_fact x
                   WHERE x.occurred_on = r.occurred_on
                     AND x.constituency_code = r.constituency_code AND x.topic = r.topic
                     AND x.conversations = 0 OFFSET 0) e));
END
$fn$;
