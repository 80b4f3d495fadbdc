// Organisations, identity, credentials and the asset register.
// Synced tables share one shape: a client-generable UUID v7 key, organisation_id,
// created_at/updated_at, a deleted_at tombstone and change_seq, the
// per-organisation change sequence assigned inside the writing transaction
// from organisation_change_counters (a locked counter row, so sequences are
// handed out in commit order per organisation).
export default `
CREATE TABLE organisations (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL CHECK (organisation_id = id),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  change_seq bigint NOT NULL
);

CREATE TABLE organisation_change_counters (
  organisation_id uuid PRIMARY KEY REFERENCES organisations (id),
  last_seq bigint NOT NULL
);

CREATE TABLE users (
  id uuid PRIMARY KEY,
  email text NOT NULL,
  name text NOT NULL,
  password_hash text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE memberships (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisations (id),
  user_id uuid NOT NULL REFERENCES users (id),
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'technician', 'viewer')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  change_seq bigint NOT NULL
);
CREATE UNIQUE INDEX memberships_live_key ON memberships (organisation_id, user_id) WHERE deleted_at IS NULL;
CREATE INDEX memberships_user_idx ON memberships (user_id);
CREATE INDEX memberships_seq_idx ON memberships (organisation_id, change_seq);

CREATE TABLE api_keys (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisations (id),
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'technician', 'viewer')),
  prefix text NOT NULL UNIQUE,
  secret_hash text NOT NULL,
  created_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_org_idx ON api_keys (organisation_id);

CREATE TABLE oauth_clients (
  id uuid PRIMARY KEY,
  client_id text NOT NULL UNIQUE,
  secret_hash text NOT NULL,
  name text NOT NULL,
  -- Set for clients that may use client_credentials: they act for this organisation with this role.
  organisation_id uuid REFERENCES organisations (id),
  role text CHECK (role IN ('owner', 'admin', 'technician', 'viewer')),
  grants text[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  CHECK ((organisation_id IS NULL) = (role IS NULL))
);

CREATE TABLE oauth_tokens (
  id uuid PRIMARY KEY,
  token_hash text NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('access', 'refresh')),
  client_id uuid NOT NULL REFERENCES oauth_clients (id),
  user_id uuid REFERENCES users (id),
  -- Every token descending from one password grant shares a family; reuse of a
  -- rotated refresh token revokes the whole family.
  family_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  replaced_by uuid
);
CREATE INDEX oauth_tokens_family_idx ON oauth_tokens (family_id);

CREATE TABLE portfolios (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisations (id),
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  change_seq bigint NOT NULL,
  UNIQUE (id, organisation_id)
);
CREATE INDEX portfolios_seq_idx ON portfolios (organisation_id, change_seq);

CREATE TABLE sites (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisations (id),
  portfolio_id uuid,
  site_name text NOT NULL,
  address text,
  capacity double precision,
  unit text,
  latitude double precision CHECK (latitude BETWEEN -90 AND 90),
  longitude double precision CHECK (longitude BETWEEN -180 AND 180),
  site_manager text,
  cover_image_url text,
  timezone text NOT NULL DEFAULT 'UTC',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  change_seq bigint NOT NULL,
  UNIQUE (id, organisation_id),
  -- A site can only join a portfolio of its own organisation.
  FOREIGN KEY (portfolio_id, organisation_id) REFERENCES portfolios (id, organisation_id)
);
CREATE INDEX sites_seq_idx ON sites (organisation_id, change_seq);
CREATE INDEX sites_portfolio_idx ON sites (portfolio_id);

CREATE TABLE documents (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisations (id),
  site_id uuid NOT NULL,
  file_type text NOT NULL CHECK (file_type IN ('documents', 'om-documents', 'coverImage')),
  document_type text,
  om_record_id text,
  filename text NOT NULL,
  mime_type text NOT NULL,
  size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
  status text NOT NULL CHECK (status IN ('pending', 'uploaded', 'failed', 'approved', 'completed')),
  sha256 text,
  storage_key text NOT NULL,
  uploaded_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  change_seq bigint NOT NULL,
  FOREIGN KEY (site_id, organisation_id) REFERENCES sites (id, organisation_id)
);
CREATE INDEX documents_site_idx ON documents (site_id);
CREATE INDEX documents_seq_idx ON documents (organisation_id, change_seq);
`;
