-- Listings of a bucket's entries (GET /buckets/{bucket}/entries, which the web console pages through)
-- sorted by date or by name, each a walk of an index from a keyset position, never a sort.
-- Entries are the files of a bucket that a client sees: S3 objects (a key) and /files uploads (bucket
-- 1); multipart parts are neither. By name, S3 objects walk files_object_key_idx (their keys are
-- unique); /files uploads walk their file names, which repeat, so the id breaks ties.
CREATE INDEX files_entries_date_idx ON files (bucket_id, completed_at DESC, id DESC)
  WHERE status = 'completed' AND (object_key IS NOT NULL OR bucket_id = 1);
CREATE INDEX files_entries_filename_idx ON files (filename COLLATE "C", id)
  WHERE status = 'completed' AND bucket_id = 1;
