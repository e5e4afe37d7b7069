-- Who may use the views and functions of deploy/sql/repeatable/ (the roles, and their rights
-- on the tables, are made by 0002_analytics.sql and narrowed by 0004_roles.sql). Last in
-- name order, so that every view and function made or replaced by the files before it ends
-- with these rights; a new view must be added to the analysts' list below.
--
-- parley_writer (the collector) may call the two ingest entry points and the notes
-- retention and nothing else: all three are SECURITY DEFINER (30_ingest_prepare.sql,
-- 39_ingest_batch.sql, 50_retention.sql), so the steps they call run with the owner's rights
-- and need no grant; it may not call a step, set_target() or any
-- other function, and may read or write no view. parley_analyst may read the views and
-- nothing else (no base table, so never an event's notes, raw JSON or delivered_by).
-- Revoked first, whole, so that a database upgraded from an earlier release (whose rights
-- were wider) ends with exactly these.

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA parley FROM PUBLIC, parley_writer, parley_analyst;
GRANT EXECUTE ON FUNCTION parley.ingest_prepare (), parley.ingest_batch (),
                          parley.retention_blank_notes (integer, integer) TO parley_writer;

REVOKE ALL
   ON parley.constituency_summary, parley.constituency_topics, parley.region_summary,
      parley.progress, parley.weekly_progress, parley.association_summary,
      parley.stakeholder_summary, parley.mp_mismatches, parley.sitting_mps,
      parley.campaign_target
   FROM parley_writer;
GRANT SELECT
   ON parley.constituency_summary, parley.constituency_topics, parley.region_summary,
      parley.progress, parley.weekly_progress, parley.association_summary,
      parley.stakeholder_summary, parley.mp_mismatches, parley.sitting_mps,
      parley.campaign_target
   TO parley_analyst;

-- The fact views (21_fact_views.sql; issue 12, "Time periods").
REVOKE ALL ON parley.conversation_facts, parley.topic_facts FROM parley_writer;
GRANT SELECT ON parley.conversation_facts, parley.topic_facts TO parley_analyst;
