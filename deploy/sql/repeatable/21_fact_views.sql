-- The fact views (issue 12, "Time periods"; docs/ANALYTICS.md, "Time periods"): the fact
-- tables of 0006_facts.sql with the constituency's name, country and region and the
-- association's latest name, for analysts, BI tools and the period commands (which filter
-- them on occurred_on). One row per grain value with conversations > 0.
-- Repeatable: re-applied (CREATE OR REPLACE) whenever the text of a file in
-- deploy/sql/repeatable/ changes; edit it in place (docs/COLLECTOR.md, "Changing the schema").

-- Day × constituency × association × stakeholder role × stance × format × follow-up.
CREATE OR REPLACE VIEW parley.conversation_facts AS
SELECT f.occurred_on,
       f.constituency_code,
       c.name             AS constituency_name,
       c.country,
       c.region,
       f.association_id,
       n.name             AS association_name,
       f.stakeholder_role,
       f.stance,
       f.format,
       f.follow_up,
       f.conversations
  FROM parley.conversation_fact f
  JOIN parley.constituency c ON c.code = f.constituency_code
  LEFT JOIN parley.association_name n ON n.association_id = f.association_id
 WHERE f.conversations > 0;

-- Day × constituency × topic.
CREATE OR REPLACE VIEW parley.topic_facts AS
SELECT f.occurred_on,
       f.constituency_code,
       c.name             AS constituency_name,
       c.country,
       c.region,
       f.topic,
       f.conversations
  FROM parley.topic_fact f
  JOIN parley.constituency c ON c.code = f.constituency_code
 WHERE f.conversations > 0;
