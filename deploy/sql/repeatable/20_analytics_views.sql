-- The analytics views (issue 4) and the target's setter: docs/ANALYTICS.md documents every
-- view and column. They read the aggregate tables of 0001_core.sql, which ingest_batch keeps
-- up to date, and parley.settings and parley.mp of 0002_analytics.sql. Repeatable: re-applied
-- (CREATE OR REPLACE) whenever a file in deploy/sql/repeatable/ changes; edit it in place.
-- The views are a contract with the analytics team: names and columns stay, new columns may
-- only be added at the end.

CREATE OR REPLACE VIEW parley.campaign_target AS
SELECT s.target,
       coalesce(s.deadline, make_date(extract(year FROM current_date)::integer, 12, 31)) AS deadline
  FROM parley.settings s;

-- `parley target 1000 --by 2026-12-31`. A NULL deadline keeps the one set before.
CREATE OR REPLACE FUNCTION parley.set_target (p_target integer, p_deadline date)
RETURNS void LANGUAGE sql AS $fn$
    UPDATE parley.settings SET target = p_target, deadline = coalesce(p_deadline, deadline);
$fn$;

CREATE OR REPLACE VIEW parley.sitting_mps AS
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
-- The analytics views
-- ---------------------------------------------------------------------------------------

-- One row per ISO week from the week of the first conversation to the current week (or
-- the last week with a conversation, if later), empty weeks included. The projection is
-- a straight line: the conversations so far, at the average daily pace since the first
-- conversation, carried on to the deadline. A week's pace is measured up to the end of that
-- week, or to today for the current week.
CREATE OR REPLACE VIEW parley.weekly_progress AS
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
CREATE OR REPLACE VIEW parley.association_summary AS
SELECT a.association_id,
       n.name                                                AS association_name,
       a.conversations,
       a.constituencies_reached,
       a.mps_spoken_to,
       a.first_on,
       a.last_on
  FROM (SELECT association_id,
               sum(conversations)::bigint                       AS conversations,
               count(*) FILTER (WHERE conversations > 0)        AS constituencies_reached,
               count(*) FILTER (WHERE mp_conversations > 0)     AS mps_spoken_to,
               min(first_on)                                    AS first_on,
               max(last_on)                                     AS last_on
          FROM parley.association_constituency
         GROUP BY association_id) a
  LEFT JOIN parley.association_name n ON n.association_id = a.association_id;

CREATE OR REPLACE VIEW parley.stakeholder_summary AS
SELECT s.constituency_code,
       c.name              AS constituency_name,
       s.stakeholder_role  AS role,
       s.person_key,
       s.name,
       s.conversations,
       s.associations,
       (s.latest).stance   AS latest_stance,
       (s.previous).stance AS previous_stance,
       s.first_on,
       s.last_on,
       s.open_follow_ups
  FROM parley.stakeholder_agg s
  JOIN parley.constituency c ON c.code = s.constituency_code
 WHERE s.conversations > 0;

-- People spoken to with role mp who are not the constituency's sitting MP by person key
-- (or in a constituency with no sitting MP listed). They are counted as usual.
CREATE OR REPLACE VIEW parley.mp_mismatches AS
SELECT s.constituency_code,
       c.name             AS constituency_name,
       s.name,
       s.person_key,
       s.conversations,
       array_to_string(s.association_ids, ', ') AS association_ids,
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
