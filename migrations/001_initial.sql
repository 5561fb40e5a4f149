-- Files, their chunks and the storage nodes that hold them.

CREATE TABLE storage_nodes (
  id              serial PRIMARY KEY,
  address         text NOT NULL UNIQUE CHECK (address ~ '^[^\s/]+:[0-9]{1,5}$'),
  node_name       text,
  status          text NOT NULL DEFAULT 'unknown' CHECK (status IN ('unknown', 'healthy', 'low_space', 'down')),
  total_space     bigint CHECK (total_space >= 0),
  available_space bigint CHECK (available_space >= 0),
  used_space      bigint CHECK (used_space >= 0),
  last_seen_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE files (
  id            uuid PRIMARY KEY,
  filename      text NOT NULL CHECK (length(filename) BETWEEN 1 AND 1024),
  content_type  text NOT NULL CHECK (length(content_type) BETWEEN 1 AND 255),
  size          bigint NOT NULL DEFAULT 0 CHECK (size BETWEEN 0 AND 10737418240),
  checksum      text CHECK (checksum ~ '^[0-9a-f]{64}$'),
  status        text NOT NULL CHECK (status IN ('uploading', 'completed')),
  stripe_unit   integer NOT NULL CHECK (stripe_unit > 0),
  stripe_width  integer NOT NULL CHECK (stripe_width BETWEEN 1 AND 64),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  completed_at  timestamptz,
  -- A completed file always has its checksum and completion time; an upload has neither.
  CHECK ((status = 'completed') = (completed_at IS NOT NULL AND checksum IS NOT NULL))
);

-- Listing: newest first, completed files only; (created_at, id) is also the keyset.
CREATE INDEX files_listing_idx ON files (created_at DESC, id DESC) WHERE status = 'completed';
-- Janitor: uploads that stopped making progress.
CREATE INDEX files_uploading_idx ON files (updated_at) WHERE status = 'uploading';

CREATE TABLE chunks (
  file_id       uuid NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  chunk_number  integer NOT NULL CHECK (chunk_number BETWEEN 0 AND 63),
  chunk_id      text NOT NULL UNIQUE CHECK (chunk_id ~ '^[A-Za-z0-9_.-]{1,128}$'),
  node_id       integer NOT NULL REFERENCES storage_nodes (id),
  size          bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
  checksum      text CHECK (checksum ~ '^[0-9a-f]{64}$'),
  PRIMARY KEY (file_id, chunk_number)
);
CREATE INDEX chunks_node_idx ON chunks (node_id);

-- Chunk data still to be removed from a node (deleted files, failed or abandoned uploads).
-- Written in the same transaction that drops the metadata, so no chunk is forgotten while its node is down.
CREATE TABLE chunk_deletions (
  node_id         integer NOT NULL REFERENCES storage_nodes (id),
  chunk_id        text NOT NULL,
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (node_id, chunk_id)
);
CREATE INDEX chunk_deletions_due_idx ON chunk_deletions (next_attempt_at);
