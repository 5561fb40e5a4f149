-- S3 access keys and their bucket grants. The secret is stored only inside a secret box
-- (gateway/auth/secret-box.ts: AES-256-GCM under the server key), never in the clear. A revoked key
-- keeps its row (and its grants) for the record but never authenticates again.

CREATE TABLE access_keys (
  -- Generated ids are 20 characters of A-Z0-9; S3_ROOT_ACCESS_KEY may choose 3..128 of [A-Za-z0-9].
  access_key_id text COLLATE "C" PRIMARY KEY CHECK (access_key_id ~ '^[A-Za-z0-9]{3,128}$'),
  secret_box    bytea NOT NULL CHECK (octet_length(secret_box) BETWEEN 33 AND 1024),
  name          text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
  is_root       boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  secret_set_at timestamptz NOT NULL DEFAULT now(), -- a root key's secret changes with S3_ROOT_SECRET_KEY
  revoked_at    timestamptz
);
-- At most one root key in force: two gateways bootstrapping at once cannot both create one (the
-- bootstrap also takes an advisory lock; this is the invariant behind it).
CREATE UNIQUE INDEX access_keys_one_root_idx ON access_keys ((true)) WHERE is_root AND revoked_at IS NULL;

-- Grants name the bucket, not its id: a grant may be given before its bucket is created (the key's
-- owner then creates it), and the S3 layer checks a request against the grants without a lookup of
-- the bucket. Deleting a bucket deletes its grants (trigger below), so a bucket created again later
-- under the same name, maybe by someone else, does not inherit the old keys.
CREATE TABLE key_grants (
  access_key_id text COLLATE "C" NOT NULL REFERENCES access_keys (access_key_id) ON DELETE CASCADE,
  bucket        text NOT NULL CHECK (length(bucket) BETWEEN 3 AND 63),
  can_read      boolean NOT NULL,
  can_write     boolean NOT NULL,
  granted_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (access_key_id, bucket),
  CHECK (can_read OR can_write) -- no permission at all is no row
);
CREATE INDEX key_grants_bucket_idx ON key_grants (bucket);

CREATE FUNCTION key_grants_drop_with_bucket() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM key_grants WHERE bucket = OLD.name;
  RETURN OLD;
END $$;
CREATE TRIGGER buckets_drop_grants AFTER DELETE ON buckets
  FOR EACH ROW EXECUTE FUNCTION key_grants_drop_with_bucket();
