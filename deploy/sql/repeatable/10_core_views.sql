-- The four core views over the aggregate tables of 0001_core.sql: docs/COLLECTOR.md lists
-- every column. Repeatable: re-applied (CREATE OR REPLACE) by the collector whenever the text
-- of a file in deploy/sql/repeatable/ changes (collector/schema.c); edit it in place.
--
-- The views the analytics team uses. Their names and columns are a contract: change them
-- only by adding columns at the end.

CREATE OR REPLACE VIEW parley.constituency_summary AS
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

CREATE OR REPLACE VIEW parley.constituency_topics AS
SELECT constituency_code, topic, conversations
  FROM parley.constituency_topic
 WHERE conversations > 0;

CREATE OR REPLACE VIEW parley.region_summary AS
SELECT c.region,
       c.country,
       count(*)                                            AS constituencies,
       count(*) FILTER (WHERE a.conversations > 0)         AS constituencies_reached,
       count(*) FILTER (WHERE a.mp_conversations > 0)      AS mps_engaged,
       coalesce(sum(a.conversations), 0)::bigint           AS conversations
  FROM parley.constituency c
  LEFT JOIN parley.constituency_agg a ON a.constituency_code = c.code
 GROUP BY c.region, c.country;

CREATE OR REPLACE VIEW parley.progress AS
SELECT coalesce(sum(a.conversations), 0)::bigint           AS conversations,
       s.target,
       count(a.constituency_code) FILTER (WHERE a.conversations > 0)    AS constituencies_reached,
       count(a.constituency_code) FILTER (WHERE a.mp_conversations > 0) AS mps_engaged
  FROM parley.settings s
  LEFT JOIN parley.constituency_agg a ON true
 GROUP BY s.target;
