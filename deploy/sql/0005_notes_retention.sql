-- Notes retention (parley-collector --notes-retention-days N, parley-collector retention):
-- the notes of conversations that took place more than N days ago are blanked, in the
-- notes column and in the raw line, by parley.retention_blank_notes()
-- (deploy/sql/repeatable/50_retention.sql). Counts are never touched.
--
-- A versioned migration: applied once, never edited.

-- When the event's notes were blanked; NULL while they are as received. Duplicate
-- detection (36_ingest_outcomes.sql) does not compare the notes of a blanked event, so a
-- later resend of the original line is a duplicate (not a conflict, not counted twice) and
-- its notes are not stored again.
ALTER TABLE parley.event ADD COLUMN notes_blanked_at timestamptz;

-- What the retention scan reads: the events that may still hold notes (in the column, or a
-- "notes" member in the raw line, which a withdrawal also keeps), by the day they took
-- place. Partial, so that an event leaves it once blanked and one that never had notes
-- never enters it: the scan costs the same however large the store grows, and an event
-- without notes costs ingest nothing more than before.
CREATE INDEX event_notes_due ON parley.event (occurred_on)
    WHERE notes_blanked_at IS NULL AND (notes IS NOT NULL OR strpos(raw::text, 'notes') > 0);
