-- Self-repair: the heal queue, its history, and the scrubber's progress. All of it lives here, so a
-- restarted gateway resumes where it stopped and gateways sharing the database share the work.

-- A node that stayed down longer than NODE_DEAD_AFTER_MS is dead: its chunks are rebuilt elsewhere.
ALTER TABLE storage_nodes DROP CONSTRAINT storage_nodes_status_check;
ALTER TABLE storage_nodes ADD CONSTRAINT storage_nodes_status_check
  CHECK (status IN ('unknown', 'healthy', 'low_space', 'down', 'dead'));

-- A draining node takes no new chunks; its chunks are moved to other nodes.
ALTER TABLE storage_nodes ADD COLUMN draining boolean NOT NULL DEFAULT false;

-- Files with chunks to rebuild, or to move to another node (drain, rebalance), one row per file (a
-- heal reads the file once for all its chunks). A moved chunk stays readable until its copy is in
-- place; a rebuilt one is lost already.
-- A gateway claims a row by setting claimed_by/claimed_until (a lease it renews while it works);
-- a lease that runs out, because its gateway died, makes the row claimable again.
CREATE TABLE heal_queue (
  file_id         uuid PRIMARY KEY REFERENCES files (id) ON DELETE CASCADE,
  chunk_numbers   integer[] NOT NULL DEFAULT '{}',   -- to rebuild
  move_numbers    integer[] NOT NULL DEFAULT '{}',   -- to move off their node
  reason          text NOT NULL,
  queued_at       timestamptz NOT NULL DEFAULT now(),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error      text,
  claimed_by      text,
  claimed_until   timestamptz
);
CREATE INDEX heal_queue_due_idx ON heal_queue (next_attempt_at);

-- Every chunk rebuilt (or a rebuild that failed), for the report and for audit.
CREATE TABLE heal_events (
  id           bigserial PRIMARY KEY,
  file_id      uuid NOT NULL,
  chunk_number integer NOT NULL,
  from_node    integer,
  to_node      integer,
  kind         text NOT NULL DEFAULT 'heal' CHECK (kind IN ('heal', 'move')),
  healed_by    text NOT NULL,
  ok           boolean NOT NULL,
  error        text,
  bytes        bigint NOT NULL DEFAULT 0,
  at           timestamptz NOT NULL DEFAULT now()
);

-- One scrub pass at a time over all chunks in (file_id, chunk_number) order; the cursor is the last
-- chunk checked, so a pass resumes after a restart. Leased like the heal queue.
CREATE TABLE scrub_runs (
  id             bigserial PRIMARY KEY,
  started_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz,
  cursor_file_id uuid,
  cursor_chunk   integer,
  chunks_checked bigint NOT NULL DEFAULT 0,
  bytes_checked  bigint NOT NULL DEFAULT 0,
  problems_found bigint NOT NULL DEFAULT 0,
  claimed_by     text,
  claimed_until  timestamptz
);
