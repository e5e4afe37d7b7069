-- Least privilege for the collector, and who delivered each event (docs/COLLECTOR.md,
-- "PostgreSQL roles").
--
-- parley_writer (the collector's login role is a member) keeps no right on any table but
-- the two records it reads at start to tell whether the schema is current: it stores events
-- only through parley.ingest_prepare() and parley.ingest_batch(), which are SECURITY DEFINER
-- functions of the schema's owner with a fixed search_path (deploy/sql/repeatable/). So a
-- collector's credentials cannot read an event back, change a count by hand, touch the MP
-- list or the settings, or run DDL. Its rights on functions (those two only) are given by
-- deploy/sql/repeatable/90_privileges.sql, which also takes back the views it could write.
--
-- A versioned migration: applied once, never edited.

-- Which agent delivered the event: the batch's peer name today, its CURVE key once the
-- transport is authenticated. Not in any view: an analyst never sees it.
ALTER TABLE parley.event ADD COLUMN delivered_by text;

REVOKE ALL ON ALL TABLES IN SCHEMA parley FROM parley_writer;
GRANT SELECT ON parley.schema_migrations, parley.schema_repeatables TO parley_writer;
