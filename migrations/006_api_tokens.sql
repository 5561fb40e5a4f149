-- API tokens of the REST API (Authorization: Bearer <token>). Only the token's SHA-256 is stored:
-- tokens are 256 random bits, so a fast hash is enough and the table never holds a usable secret.
-- A revoked token keeps its row for the record and never authenticates again.

CREATE TABLE api_tokens (
  id         bigserial PRIMARY KEY,
  token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  -- The first characters of the token, so that people can tell their tokens apart in a listing.
  prefix     text NOT NULL CHECK (length(prefix) BETWEEN 1 AND 16),
  name       text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
  scope      text NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
  is_root    boolean NOT NULL DEFAULT false CHECK (NOT is_root OR scope = 'admin'),
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
-- One root token in force: API_TOKEN (or DATA_DIR/api.token) replaces it rather than adding one.
CREATE UNIQUE INDEX api_tokens_one_root_idx ON api_tokens ((true)) WHERE is_root AND revoked_at IS NULL;
