-- Who may use the views and functions of deploy/sql/repeatable/ (the roles, and their rights
-- on the tables, are made by 0002_analytics.sql). Last in name order, so that every view and
-- function made or replaced by the files before it ends with these rights; a new view must
-- be added to both lists below.
--
-- They are exactly the rights release 0.1.0 gave when its 0002_analytics.sql made the same
-- objects (GRANT … ON ALL TABLES, which includes views, and ON ALL FUNCTIONS), so a database
-- upgraded from 0.1.0 and a new one are alike: parley_writer may run every function (the
-- collector calls ingest_prepare() and ingest_batch(), which call the steps) and, by that
-- grant on ALL TABLES, also write through the simple views, which gives it nothing it may
-- not do to the tables anyway; parley_analyst may read the views and nothing else.

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA parley FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA parley TO parley_writer;

GRANT SELECT, INSERT, UPDATE, DELETE
   ON parley.constituency_summary, parley.constituency_topics, parley.region_summary,
      parley.progress, parley.weekly_progress, parley.association_summary,
      parley.stakeholder_summary, parley.mp_mismatches, parley.sitting_mps,
      parley.campaign_target
   TO parley_writer;
GRANT SELECT
   ON parley.constituency_summary, parley.constituency_topics, parley.region_summary,
      parley.progress, parley.weekly_progress, parley.association_summary,
      parley.stakeholder_summary, parley.mp_mismatches, parley.sitting_mps,
      parley.campaign_target
   TO parley_analyst;
