-- Buckets and objects: the S3 API and the /files API share one model. Every file row lives in a
-- bucket; /files uploads live in the system bucket (id 1, a name no S3 request can address), S3
-- objects in user buckets under a key. A multipart object is a file row without chunks of its own
-- whose parts are file rows pointing at it (parent_id), read back in part order.

CREATE TABLE buckets (
  id         serial PRIMARY KEY,
  name       text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 63),
  system     boolean NOT NULL DEFAULT false,
  acl        text NOT NULL DEFAULT 'private',
  cors       jsonb,                       -- CORS rules as set by PutBucketCors, null: none
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO buckets (id, name, system) VALUES (1, '.files', true);
SELECT setval('buckets_id_seq', 1);

-- Uploads in progress of multipart objects (CreateMultipartUpload .. Complete/Abort).
CREATE TABLE multipart_uploads (
  id          uuid PRIMARY KEY,
  bucket_id   integer NOT NULL REFERENCES buckets (id),
  object_key  text COLLATE "C" NOT NULL CHECK (octet_length(object_key) BETWEEN 1 AND 1024),
  headers     jsonb NOT NULL DEFAULT '{}',   -- content type, metadata, ... given at creation
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX multipart_uploads_key_idx ON multipart_uploads (bucket_id, object_key, created_at);
CREATE INDEX multipart_uploads_age_idx ON multipart_uploads (created_at);

ALTER TABLE files ADD COLUMN bucket_id integer NOT NULL DEFAULT 1 REFERENCES buckets (id);
ALTER TABLE files ADD COLUMN object_key text COLLATE "C" CHECK (octet_length(object_key) BETWEEN 1 AND 1024);
ALTER TABLE files ADD COLUMN md5 text CHECK (md5 ~ '^[0-9a-f]{32}$');
ALTER TABLE files ADD COLUMN etag text;                       -- S3 ETag without quotes; null: /files (SHA-256)
ALTER TABLE files ADD COLUMN headers jsonb NOT NULL DEFAULT '{}';  -- Content-Encoding, Cache-Control, x-amz-meta-*, ...
ALTER TABLE files ADD COLUMN checksums jsonb NOT NULL DEFAULT '{}'; -- flexible checksums, {"CRC32": "<base64>"}
-- Multipart: a part belongs to an upload until it is completed, then to its object.
ALTER TABLE files ADD COLUMN upload_id uuid REFERENCES multipart_uploads (id);
ALTER TABLE files ADD COLUMN parent_id uuid REFERENCES files (id) ON DELETE CASCADE;
ALTER TABLE files ADD COLUMN part_number integer CHECK (part_number BETWEEN 1 AND 10000);
ALTER TABLE files ADD COLUMN part_offset bigint CHECK (part_offset >= 0);  -- where the part starts in its object
ALTER TABLE files ADD COLUMN part_count integer NOT NULL DEFAULT 0 CHECK (part_count BETWEEN 0 AND 10000);

-- S3 objects are not hashed with SHA-256 unless the client asks for it: an S3 file has its MD5.
ALTER TABLE files DROP CONSTRAINT files_check;
ALTER TABLE files ADD CONSTRAINT files_completed_check
  CHECK ((status = 'completed') = (completed_at IS NOT NULL AND (checksum IS NOT NULL OR etag IS NOT NULL)));

-- One current object per key; the listing walks this index in UTF-8 byte order.
CREATE UNIQUE INDEX files_object_key_idx ON files (bucket_id, object_key)
  WHERE status = 'completed' AND object_key IS NOT NULL;
-- Parts of an upload, and of a completed object, in order.
CREATE UNIQUE INDEX files_upload_part_idx ON files (upload_id, part_number) WHERE upload_id IS NOT NULL AND status = 'completed';
CREATE INDEX files_parent_idx ON files (parent_id, part_number) WHERE parent_id IS NOT NULL;

-- /files lists only its own bucket.
DROP INDEX files_listing_idx;
CREATE INDEX files_listing_idx ON files (created_at DESC, id DESC) WHERE status = 'completed' AND bucket_id = 1;
