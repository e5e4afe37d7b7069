-- Ingest, step 0: the session's staging tables, made once per connection by the collector
-- (collector/store.c) before its first batch. parley.ingest_batch() (39_ingest_batch.sql)
-- and its steps read and write them.
-- Repeatable: re-applied (CREATE OR REPLACE) whenever the text of a file in
-- deploy/sql/repeatable/ changes; edit it in place (docs/COLLECTOR.md, "Changing the schema").

-- The session's staging tables for ingest_batch. The collector calls this once per
-- connection; the tables are private to the session and emptied at every commit.
-- SECURITY DEFINER (the schema owner's rights, a fixed search_path): the collector's role,
-- parley_writer, has no right on any table (0004_roles.sql). The staging tables are then the
-- owner's, in the session's own temporary schema; parley_writer may only fill
-- parley_incoming (the collector's COPY) and calls parley.ingest_batch() for the rest.
CREATE OR REPLACE FUNCTION parley.ingest_prepare () RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, parley, pg_temp AS $fn$
BEGIN
    DROP TABLE IF EXISTS pg_temp.parley_incoming;
    DROP TABLE IF EXISTS pg_temp.parley_delta;
    DROP TABLE IF EXISTS pg_temp.parley_accepted;
    DROP TABLE IF EXISTS pg_temp.parley_slow;
    -- One row per checked event of the batch, COPYed by the collector; ord is the event's
    -- position in the batch (arrival order).
    CREATE TEMP TABLE parley_incoming (
        ord               integer NOT NULL,
        event_id          uuid NOT NULL,
        type              text NOT NULL,
        reported_at       timestamptz NOT NULL,
        occurred_on       date NOT NULL,
        association_id    text NOT NULL,
        association_name  text,
        constituency_code text NOT NULL,
        stakeholder_role  text NOT NULL,
        stakeholder_name  text NOT NULL,
        person_key        text NOT NULL,
        party             text,
        format            text,
        stance            smallint,
        topics            text[],
        follow_up         boolean,
        notes             text,
        raw               json NOT NULL,
        delivered_by      text      -- the agent that delivered it (parley.event.delivered_by)
    ) ON COMMIT DELETE ROWS;
    GRANT INSERT ON pg_temp.parley_incoming TO parley_writer;
    -- The positions of the events this batch stored (each event_id's first occurrence, when
    -- not stored before).
    CREATE TEMP TABLE parley_accepted (ord integer NOT NULL) ON COMMIT DELETE ROWS;
    -- The stakeholders whose row the batch cannot merge (step 5, ingest_merge_stakeholders).
    CREATE TEMP TABLE parley_slow (
        constituency_code text NOT NULL,
        stakeholder_role  text NOT NULL,
        person_key        text NOT NULL
    ) ON COMMIT DELETE ROWS;
    -- Signed contributions of the conversations whose state the batch changed: -1 for an
    -- old state that counted, +1 for a new state that counts, each with that state's
    -- attributes and ordering (reported_at, event_id). stakeholder_name is only filled
    -- for +1.
    CREATE TEMP TABLE parley_delta (
        constituency_code text NOT NULL,
        association_id    text NOT NULL,
        stakeholder_role  text NOT NULL,
        person_key        text NOT NULL,
        occurred_on       date NOT NULL,
        stance            smallint,
        topics            text[],
        follow_up         boolean,
        format            text,
        stakeholder_name  text,
        reported_at       timestamptz,
        event_id          uuid,
        sign              integer NOT NULL
    ) ON COMMIT DELETE ROWS;
END
$fn$;
