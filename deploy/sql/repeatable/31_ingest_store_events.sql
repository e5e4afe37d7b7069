-- Ingest, step 1: store the batch's new events and the new states of the conversations they
-- touch, and write the signed contributions (the deltas) every later step applies.
-- Repeatable: re-applied (CREATE OR REPLACE) whenever the text of a file in
-- deploy/sql/repeatable/ changes; edit it in place (docs/COLLECTOR.md, "Changing the schema").

-- One statement (its parts all see the tables as they were before it), in stages:
--   first_seen  the first occurrence in the batch of each event_id (narrow: the wide rows,
--               raw and notes, are never sorted or kept in memory);
--   stored      those not stored yet, inserted: the primary key's own probe (ON CONFLICT)
--               decides, so the common case costs one index probe per event; every other
--               occurrence is classified in step 7 (36_ingest_outcomes.sql);
--   accepted    their positions, for the outcomes;
--   names       the association names they give, where later than the one stored;
--   best        per conversation they touch, the batch's best event (greatest reported_at,
--               event_id);
--   newer       those that beat the stored state (found by one probe of the primary key),
--               with that old state;
--   born        conversations never seen: a plain INSERT;
--   replaced    conversations seen before: an upsert, which probes the primary key whatever
--               the plan (this step keeps hash joins for the joins between the batch's own
--               rows);
-- and finally the deltas into pg_temp.parley_delta: -1 for each old state that counted, +1
-- for each new state that counts.
CREATE OR REPLACE FUNCTION parley.ingest_store_events () RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    WITH first_seen AS (
        SELECT event_id, min(ord) AS ord
          FROM pg_temp.parley_incoming
         GROUP BY event_id
    ), stored AS (
        INSERT INTO parley.event (event_id, type, reported_at, occurred_on, association_id,
                                  association_name, constituency_code, stakeholder_role,
                                  stakeholder_name, person_key, party, format, stance, topics,
                                  follow_up, notes, raw, delivered_by)
        SELECT i.event_id, i.type, i.reported_at, i.occurred_on, i.association_id,
               i.association_name, i.constituency_code, i.stakeholder_role, i.stakeholder_name,
               i.person_key, i.party, i.format, i.stance, i.topics, i.follow_up, i.notes, i.raw,
               i.delivered_by
          FROM pg_temp.parley_incoming i
          JOIN first_seen f ON f.ord = i.ord
        ON CONFLICT (event_id) DO NOTHING
        RETURNING event_id, type, reported_at, occurred_on, association_id, association_name,
                  constituency_code, stakeholder_role, stakeholder_name, person_key, party,
                  format, stance, topics, follow_up
    ), accepted AS (
        INSERT INTO pg_temp.parley_accepted (ord)
        SELECT f.ord FROM first_seen f JOIN stored ON stored.event_id = f.event_id
    ), names AS (
        INSERT INTO parley.association_name AS t (association_id, name, reported_at, event_id)
        SELECT DISTINCT ON (association_id) association_id, association_name, reported_at, event_id
          FROM stored
         WHERE association_name IS NOT NULL
         ORDER BY association_id, reported_at DESC, event_id DESC
        ON CONFLICT (association_id) DO UPDATE
           SET name = EXCLUDED.name, reported_at = EXCLUDED.reported_at, event_id = EXCLUDED.event_id
         WHERE (EXCLUDED.reported_at, EXCLUDED.event_id) > (t.reported_at, t.event_id)
    ), best AS (
        SELECT DISTINCT ON (constituency_code, association_id, stakeholder_role, person_key,
                            occurred_on) *
          FROM stored
         ORDER BY constituency_code, association_id, stakeholder_role, person_key, occurred_on,
                  reported_at DESC, event_id DESC
    ), newer AS (
        SELECT n.*, s.event_id IS NOT NULL AS existed,
               coalesce(s.counts, false) AS old_counts, s.stance AS old_stance,
               s.topics AS old_topics, s.follow_up AS old_follow_up, s.format AS old_format,
               s.reported_at AS old_reported_at, s.event_id AS old_event_id
          FROM best n
          LEFT JOIN LATERAL (
               SELECT c.event_id, c.reported_at, c.counts, c.stance, c.topics, c.follow_up, c.format
                 FROM parley.conversation c
                WHERE c.constituency_code = n.constituency_code
                  AND c.association_id = n.association_id
                  AND c.stakeholder_role = n.stakeholder_role AND c.person_key = n.person_key
                  AND c.occurred_on = n.occurred_on
                OFFSET 0) s ON true
         WHERE s.event_id IS NULL OR (n.reported_at, n.event_id) > (s.reported_at, s.event_id)
    ), born AS (
        INSERT INTO parley.conversation
               (constituency_code, association_id, stakeholder_role, person_key, occurred_on,
                event_id, reported_at, counts, stakeholder_name, party, format, stance, topics,
                follow_up)
        SELECT constituency_code, association_id, stakeholder_role, person_key, occurred_on,
               event_id, reported_at, type <> 'conversation.withdrawn', stakeholder_name, party,
               format, stance, topics, follow_up
          FROM newer
         WHERE NOT existed
    ), replaced AS (
        INSERT INTO parley.conversation AS s
               (constituency_code, association_id, stakeholder_role, person_key, occurred_on,
                event_id, reported_at, counts, stakeholder_name, party, format, stance, topics,
                follow_up)
        SELECT constituency_code, association_id, stakeholder_role, person_key, occurred_on,
               event_id, reported_at, type <> 'conversation.withdrawn', stakeholder_name, party,
               format, stance, topics, follow_up
          FROM newer
         WHERE existed
        ON CONFLICT (constituency_code, association_id, stakeholder_role, person_key, occurred_on)
        DO UPDATE SET event_id = EXCLUDED.event_id, reported_at = EXCLUDED.reported_at,
                      counts = EXCLUDED.counts, stakeholder_name = EXCLUDED.stakeholder_name,
                      party = EXCLUDED.party, format = EXCLUDED.format, stance = EXCLUDED.stance,
                      topics = EXCLUDED.topics, follow_up = EXCLUDED.follow_up,
                      updated_at = now()
    )
    INSERT INTO pg_temp.parley_delta
           (constituency_code, association_id, stakeholder_role, person_key, occurred_on,
            stance, topics, follow_up, format, stakeholder_name, reported_at, event_id, sign)
    SELECT constituency_code, association_id, stakeholder_role, person_key, occurred_on,
           old_stance, old_topics, old_follow_up, old_format, NULL, old_reported_at,
           old_event_id, -1
      FROM newer WHERE old_counts
    UNION ALL
    SELECT constituency_code, association_id, stakeholder_role, person_key, occurred_on,
           stance, topics, follow_up, format, stakeholder_name, reported_at, event_id, 1
      FROM newer WHERE type <> 'conversation.withdrawn';
END
$fn$;
