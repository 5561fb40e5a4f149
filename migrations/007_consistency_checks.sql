-- Consistency checks (POST /admin/consistency-check): one row per run with its report, so that any
-- gateway of the database can show the last one. A run holds an advisory lock for its whole length
-- (one at a time in the cluster); a row left 'running' by a gateway that died is marked 'failed' by
-- the next run.
CREATE TABLE consistency_checks (
  id          bigserial PRIMARY KEY,
  started_at  timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  repair      boolean NOT NULL,
  state       text NOT NULL CHECK (state IN ('running', 'done', 'failed')),
  started_by  text NOT NULL,
  report      jsonb,
  CHECK ((state = 'running') = (finished_at IS NULL))
);
