-- Notes retention: blanks the notes of the events of conversations that took place more
-- than p_days days ago (occurred_on before today, UTC, minus p_days), at most p_limit events
-- per call, oldest first; returns how many it blanked (0: none left). The collector calls it
-- in a loop, one short transaction per call, so that ingest waits at most one call
-- (collector/retention.c). Repeatable: re-applied (CREATE OR REPLACE) whenever the text of a
-- file in deploy/sql/repeatable/ changes.
--
-- Blanked means: the notes column set to NULL, the top-level "notes" member removed from
-- the raw line (raw is then re-serialised by PostgreSQL: the same members and values, in
-- jsonb's order and spacing), notes_blanked_at set. Every other column, the conversation
-- states and the aggregates are left as they are: every count stays exact. An event whose
-- raw line only mentions "notes" elsewhere (an unknown member) is marked, its raw kept.
CREATE OR REPLACE FUNCTION parley.retention_blank_notes (p_days integer, p_limit integer)
RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    blanked integer;
BEGIN
    WITH due AS (
        SELECT event_id
          FROM parley.event
         WHERE notes_blanked_at IS NULL
           AND (notes IS NOT NULL OR strpos(raw::text, 'notes') > 0)
           AND occurred_on < (now() AT TIME ZONE 'UTC')::date - p_days
         ORDER BY occurred_on
         LIMIT p_limit
           FOR UPDATE SKIP LOCKED
    )
    UPDATE parley.event e
       SET notes = NULL,
           raw = CASE WHEN e.raw::jsonb ? 'notes' THEN (e.raw::jsonb - 'notes')::json ELSE e.raw END,
           notes_blanked_at = now()
      FROM due
     WHERE e.event_id = due.event_id;
    GET DIAGNOSTICS blanked = ROW_COUNT;
    RETURN blanked;
END
$fn$;
