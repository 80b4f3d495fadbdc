// Plants: the devices that connect to Helio's MQTT gateway (data loggers,
// gateways, controllers, sensors), their templates and groups, their
// credentials, the record of every lifecycle transition, and the commands
// sent to them. None of these tables is synced: they live on the server.
//
// A plant belongs to an organisation and optionally to a site; with a site it
// maps to a component of that site (created for it when absent), so its
// telemetry is stored as that component's readings.
//
// Secrets are never stored in the clear: MQTT passwords as SHA-256 digests
// (they are random 256-bit strings), HMAC secrets encrypted with a key derived
// from the server secret (they must be read back to check signatures).
//
// A decommissioned plant (deleted through the API) keeps its row for history;
// its serial number is freed (the unique index covers live plants only, per
// organisation).
export default `
CREATE TABLE device_templates (
  id uuid PRIMARY KEY,
  -- NULL for Helio's system templates, shared by every organisation.
  organisation_id uuid REFERENCES organisations (id),
  name text NOT NULL,
  level text NOT NULL CHECK (level IN ('PLANT', 'DEVICE')),
  type text NOT NULL,
  is_system boolean NOT NULL DEFAULT false,
  version integer NOT NULL DEFAULT 1,
  signals jsonb NOT NULL DEFAULT '[]',
  actions jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE INDEX device_templates_organisation_idx ON device_templates (organisation_id);

CREATE TABLE plants (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisations (id),
  site_id uuid REFERENCES sites (id),
  component_id uuid REFERENCES components (id),
  template_id uuid REFERENCES device_templates (id),
  name text NOT NULL,
  serial_number text NOT NULL,
  type text NOT NULL CHECK (type IN ('SENSOR', 'ACTUATOR', 'GATEWAY', 'CONTROLLER')),
  auth_method text NOT NULL CHECK (auth_method IN ('MTLS', 'TOKEN', 'PASSWORD')),
  lifecycle_status text NOT NULL DEFAULT 'PENDING'
    CHECK (lifecycle_status IN ('PENDING', 'PROVISIONED', 'ACTIVE', 'SUSPENDED', 'REVOKED', 'DECOMMISSIONED')),
  -- Connection state as the gateway last saw it.
  status text NOT NULL DEFAULT 'OFFLINE' CHECK (status IN ('ONLINE', 'OFFLINE')),
  metadata jsonb NOT NULL DEFAULT '{}',
  external_plant_id text,
  description text,
  tag text,
  latitude double precision,
  longitude double precision,
  capacity_kwh double precision,
  fve_peak_power_kwp double precision,
  config_enabled boolean NOT NULL DEFAULT true,
  plant_with_load boolean NOT NULL DEFAULT false,
  esi_state text,
  activated_at timestamptz,
  last_seen_at timestamptz,
  auth_failure_count integer NOT NULL DEFAULT 0,
  last_auth_failure_at timestamptz,
  -- Messages dropped for a bad or missing signature, bad JSON or a bad shape (never stored).
  dropped_message_count integer NOT NULL DEFAULT 0,
  last_dropped_at timestamptz,
  last_drop_reason text,
  -- The current certificate (MTLS); older ones are in plant_certificates.
  certificate_fingerprint text,
  certificate_serial_number text,
  certificate_expires_at timestamptz,
  -- PASSWORD: SHA-256 hex of the password given once in the provisioning package.
  password_hash text,
  -- HMAC secrets, encrypted (see the header); the previous one is accepted until previous_hmac_until.
  hmac_secret_enc text,
  previous_hmac_secret_enc text,
  previous_hmac_until timestamptz,
  secret_rotated_at timestamptz,
  -- Tokens (TOKEN) issued before this instant are no longer accepted (set by revoke).
  tokens_valid_after timestamptz,
  -- Lifetime energy counters last seen, per (device key, signal): turns a counter into interval energy.
  counters jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Decommissioned: kept for history, refused everywhere, serial number freed.
  deleted_at timestamptz
);
-- A serial number is unique among an organisation's live plants: another
-- organisation's plants neither block it nor learn of it.
CREATE UNIQUE INDEX plants_serial_live_idx ON plants (organisation_id, serial_number) WHERE deleted_at IS NULL;
CREATE INDEX plants_organisation_idx ON plants (organisation_id, created_at);
CREATE INDEX plants_component_idx ON plants (component_id);
CREATE INDEX plants_certificate_idx ON plants (certificate_expires_at) WHERE certificate_expires_at IS NOT NULL;

-- Every certificate ever issued to a plant: the current one is 'active';
-- issuing a new one retires the previous one; revoke revokes it.
CREATE TABLE plant_certificates (
  serial_number text PRIMARY KEY,
  plant_id uuid NOT NULL REFERENCES plants (id),
  fingerprint text NOT NULL UNIQUE,
  not_before timestamptz NOT NULL,
  not_after timestamptz NOT NULL,
  state text NOT NULL CHECK (state IN ('active', 'retired', 'revoked')),
  -- Whether Helio generated the key (false: issued from the device's CSR).
  key_generated boolean NOT NULL,
  issued_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz
);
CREATE INDEX plant_certificates_plant_idx ON plant_certificates (plant_id, issued_at);

-- Who moved a plant from one lifecycle state to another, and when.
CREATE TABLE plant_transitions (
  id uuid PRIMARY KEY,
  plant_id uuid NOT NULL REFERENCES plants (id),
  from_status text,
  to_status text NOT NULL,
  action text NOT NULL,
  actor_kind text NOT NULL,
  actor_id text,
  at timestamptz NOT NULL DEFAULT now(),
  reason text
);
CREATE INDEX plant_transitions_plant_idx ON plant_transitions (plant_id, at);

CREATE TABLE plant_groups (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisations (id),
  name text NOT NULL,
  description text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE UNIQUE INDEX plant_groups_name_idx ON plant_groups (organisation_id, lower(name)) WHERE deleted_at IS NULL;

CREATE TABLE plant_group_members (
  group_id uuid NOT NULL REFERENCES plant_groups (id),
  plant_id uuid NOT NULL REFERENCES plants (id),
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, plant_id)
);
CREATE INDEX plant_group_members_plant_idx ON plant_group_members (plant_id);

-- Commands: queued (recorded, plant offline or not yet handed over), sent
-- (the broker handed it to the plant), acked (the plant acknowledged it), then
-- the plant's final answer (done, failed, declined) or expired (never
-- delivered in time). Never silently dropped.
CREATE TABLE plant_commands (
  id uuid PRIMARY KEY,
  plant_id uuid NOT NULL REFERENCES plants (id),
  organisation_id uuid NOT NULL REFERENCES organisations (id),
  cmd_id text NOT NULL UNIQUE,
  command text NOT NULL,
  payload jsonb,
  target text,
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'acked', 'done', 'failed', 'declined', 'expired')),
  response jsonb,
  response_status text,
  idempotency_key text,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  acked_at timestamptz,
  completed_at timestamptz,
  expires_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX plant_commands_plant_idx ON plant_commands (plant_id, created_at);
CREATE INDEX plant_commands_pending_idx ON plant_commands (plant_id, created_at) WHERE state = 'queued';
-- The expiry job's scan: the commands not yet delivered.
CREATE INDEX plant_commands_expiry_idx ON plant_commands (expires_at) WHERE state IN ('queued', 'sent');
CREATE UNIQUE INDEX plant_commands_idempotency_idx ON plant_commands (plant_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- The telemetry writer (core plants/telemetry.ts) updates the current rollup
-- buckets and the status row of every reporting component each few
-- milliseconds. Room left on each page lets such an update stay on its page
-- (a HOT update: no new index entry), which about halves its cost.
ALTER TABLE reading_rollups SET (fillfactor = 70);
ALTER TABLE component_status SET (fillfactor = 50);
`;
