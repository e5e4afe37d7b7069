-- Ingest, steps 5 and 6: bring the stakeholders' rows (parley.stakeholder_agg) up to date,
-- the common cases by merging the batch's change into the row, the others from the row, the
-- batch's deltas and a few index probes.
-- Repeatable: re-applied (CREATE OR REPLACE) whenever the text of a file in
-- deploy/sql/repeatable/ changes; edit it in place (docs/COLLECTOR.md, "Changing the schema").

-- Step 5. A stakeholder whose only change is one conversation that now counts (the common
-- case: a new conversation), or one conversation of theirs replaced by a later state (an
-- amendment), is merged with their row here: the replaced state's stance, if it was one of
-- the last two, gives way to the new one, which is later. Any other (a withdrawal, several
-- conversations at once, or an amendment that takes away one of the last two recorded
-- stances) is noted in pg_temp.parley_slow for step 6.
-- Only nested loops (the SET clause, for the call): this step joins the batch's groups
-- (small) to probes of an aggregate table, and PL/pgSQL keeps the plan it made for the
-- session's first batch, when the tables may have been empty; no plan made then may read a
-- whole table in every later batch.
CREATE OR REPLACE FUNCTION parley.ingest_merge_stakeholders () RETURNS void
LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off SET enable_memoize = off
AS $fn$
BEGIN
    WITH g AS (
        -- For a group of one row, max() is that row's value; an amendment is one -1 and one
        -- +1 row of the same conversation, told apart by FILTER.
        SELECT constituency_code, stakeholder_role, person_key,
               CASE WHEN count(*) = 1 AND min(sign) > 0 THEN 'add'
                    WHEN count(*) = 2 AND min(sign) < 0 AND max(sign) > 0
                         AND min(association_id) = max(association_id)
                         AND min(occurred_on) = max(occurred_on) THEN 'amend'
               END AS kind,
               max(occurred_on) AS occurred_on,
               max(reported_at) FILTER (WHERE sign > 0) AS reported_at,
               max(event_id::text) FILTER (WHERE sign > 0) AS event_id,
               max(stakeholder_name) FILTER (WHERE sign > 0) AS name,
               max(association_id) AS association_id,
               max(stance) FILTER (WHERE sign > 0) AS stance,
               coalesce(bool_or(follow_up) FILTER (WHERE sign > 0), false)::integer AS follow_up,
               max(reported_at) FILTER (WHERE sign < 0) AS old_reported_at,
               max(event_id::text) FILTER (WHERE sign < 0) AS old_event_id,
               max(stance) FILTER (WHERE sign < 0) AS old_stance,
               coalesce(bool_or(follow_up) FILTER (WHERE sign < 0), false)::integer AS old_follow_up
          FROM pg_temp.parley_delta
         GROUP BY constituency_code, stakeholder_role, person_key
    ), one AS (
        SELECT g.constituency_code, g.stakeholder_role, g.person_key, g.kind, g.occurred_on,
               g.reported_at, g.event_id::uuid AS event_id, g.name, g.association_id, g.stance,
               g.follow_up, g.old_follow_up, e.tid,
               CASE WHEN g.stance IS NOT NULL
                    THEN ROW(g.occurred_on, g.reported_at, g.event_id::uuid, g.stance)::parley.stance_mark
               END AS mark,
               CASE WHEN g.old_stance IS NOT NULL
                    THEN ROW(g.occurred_on, g.old_reported_at, g.old_event_id::uuid, g.old_stance)::parley.stance_mark
               END AS old_mark,
               e.latest, e.previous
          FROM g
          LEFT JOIN LATERAL (
               SELECT x.ctid AS tid, x.latest, x.previous FROM parley.stakeholder_agg x
                WHERE x.constituency_code = g.constituency_code
                  AND x.stakeholder_role = g.stakeholder_role AND x.person_key = g.person_key
                OFFSET 0) e ON true
         WHERE g.kind IS NOT NULL
    ), fast AS (
        SELECT * FROM one
         WHERE NOT (old_mark IS NOT NULL AND mark IS NULL
                    AND (old_mark = latest OR old_mark = previous))
    ), merged AS (
        -- The name is taken when this conversation is later than the one it came from; the
        -- association is added when it has not spoken to the stakeholder before. (An
        -- amendment keeps the day and the association, so only name, stances and open
        -- follow-ups can change.)
        UPDATE parley.stakeholder_agg AS s SET
               conversations = s.conversations + CASE WHEN o.kind = 'add' THEN 1 ELSE 0 END,
               name = CASE WHEN s.name_event_id IS NULL
                                OR (o.occurred_on, o.reported_at, o.event_id)
                                   > (s.last_on, s.name_reported_at, s.name_event_id)
                           THEN o.name ELSE s.name END,
               name_reported_at = CASE WHEN s.name_event_id IS NULL
                                            OR (o.occurred_on, o.reported_at, o.event_id)
                                               > (s.last_on, s.name_reported_at, s.name_event_id)
                                       THEN o.reported_at ELSE s.name_reported_at END,
               name_event_id = CASE WHEN s.name_event_id IS NULL
                                         OR (o.occurred_on, o.reported_at, o.event_id)
                                            > (s.last_on, s.name_reported_at, s.name_event_id)
                                    THEN o.event_id ELSE s.name_event_id END,
               association_ids = CASE WHEN o.association_id = ANY (s.association_ids)
                                      THEN s.association_ids
                                      ELSE ARRAY(SELECT x FROM unnest(s.association_ids || o.association_id) x
                                                  ORDER BY x) END,
               associations = CASE WHEN o.association_id = ANY (s.association_ids)
                                   THEN s.associations ELSE s.associations + 1 END,
               -- the replaced stance's place (if it had one of the two) goes to the new,
               -- later one; otherwise the new stance is merged in
               latest = CASE WHEN o.old_mark = s.latest THEN o.mark
                             WHEN o.old_mark = s.previous
                             THEN CASE WHEN o.mark > s.latest THEN o.mark ELSE s.latest END
                             WHEN o.mark IS NULL THEN s.latest
                             WHEN s.latest IS NULL OR o.mark > s.latest THEN o.mark
                             ELSE s.latest END,
               previous = CASE WHEN o.old_mark = s.latest THEN s.previous
                               WHEN o.old_mark = s.previous
                               THEN CASE WHEN o.mark > s.latest THEN s.latest ELSE o.mark END
                               WHEN o.mark IS NULL THEN s.previous
                               WHEN s.latest IS NULL OR o.mark > s.latest THEN s.latest
                               WHEN s.previous IS NULL OR o.mark > s.previous THEN o.mark
                               ELSE s.previous END,
               first_on = least(s.first_on, o.occurred_on),
               last_on = greatest(s.last_on, o.occurred_on),
               open_follow_ups = CASE WHEN s.last_on IS NULL OR o.occurred_on > s.last_on
                                      THEN o.follow_up
                                      WHEN o.occurred_on = s.last_on
                                      THEN s.open_follow_ups + o.follow_up - o.old_follow_up
                                      ELSE s.open_follow_ups END
          FROM fast o
         WHERE s.ctid = o.tid
    ), born AS (
        INSERT INTO parley.stakeholder_agg
               (constituency_code, stakeholder_role, person_key, name, name_reported_at,
                name_event_id, conversations, associations, association_ids, latest, previous,
                first_on, last_on, open_follow_ups)
        SELECT o.constituency_code, o.stakeholder_role, o.person_key, o.name, o.reported_at,
               o.event_id, 1, 1, ARRAY[o.association_id], o.mark, NULL,
               o.occurred_on, o.occurred_on, o.follow_up
          FROM fast o
         WHERE o.tid IS NULL
    )
    INSERT INTO pg_temp.parley_slow (constituency_code, stakeholder_role, person_key)
    SELECT constituency_code, stakeholder_role, person_key FROM g WHERE kind IS NULL
    UNION ALL
    SELECT constituency_code, stakeholder_role, person_key FROM one
     WHERE old_mark IS NOT NULL AND mark IS NULL AND (old_mark = latest OR old_mark = previous);
END
$fn$;

-- Step 6, only for the stakeholders step 5 noted: each from their stored row, this batch's
-- changes (pg_temp.parley_delta) and a few probes of conversation_stakeholder, whose order
-- (day, then reported_at and event_id, among the conversations that count) gives the latest
-- conversation, the first day and the last two stances by reading one or two entries: the
-- cost does not grow with how many conversations the stakeholder has. The count changes by
-- the delta; an association goes when a probe finds no conversation of it with the
-- stakeholder that still counts; the last two stances are read again only if a removed one
-- was among them. Planned with the session's join settings (hash joins allowed).
CREATE OR REPLACE FUNCTION parley.ingest_rebuild_stakeholders () RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    WITH d AS (
        SELECT d.constituency_code, d.stakeholder_role, d.person_key,
               sum(d.sign)::integer AS net,
               array_agg(DISTINCT d.association_id) FILTER (WHERE d.sign > 0) AS added,
               array_agg(DISTINCT d.association_id) FILTER (WHERE d.sign < 0) AS removed,
               array_agg(ROW(d.occurred_on, d.reported_at, d.event_id, d.stance)::parley.stance_mark)
                   FILTER (WHERE d.sign < 0 AND d.stance IS NOT NULL) AS gone,
               array_agg(ROW(d.occurred_on, d.reported_at, d.event_id, d.stance)::parley.stance_mark)
                   FILTER (WHERE d.sign > 0 AND d.stance IS NOT NULL) AS came
          FROM pg_temp.parley_delta d
          JOIN (SELECT DISTINCT * FROM pg_temp.parley_slow) k
            ON k.constituency_code = d.constituency_code
           AND k.stakeholder_role = d.stakeholder_role AND k.person_key = d.person_key
         GROUP BY d.constituency_code, d.stakeholder_role, d.person_key
    )
    INSERT INTO parley.stakeholder_agg AS s
           (constituency_code, stakeholder_role, person_key, name, name_reported_at,
            name_event_id, conversations, associations, association_ids, latest, previous,
            first_on, last_on, open_follow_ups)
    SELECT d.constituency_code, d.stakeholder_role, d.person_key, t.stakeholder_name,
           t.reported_at, t.event_id, coalesce(e.conversations, 0) + d.net,
           coalesce(cardinality(a.ids), 0), a.ids, m.marks[1], m.marks[2], f.occurred_on,
           t.occurred_on, coalesce(o.n, 0)
      FROM d
      LEFT JOIN LATERAL (
           SELECT x.conversations, x.association_ids, x.latest, x.previous
             FROM parley.stakeholder_agg x
            WHERE x.constituency_code = d.constituency_code
              AND x.stakeholder_role = d.stakeholder_role AND x.person_key = d.person_key
            OFFSET 0) e ON true
      LEFT JOIN LATERAL (
           SELECT c.occurred_on, c.reported_at, c.event_id, c.stakeholder_name
             FROM parley.conversation c
            WHERE c.constituency_code = d.constituency_code
              AND c.stakeholder_role = d.stakeholder_role AND c.person_key = d.person_key
              AND c.counts
            ORDER BY c.occurred_on DESC, c.reported_at DESC, c.event_id DESC
            LIMIT 1) t ON true
      LEFT JOIN LATERAL (
           SELECT c.occurred_on
             FROM parley.conversation c
            WHERE c.constituency_code = d.constituency_code
              AND c.stakeholder_role = d.stakeholder_role AND c.person_key = d.person_key
              AND c.counts
            ORDER BY c.occurred_on
            LIMIT 1) f ON true
      LEFT JOIN LATERAL (
           SELECT count(*)::integer AS n
             FROM parley.conversation c
            WHERE c.constituency_code = d.constituency_code
              AND c.stakeholder_role = d.stakeholder_role AND c.person_key = d.person_key
              AND c.counts AND c.occurred_on = t.occurred_on AND c.follow_up) o ON true
     CROSS JOIN LATERAL (
           SELECT CASE
                  WHEN d.gone && ARRAY[e.latest, e.previous]
                  THEN (SELECT array_agg(r.mark ORDER BY r.mark DESC)
                          FROM (SELECT ROW(c.occurred_on, c.reported_at, c.event_id,
                                           c.stance)::parley.stance_mark AS mark
                                  FROM parley.conversation c
                                 WHERE c.constituency_code = d.constituency_code
                                   AND c.stakeholder_role = d.stakeholder_role
                                   AND c.person_key = d.person_key AND c.counts
                                   AND c.stance IS NOT NULL
                                 ORDER BY c.occurred_on DESC, c.reported_at DESC, c.event_id DESC
                                 LIMIT 2) r)
                  ELSE (SELECT array_agg(u.mark ORDER BY u.mark DESC)
                          FROM (SELECT DISTINCT x AS mark
                                  FROM unnest(ARRAY[e.latest, e.previous] || d.came) x
                                 WHERE x IS NOT NULL) u)
                  END AS marks) m
     CROSS JOIN LATERAL (
           SELECT array_agg(u.id ORDER BY u.id) AS ids
             FROM (SELECT DISTINCT x AS id
                     FROM unnest(coalesce(e.association_ids, '{}') || coalesce(d.added, '{}')) x) u
            WHERE NOT u.id = ANY (coalesce(d.removed, '{}'))
               -- by the primary key's prefix (constituency, association, role, person),
               -- never by reading every conversation of the stakeholder: coalesce() keeps
               -- the planner off conversation_stakeholder (partial on counts), OFFSET 0
               -- from turning the EXISTS into a hashed list of their associations
               OR EXISTS (SELECT 1 FROM parley.conversation c
                           WHERE c.constituency_code = d.constituency_code
                             AND c.association_id = u.id
                             AND c.stakeholder_role = d.stakeholder_role
                             AND c.person_key = d.person_key
                             AND coalesce(c.counts, false)
                          OFFSET 0)) a
    ON CONFLICT (constituency_code, stakeholder_role, person_key) DO UPDATE
       SET name = coalesce(EXCLUDED.name, s.name), name_reported_at = EXCLUDED.name_reported_at,
           name_event_id = EXCLUDED.name_event_id, conversations = EXCLUDED.conversations,
           associations = EXCLUDED.associations, association_ids = EXCLUDED.association_ids,
           latest = EXCLUDED.latest, previous = EXCLUDED.previous,
           first_on = EXCLUDED.first_on, last_on = EXCLUDED.last_on,
           open_follow_ups = EXCLUDED.open_follow_ups;
END
$fn$;
