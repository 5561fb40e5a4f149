-- The redundancy report and the alert watcher start from the chunks that are lost: those not in
-- state ok (this index) and those on down or dead nodes (chunks_node_idx). Few chunks are ever not
-- ok, so the index stays small; without it the report joined every file with its chunks.
CREATE INDEX chunks_not_ok_idx ON chunks (file_id) WHERE state <> 'ok';
