-- Parley analytics (issue 4), its tables and roles: the target's deadline, the sitting MPs
-- reference list, and the two roles with their rights on the tables. The analytics views
-- over them and the ingest functions are in deploy/sql/repeatable/ (docs/ANALYTICS.md
-- documents every view and column).
--
-- A versioned migration: applied once, recorded in parley.schema_migrations with the md5 of
-- its text; never edit it (a change of shape is a new migration).
--
-- History: release 0.1.0 shipped this file with the analytics views, parley.set_target() and
-- the rights on them in it as well (tests/data/release-0.1.0/0002_analytics.sql, md5
-- 8126ef59…). They moved to deploy/sql/repeatable/ (the rights to 90_privileges.sql); what is
-- left here is that text's tables, roles and rights on tables, unchanged, so a database that
-- recorded the 0.1.0 checksum has applied this migration (collector/schema.c accepts it).

-- ---------------------------------------------------------------------------------------
-- Target and deadline
-- ---------------------------------------------------------------------------------------

-- NULL: the end of the current year (31 December), as the campaign's target is "1,000
-- conversations by the end of the year".
ALTER TABLE parley.settings ADD COLUMN deadline date;

-- ---------------------------------------------------------------------------------------
-- Sitting MPs (common/data/mps.csv; refreshed with `parley mps load FILE`)
-- ---------------------------------------------------------------------------------------

-- Loaded by the C code (collector/mps.c), which validates each row and computes person_key
-- with the same folding as the events' stakeholder names, so the two compare exactly.
CREATE TABLE parley.mp (
    constituency_code text PRIMARY KEY REFERENCES parley.constituency (code),
    name              text NOT NULL,
    party             text,
    since             date,
    person_key        text NOT NULL CHECK (person_key <> ''),
    loaded_at         timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------------
-- Roles
-- ---------------------------------------------------------------------------------------
-- parley_writer: what the collector needs on Parley's tables (read and write rows, run the
-- ingest functions), and nothing else: no DDL, no TRUNCATE. parley_analyst: SELECT on the
-- views, nothing else; no base table (so never an event's notes or raw JSON), no writes.
-- Both are NOLOGIN groups: grant them to login roles (GRANT parley_analyst TO alice).
-- Roles belong to the cluster, not to the database, so they may exist already.
DO $do$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['parley_writer', 'parley_analyst'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- created meanwhile by a migration of another database
            END;
        END IF;
    END LOOP;
END
$do$;

REVOKE ALL ON ALL TABLES IN SCHEMA parley FROM PUBLIC;

GRANT USAGE ON SCHEMA parley TO parley_writer, parley_analyst;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA parley TO parley_writer;
-- (Their rights on the views and functions: deploy/sql/repeatable/90_privileges.sql.)
