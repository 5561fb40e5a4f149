-- Erasure coding: each file records its parity units per stripe (k is stripe_width, the data units),
-- and each chunk its role and state. Files written before this change have no parity (m = 0).

ALTER TABLE files ADD COLUMN parity_width integer NOT NULL DEFAULT 0 CHECK (parity_width BETWEEN 0 AND 16);
ALTER TABLE files ADD CONSTRAINT files_width_total CHECK (stripe_width + parity_width <= 64);

-- A chunk the upload could not place or write is recorded as missing: the file is readable from the
-- others, and a healer can rebuild it. A missing chunk may have no node at all.
ALTER TABLE chunks ADD COLUMN state text NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'missing', 'healing'));
ALTER TABLE chunks ALTER COLUMN node_id DROP NOT NULL;
ALTER TABLE chunks ADD CONSTRAINT chunks_ok_has_node CHECK (node_id IS NOT NULL OR state <> 'ok');

-- What reads and writes found wrong with a chunk (unreachable node, stall, corrupt block, failed
-- write): the input of the healer. One row per chunk, counted; it goes with the chunk.
CREATE TABLE chunk_faults (
  file_id       uuid NOT NULL,
  chunk_number  integer NOT NULL,
  node_id       integer REFERENCES storage_nodes (id),
  reason        text NOT NULL,
  faults        integer NOT NULL DEFAULT 1 CHECK (faults > 0),
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (file_id, chunk_number),
  FOREIGN KEY (file_id, chunk_number) REFERENCES chunks (file_id, chunk_number) ON DELETE CASCADE
);
