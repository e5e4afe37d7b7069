-- Ingest, step 7: one outcome per staged event, what the collector answers the agent.
-- Repeatable: re-applied (CREATE OR REPLACE) whenever the text of a file in
-- deploy/sql/repeatable/ changes; edit it in place (docs/COLLECTOR.md, "Changing the schema").

-- Accepted: what step 1 stored. Any other occurrence (an event_id stored before, or seen
-- earlier in the batch) is a duplicate when its content (every normalised field, not the
-- raw text) equals the stored event's, else rejected as a conflict: the first one stays.
-- The notes of an event blanked by notes retention (50_retention.sql) are not compared: a
-- resend of its original line is a duplicate, and its notes are not stored again.
CREATE OR REPLACE FUNCTION parley.ingest_outcomes ()
RETURNS TABLE (ord integer, outcome text, reason text)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT a.ord, 'accepted'::text, NULL::text FROM pg_temp.parley_accepted a;
    RETURN QUERY
    SELECT i.ord,
           CASE WHEN same THEN 'duplicate' ELSE 'rejected' END,
           CASE WHEN NOT same
                THEN 'conflict: event_id ' || i.event_id || ' already stored with different content'
           END
      FROM pg_temp.parley_incoming i
      CROSS JOIN LATERAL (SELECT x.* FROM parley.event x WHERE x.event_id = i.event_id OFFSET 0) e
      CROSS JOIN LATERAL (
          SELECT (i.type, i.reported_at, i.occurred_on, i.association_id, i.association_name,
                  i.constituency_code, i.stakeholder_role, i.stakeholder_name, i.party, i.format,
                  i.stance, i.topics, i.follow_up, i.notes)
                 IS NOT DISTINCT FROM
                 (e.type, e.reported_at, e.occurred_on, e.association_id, e.association_name,
                  e.constituency_code, e.stakeholder_role, e.stakeholder_name, e.party, e.format,
                  e.stance, e.topics, e.follow_up,
                  CASE WHEN e.notes_blanked_at IS NULL THEN e.notes ELSE i.notes END) AS same) cmp
     WHERE NOT EXISTS (SELECT 1 FROM pg_temp.parley_accepted a WHERE a.ord = i.ord);
END
$fn$;
