-- Ingest: parley.ingest_batch(), which the collector calls once per batch, after COPYing
-- the batch into pg_temp.parley_incoming (collector/store.c). It runs the steps of
-- 31_…–36_… in order; each file says what its step does and why.
-- Repeatable: re-applied (CREATE OR REPLACE) whenever the text of a file in
-- deploy/sql/repeatable/ changes; edit it in place (docs/COLLECTOR.md, "Changing the schema").

-- Stores the batch staged in pg_temp.parley_incoming and brings the conversations and every
-- aggregate table up to date, set-based: a fixed handful of statements whatever the batch's
-- size. Returns one row per staged event: accepted, duplicate, or rejected with the reason.
--
-- Exactness does not depend on arrival order: a conversation's state is the event with the
-- greatest (reported_at, event_id) among all its accepted events, so each batch only has
-- to compare its own best candidate with the stored state; the aggregates change by the
-- difference between the old and the new state's contributions (pg_temp.parley_delta).
--
-- Cost does not depend on the store's size: every row a batch reads or writes in a large
-- table is found by one probe of its primary key, never by a scan. Where the plan could
-- otherwise go wrong it is pinned: a LATERAL subquery with OFFSET 0 is always a probe per
-- outer row, and the aggregate rows found that way are then updated by their ctid (a TID
-- scan, no second probe); new ones are plain INSERTs (writers take turns under the
-- advisory lock, so nothing else inserts meanwhile). The few values a removal can move
-- inwards (earliest and latest days, a stakeholder's latest name and stances) are found
-- again, by index, only where a removal did move them.
--
-- The steps:
--   1 ingest_store_events          new events, association names, conversation states, deltas
--   2 ingest_apply_constituencies  the deltas per (constituency, association) and constituency
--   3 ingest_apply_topics_and_days the deltas per (constituency, topic) and per day
--   4 ingest_settle_removals       days and empty rows a removal left (only after a removal)
--   5 ingest_merge_stakeholders    stakeholders changed in one simple way, merged
--   6 ingest_rebuild_stakeholders  the other stakeholders, from probes (only if there are any)
--   7 ingest_outcomes              accepted, duplicate or rejected, per staged event
-- Each later step reads the deltas step 1 wrote. Step 4 finishes what 2 and 3 left (days
-- set NULL, rows at 0), step 6 what 5 left (pg_temp.parley_slow); the stakeholder steps
-- touch none of the tables of steps 2 to 4.
CREATE OR REPLACE FUNCTION parley.ingest_batch ()
RETURNS TABLE (ord integer, outcome text, reason text)
-- The owner's rights, as ingest_prepare (30_ingest_prepare.sql): the steps it calls run with
-- them, and parley_writer may call this and ingest_prepare() only (90_privileges.sql).
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, parley, pg_temp AS $fn$
BEGIN
    -- Writers take turns (two collectors on one database stay exact); the lock lasts until
    -- the transaction ends, so the next writer sees everything this one stored. The
    -- collector also takes it (collector/schema.c) while it replaces these functions.
    PERFORM pg_advisory_xact_lock(8097879414873325569);
    -- The staging tables must be the ones parley.ingest_prepare() made, this function's
    -- owner's: a table of the caller's own by one of these names, made in its temporary
    -- schema beforehand, could carry a trigger that would run here with the owner's rights.
    IF (SELECT count(*) FROM pg_catalog.pg_class c
         WHERE c.relnamespace = pg_catalog.pg_my_temp_schema()
           AND c.relname IN ('parley_incoming', 'parley_delta', 'parley_accepted', 'parley_slow')
           AND c.relowner = (SELECT r.oid FROM pg_catalog.pg_roles r
                              WHERE r.rolname = current_user)) <> 4 THEN
        RAISE EXCEPTION 'staging tables not made by parley.ingest_prepare()'
              USING ERRCODE = 'insufficient_privilege',
                    HINT = 'call parley.ingest_prepare() once per session first';
    END IF;
    DELETE FROM pg_temp.parley_delta;
    DELETE FROM pg_temp.parley_accepted;
    DELETE FROM pg_temp.parley_slow;

    PERFORM parley.ingest_store_events();
    PERFORM parley.ingest_apply_constituencies();
    PERFORM parley.ingest_apply_topics_and_days();
    IF EXISTS (SELECT 1 FROM pg_temp.parley_delta d WHERE d.sign < 0) THEN
        PERFORM parley.ingest_settle_removals();
    END IF;
    PERFORM parley.ingest_merge_stakeholders();
    IF EXISTS (SELECT 1 FROM pg_temp.parley_slow) THEN
        PERFORM parley.ingest_rebuild_stakeholders();
    END IF;
    RETURN QUERY SELECT * FROM parley.ingest_outcomes();
END
$fn$;
