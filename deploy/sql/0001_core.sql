-- Parley core schema: every accepted event, the current state of each conversation, and the
-- aggregate tables the collector keeps up to date by deltas (those behind the four core
-- views and those behind the analytics views). docs/COLLECTOR.md describes every table and
-- column.
--
-- A versioned migration: applied once by the collector (collector/schema.c) inside a
-- transaction, under an advisory lock, and recorded in parley.schema_migrations with the md5
-- of its text. Never edit it: a change of shape is a new migration (0004_…). The views and
-- functions over these tables are code and live in deploy/sql/repeatable/, re-applied
-- whenever their text changes.
--
-- History: release 0.1.0 shipped this file with the four core views and the ingest
-- functions in it as well (tests/data/release-0.1.0/0001_core.sql, md5 a21d4acf…). They
-- moved to deploy/sql/repeatable/; what is left here is that text's tables, types and index,
-- unchanged, so a database that recorded the 0.1.0 checksum has applied this migration
-- (collector/schema.c accepts that checksum; tests/integration/test_upgrade.py proves the
-- upgraded schema equals a new one).

CREATE SCHEMA IF NOT EXISTS parley;

-- The 650 Westminster constituencies of 2024. Seeded (upserted) by the collector on every
-- start from the compiled-in common/data/constituencies-2024.csv.
CREATE TABLE parley.constituency (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    country     text NOT NULL,
    region      text NOT NULL,
    region_code text NOT NULL,
    hex_q       integer NOT NULL,
    hex_r       integer NOT NULL
);

-- One row of settings. The target is the number of conversations the campaign aims for:
--   UPDATE parley.settings SET target = 1500;
CREATE TABLE parley.settings (
    id     boolean PRIMARY KEY DEFAULT true CHECK (id),
    target integer NOT NULL DEFAULT 1000 CHECK (target > 0)
);
INSERT INTO parley.settings DEFAULT VALUES;

-- Every accepted event, as checked and normalised by the collector, with the original line
-- (unknown fields kept). For a withdrawal the attribute columns (format … notes) are NULL:
-- a withdrawal's attributes are ignored, not validated. raw is json, not jsonb: the line is
-- kept exactly as received, and PostgreSQL only checks it is JSON instead of building a
-- binary tree of it (nothing reads inside raw; duplicates are told by the normalised
-- columns). The primary key is the only index: every event costs one index insertion.
CREATE TABLE parley.event (
    event_id          uuid PRIMARY KEY,
    type              text NOT NULL CHECK (type IN ('conversation.reported', 'conversation.amended',
                                                    'conversation.withdrawn')),
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
    stance            smallint CHECK (stance BETWEEN -2 AND 2),
    topics            text[],
    follow_up         boolean,
    notes             text,
    raw               json NOT NULL,
    received_at       timestamptz NOT NULL DEFAULT now()
);

-- The current state of each conversation: the accepted event with the greatest
-- (reported_at, event_id) among those with this key. counts is false when that event is a
-- withdrawal; the attribute columns are then NULL. Only the key columns are indexed, so
-- that a conversation whose state changes is updated in place (a HOT update: no index
-- entry rewritten); fillfactor leaves room on each page for that.
CREATE TABLE parley.conversation (
    constituency_code text NOT NULL,
    association_id    text NOT NULL,
    stakeholder_role  text NOT NULL,
    person_key        text NOT NULL,
    occurred_on       date NOT NULL,
    event_id          uuid NOT NULL,
    reported_at       timestamptz NOT NULL,
    counts            boolean NOT NULL,
    stakeholder_name  text NOT NULL,
    party             text,
    format            text,
    stance            smallint,
    topics            text[],
    follow_up         boolean,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (constituency_code, association_id, stakeholder_role, person_key, occurred_on)
) WITH (fillfactor = 90);

-- A stakeholder's conversations that count, latest last: for bringing their stakeholder_agg
-- row up to date when it cannot be merged (one of them withdrawn, say) by reading one or
-- two entries (the latest, the first, the last two stances). Partial, so that it holds
-- only what counts and that the look-up of a conversation by its key can only use the
-- primary key.
CREATE INDEX conversation_stakeholder ON parley.conversation
    (constituency_code, stakeholder_role, person_key, occurred_on, reported_at, event_id)
    WHERE counts;

-- ---------------------------------------------------------------------------------------
-- Aggregates over the conversations that count
-- ---------------------------------------------------------------------------------------
-- All are kept by parley.ingest_batch, in the transaction that stores the events, from
-- the signed contributions of the conversations whose state the batch changed (-1 for an
-- old state that counted, +1 for a new state that counts), grouped per row of each table:
-- existing rows by UPDATE, new ones by INSERT (writers take turns under an advisory lock,
-- so nothing else inserts meanwhile). An UPDATE's CHECK sees the resulting row, so the
-- CHECKs below guard the invariant that no count goes below zero. Rows whose count
-- returns to 0 are deleted (except constituency_agg and stakeholder_agg). The generous
-- fillfactors let an updated row stay on its page (HOT): no index entry is rewritten.

-- Per constituency; a row for every constituency (seeded with them by the collector).
-- first_on/last_on: the earliest and latest day that counts.
CREATE TABLE parley.constituency_agg (
    constituency_code            text PRIMARY KEY REFERENCES parley.constituency (code),
    conversations                integer NOT NULL DEFAULT 0,
    mp_conversations             integer NOT NULL DEFAULT 0,
    councillor_conversations     integer NOT NULL DEFAULT 0,
    peer_conversations           integer NOT NULL DEFAULT 0,
    mayor_conversations          integer NOT NULL DEFAULT 0,
    official_conversations       integer NOT NULL DEFAULT 0,
    opinion_former_conversations integer NOT NULL DEFAULT 0,
    stance_opposed               integer NOT NULL DEFAULT 0,
    stance_sceptical             integer NOT NULL DEFAULT 0,
    stance_neutral               integer NOT NULL DEFAULT 0,
    stance_supportive            integer NOT NULL DEFAULT 0,
    stance_champion              integer NOT NULL DEFAULT 0,
    stance_unknown               integer NOT NULL DEFAULT 0,
    stance_sum                   bigint NOT NULL DEFAULT 0,
    follow_ups                   integer NOT NULL DEFAULT 0,
    associations                 integer NOT NULL DEFAULT 0,
    first_on                     date,
    last_on                      date,
    CHECK (conversations >= 0 AND mp_conversations >= 0 AND associations >= 0)
) WITH (fillfactor = 50);

-- Per (constituency, association) with conversations that count: the distinct
-- associations of a constituency (constituency_agg.associations counts its rows), and the
-- association_summary view (conversations, constituencies reached, MPs spoken to, first and
-- last conversation: an association's first_on is the least of its rows').
CREATE TABLE parley.association_constituency (
    constituency_code text NOT NULL,
    association_id    text NOT NULL,
    conversations     integer NOT NULL CHECK (conversations >= 0),
    mp_conversations  integer NOT NULL CHECK (mp_conversations >= 0),
    first_on          date,
    last_on           date,
    PRIMARY KEY (constituency_code, association_id)
) WITH (fillfactor = 70);

-- Per (constituency, topic) with conversations that count.
CREATE TABLE parley.constituency_topic (
    constituency_code text NOT NULL,
    topic             text NOT NULL,
    conversations     integer NOT NULL CHECK (conversations >= 0),
    PRIMARY KEY (constituency_code, topic)
) WITH (fillfactor = 70);

-- Conversations that count, per day they took place (weekly_progress).
CREATE TABLE parley.daily_conversations (
    occurred_on   date PRIMARY KEY,
    conversations integer NOT NULL CHECK (conversations >= 0)
) WITH (fillfactor = 50);

-- The latest association.name given for each association id (by reported_at, event_id),
-- over all accepted events.
CREATE TABLE parley.association_name (
    association_id text PRIMARY KEY,
    name           text NOT NULL,
    reported_at    timestamptz NOT NULL,
    event_id       uuid NOT NULL
) WITH (fillfactor = 50);

-- A conversation's recorded stance with what orders it: "latest" means by occurred_on, then
-- reported_at and event_id (unique), which is the order in which composite values compare.
CREATE TYPE parley.stance_mark AS (
    occurred_on date,
    reported_at timestamptz,
    event_id    uuid,
    stance      smallint
);
-- The same for the name written in a conversation (used while recomputing a stakeholder).
CREATE TYPE parley.name_mark AS (
    occurred_on date,
    reported_at timestamptz,
    event_id    uuid,
    name        text
);

-- One row per stakeholder (constituency, role, person key) ever spoken to, over the
-- conversations with them that count. name is the name written in the latest one
-- (name_reported_at and name_event_id, with last_on, say which that is); latest and previous
-- are the last two recorded stances (an unrecorded stance never hides a change of mind).
-- A follow-up is open while no later conversation with the person exists: the follow-ups
-- flagged on the stakeholder's last day. A stakeholder whose conversations were all
-- withdrawn keeps a row with conversations = 0 (and NULL marks and days), which the views
-- leave out.
CREATE TABLE parley.stakeholder_agg (
    constituency_code text NOT NULL,
    stakeholder_role  text NOT NULL,
    person_key        text NOT NULL,
    name              text,
    name_reported_at  timestamptz,
    name_event_id     uuid,
    conversations     integer NOT NULL CHECK (conversations >= 0),
    associations      integer NOT NULL,
    association_ids   text[],          -- sorted, distinct
    latest            parley.stance_mark,
    previous          parley.stance_mark,
    first_on          date,
    last_on           date,
    open_follow_ups   integer NOT NULL,
    PRIMARY KEY (constituency_code, stakeholder_role, person_key)
) WITH (fillfactor = 85);
