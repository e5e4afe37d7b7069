-- The record of the repeatable files (deploy/sql/repeatable/*.sql: the views and functions),
-- one row per file with the md5 of the text last applied. The collector compares it with its
-- compiled-in files on every start and, if any differs (or one was added or removed),
-- applies them all again in name order, in one transaction, and rewrites these rows
-- (collector/schema.c). So a start that changes nothing writes nothing and needs no DDL
-- right: a collector running as parley_writer reads this table and goes on.
--
-- A versioned migration: applied once, never edited.

CREATE TABLE parley.schema_repeatables (
    name       text PRIMARY KEY,            -- file name, e.g. 30_ingest_batch.sql
    checksum   text NOT NULL,               -- md5 of the text applied
    applied_at timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT ON parley.schema_repeatables TO parley_writer;
