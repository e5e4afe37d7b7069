-- Ingest, step 2: apply the deltas to the (constituency, association) pairs and to the
-- constituencies, whose associations count their pairs.
-- Repeatable: re-applied (CREATE OR REPLACE) whenever the text of a file in
-- deploy/sql/repeatable/ changes; edit it in place (docs/COLLECTOR.md, "Changing the schema").

-- A pair row made is one more association for its constituency, a pair whose count falls
-- to 0 one fewer. Earliest and latest days widen with what now counts; where a removal took
-- away the earliest (latest) day and nothing as early (late) came, the day is set NULL here
-- and found again by step 4 (34_ingest_settle_removals.sql). One statement: its parts all
-- see the tables as they were before it.
-- Only nested loops (the SET clause, for the call): this step joins the batch's groups
-- (small) to probes of an aggregate table, and PL/pgSQL keeps the plan it made for the
-- session's first batch, when the tables may have been empty; no plan made then may read a
-- whole table in every later batch.
CREATE OR REPLACE FUNCTION parley.ingest_apply_constituencies () RETURNS void
LANGUAGE plpgsql
SET enable_hashjoin = off SET enable_mergejoin = off SET enable_memoize = off
AS $fn$
BEGIN
    WITH pair AS (
        SELECT constituency_code, association_id,
               sum(sign)::integer AS n,
               coalesce(sum(sign) FILTER (WHERE stakeholder_role = 'mp'), 0)::integer AS mp,
               min(occurred_on) FILTER (WHERE sign > 0) AS lo,
               max(occurred_on) FILTER (WHERE sign > 0) AS hi,
               min(occurred_on) FILTER (WHERE sign < 0) AS gone_lo,
               max(occurred_on) FILTER (WHERE sign < 0) AS gone_hi
          FROM pg_temp.parley_delta
         GROUP BY constituency_code, association_id
    ), p AS (
        SELECT pair.*, e.tid, e.conversations AS was, e.first_on, e.last_on
          FROM pair
          LEFT JOIN LATERAL (
               SELECT x.ctid AS tid, x.conversations, x.first_on, x.last_on
                 FROM parley.association_constituency x
                WHERE x.constituency_code = pair.constituency_code
                  AND x.association_id = pair.association_id
                OFFSET 0) e ON true
    ), up AS (
        UPDATE parley.association_constituency AS t
           SET conversations = t.conversations + p.n,
               mp_conversations = t.mp_conversations + p.mp,
               first_on = CASE WHEN p.gone_lo = t.first_on AND (p.lo IS NULL OR p.lo > t.first_on)
                               THEN NULL ELSE least(t.first_on, p.lo) END,
               last_on = CASE WHEN p.gone_hi = t.last_on AND (p.hi IS NULL OR p.hi < t.last_on)
                              THEN NULL ELSE greatest(t.last_on, p.hi) END
          FROM p
         WHERE t.ctid = p.tid
           -- an amendment within one pair changes nothing here: no write
           AND (p.n <> 0 OR p.mp <> 0 OR p.lo < p.first_on OR p.hi > p.last_on
                OR p.gone_lo = p.first_on OR p.gone_hi = p.last_on)
    ), made AS (
        -- (A pair with a removal exists: its conversation counted.)
        INSERT INTO parley.association_constituency
               (constituency_code, association_id, conversations, mp_conversations, first_on, last_on)
        SELECT constituency_code, association_id, n, mp, lo, hi
          FROM p
         WHERE tid IS NULL AND n > 0
    ), d AS (
        -- The pairs made and emptied come in as rows of sign 0 that count one association
        -- more or fewer (k).
        SELECT constituency_code,
               sum(sign) AS conversations,
               coalesce(sum(sign) FILTER (WHERE stakeholder_role = 'mp'), 0) AS mp,
               coalesce(sum(sign) FILTER (WHERE stakeholder_role = 'councillor'), 0) AS councillor,
               coalesce(sum(sign) FILTER (WHERE stakeholder_role = 'peer'), 0) AS peer,
               coalesce(sum(sign) FILTER (WHERE stakeholder_role = 'mayor'), 0) AS mayor,
               coalesce(sum(sign) FILTER (WHERE stakeholder_role = 'official'), 0) AS official,
               coalesce(sum(sign) FILTER (WHERE stakeholder_role = 'opinion_former'), 0) AS opinion_former,
               coalesce(sum(sign) FILTER (WHERE stance = -2), 0) AS opposed,
               coalesce(sum(sign) FILTER (WHERE stance = -1), 0) AS sceptical,
               coalesce(sum(sign) FILTER (WHERE stance = 0), 0) AS neutral,
               coalesce(sum(sign) FILTER (WHERE stance = 1), 0) AS supportive,
               coalesce(sum(sign) FILTER (WHERE stance = 2), 0) AS champion,
               coalesce(sum(sign) FILTER (WHERE stance IS NULL), 0) AS unknown,
               coalesce(sum(sign * stance), 0) AS stance_sum,
               coalesce(sum(sign) FILTER (WHERE follow_up), 0) AS follow_ups,
               min(occurred_on) FILTER (WHERE sign > 0) AS lo,
               max(occurred_on) FILTER (WHERE sign > 0) AS hi,
               min(occurred_on) FILTER (WHERE sign < 0) AS gone_lo,
               max(occurred_on) FILTER (WHERE sign < 0) AS gone_hi,
               sum(k)::integer AS associations
          FROM (SELECT constituency_code, sign, stakeholder_role, stance, follow_up, occurred_on,
                       0 AS k
                  FROM pg_temp.parley_delta
                UNION ALL
                SELECT constituency_code, 0, NULL, NULL, NULL, NULL, 1
                  FROM p WHERE tid IS NULL AND n > 0
                UNION ALL
                SELECT constituency_code, 0, NULL, NULL, NULL, NULL, -1
                  FROM p WHERE tid IS NOT NULL AND was + n = 0) x
         GROUP BY constituency_code
    ), dc AS (
        SELECT d.*, e.tid
          FROM d
          LEFT JOIN LATERAL (
               SELECT a.ctid AS tid FROM parley.constituency_agg a
                WHERE a.constituency_code = d.constituency_code OFFSET 0) e ON true
    ), seeded AS (
        -- The collector seeds a row per constituency; one missing (deleted by hand) is made
        -- here rather than have its deltas dropped.
        INSERT INTO parley.constituency_agg
               (constituency_code, conversations, mp_conversations, councillor_conversations,
                peer_conversations, mayor_conversations, official_conversations,
                opinion_former_conversations, stance_opposed, stance_sceptical, stance_neutral,
                stance_supportive, stance_champion, stance_unknown, stance_sum, follow_ups,
                associations, first_on, last_on)
        SELECT constituency_code, conversations, mp, councillor, peer, mayor, official,
               opinion_former, opposed, sceptical, neutral, supportive, champion, unknown,
               stance_sum, follow_ups, associations, lo, hi
          FROM dc WHERE tid IS NULL
    )
    UPDATE parley.constituency_agg AS a SET
           conversations = a.conversations + d.conversations,
           mp_conversations = a.mp_conversations + d.mp,
           councillor_conversations = a.councillor_conversations + d.councillor,
           peer_conversations = a.peer_conversations + d.peer,
           mayor_conversations = a.mayor_conversations + d.mayor,
           official_conversations = a.official_conversations + d.official,
           opinion_former_conversations = a.opinion_former_conversations + d.opinion_former,
           stance_opposed = a.stance_opposed + d.opposed,
           stance_sceptical = a.stance_sceptical + d.sceptical,
           stance_neutral = a.stance_neutral + d.neutral,
           stance_supportive = a.stance_supportive + d.supportive,
           stance_champion = a.stance_champion + d.champion,
           stance_unknown = a.stance_unknown + d.unknown,
           stance_sum = a.stance_sum + d.stance_sum,
           follow_ups = a.follow_ups + d.follow_ups,
           associations = a.associations + d.associations,
           first_on = CASE WHEN d.gone_lo = a.first_on AND (d.lo IS NULL OR d.lo > a.first_on)
                           THEN NULL ELSE least(a.first_on, d.lo) END,
           last_on = CASE WHEN d.gone_hi = a.last_on AND (d.hi IS NULL OR d.hi < a.last_on)
                          THEN NULL ELSE greatest(a.last_on, d.hi) END
      FROM dc d
     WHERE a.ctid = d.tid;
END
$fn$;
