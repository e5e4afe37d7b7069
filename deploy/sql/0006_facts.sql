-- Fact tables (issue 12, "Time periods"): the conversations that count, at the grain BI
-- tools and the period commands want, kept exact and incremental by parley.ingest_batch in
-- the transaction that stores the events (33_ingest_apply_topics_and_days.sql adds the
-- deltas, 34_ingest_settle_removals.sql deletes rows that fall to 0), checked and rebuilt
-- by parley.verify() / parley.rebuild() (60_verify.sql). The analysts read them through
-- parley.conversation_facts and parley.topic_facts (20_analytics_views.sql).
--
-- A versioned migration: applied once, never edited.

-- Per day × constituency × association × stakeholder role × stance × format × follow-up.
-- stance, format and follow_up may be NULL (not recorded), and a NULL is one value of the
-- grain: hence a unique index NULLS NOT DISTINCT rather than a primary key. Ingest probes
-- it by its first four columns (equal) and the last three (IS NOT DISTINCT FROM).
CREATE TABLE parley.conversation_fact (
    occurred_on       date NOT NULL,
    constituency_code text NOT NULL,
    association_id    text NOT NULL,
    stakeholder_role  text NOT NULL,
    stance            smallint,
    format            text,
    follow_up         boolean,
    conversations     integer NOT NULL CHECK (conversations >= 0)
) WITH (fillfactor = 70);
CREATE UNIQUE INDEX conversation_fact_grain ON parley.conversation_fact
    (occurred_on, constituency_code, association_id, stakeholder_role, stance, format, follow_up)
    NULLS NOT DISTINCT;

-- Per day × constituency × topic.
CREATE TABLE parley.topic_fact (
    occurred_on       date NOT NULL,
    constituency_code text NOT NULL,
    topic             text NOT NULL,
    conversations     integer NOT NULL CHECK (conversations >= 0),
    PRIMARY KEY (occurred_on, constituency_code, topic)
) WITH (fillfactor = 70);

-- No role is granted anything on them (0004_roles.sql): ingest writes them with its owner's
-- rights, and analysts read the views.

-- Backfill from the conversations already stored.
INSERT INTO parley.conversation_fact
SELECT occurred_on, constituency_code, association_id, stakeholder_role, stance, format,
       follow_up, count(*)::integer
  FROM parley.conversation
 WHERE counts
 GROUP BY 1, 2, 3, 4, 5, 6, 7;

INSERT INTO parley.topic_fact
SELECT c.occurred_on, c.constituency_code, t.topic, count(*)::integer
  FROM parley.conversation c, unnest(c.topics) AS t (topic)
 WHERE c.counts
 GROUP BY 1, 2, 3;
