// The sync protocol's server state.
//
// Per-field clocks: every synced row keeps `field_clocks`, a map from column
// to the hybrid logical clock (HLC) of the write that last changed it. A
// trigger stamps them on every INSERT and UPDATE, so every write path (REST,
// tRPC, sync, CLI, and services added later) records them without asking.
// The clock is the transaction's `helio.hlc` setting when the sync layer sets
// it (the clamped clock of the client's mutation), or else the server's wall
// clock, in the same sortable text form: 13-digit milliseconds, a 4-digit
// base-36 counter and the node id.
export default `
CREATE FUNCTION helio_stamp_field_clocks() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  clock text := NULLIF(current_setting('helio.hlc', true), '');
  old_values jsonb;
  new_values jsonb;
BEGIN
  IF clock IS NULL THEN
    clock := lpad(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint::text, 13, '0') || '-0000-server';
  END IF;
  new_values := to_jsonb(NEW) - 'field_clocks' - 'change_seq' - 'created_at' - 'updated_at' - 'id' - 'organisation_id';
  IF TG_OP = 'INSERT' THEN
    NEW.field_clocks := COALESCE((SELECT jsonb_object_agg(key, clock) FROM jsonb_each(new_values)), '{}'::jsonb);
  ELSE
    old_values := to_jsonb(OLD);
    NEW.field_clocks := OLD.field_clocks || COALESCE(
      (SELECT jsonb_object_agg(n.key, clock) FROM jsonb_each(new_values) n WHERE n.value IS DISTINCT FROM old_values -> n.key),
      '{}'::jsonb);
  END IF;
  RETURN NEW;
END
$$;

ALTER TABLE organisations ADD COLUMN field_clocks jsonb NOT NULL DEFAULT '{}';
ALTER TABLE memberships ADD COLUMN field_clocks jsonb NOT NULL DEFAULT '{}';
ALTER TABLE portfolios ADD COLUMN field_clocks jsonb NOT NULL DEFAULT '{}';
ALTER TABLE sites ADD COLUMN field_clocks jsonb NOT NULL DEFAULT '{}';
ALTER TABLE documents ADD COLUMN field_clocks jsonb NOT NULL DEFAULT '{}';

CREATE TRIGGER organisations_field_clocks BEFORE INSERT OR UPDATE ON organisations FOR EACH ROW EXECUTE FUNCTION helio_stamp_field_clocks();
CREATE TRIGGER memberships_field_clocks BEFORE INSERT OR UPDATE ON memberships FOR EACH ROW EXECUTE FUNCTION helio_stamp_field_clocks();
CREATE TRIGGER portfolios_field_clocks BEFORE INSERT OR UPDATE ON portfolios FOR EACH ROW EXECUTE FUNCTION helio_stamp_field_clocks();
CREATE TRIGGER sites_field_clocks BEFORE INSERT OR UPDATE ON sites FOR EACH ROW EXECUTE FUNCTION helio_stamp_field_clocks();
CREATE TRIGGER documents_field_clocks BEFORE INSERT OR UPDATE ON documents FOR EACH ROW EXECUTE FUNCTION helio_stamp_field_clocks();

-- One row per syncing client (an installation of the desktop app), bound to the
-- user it signed in as. last_seq is the highest mutation seq applied: pushes
-- are applied in seq order, without gaps.
CREATE TABLE sync_clients (
  client_id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id),
  last_seq bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now()
);

-- The outcome of every applied mutation, returned again when the same
-- (client_id, seq) is delivered twice.
CREATE TABLE sync_mutations (
  client_id uuid NOT NULL REFERENCES sync_clients (client_id),
  seq bigint NOT NULL,
  status text NOT NULL CHECK (status IN ('applied', 'conflict', 'rejected')),
  organisation_id uuid,
  change_seq bigint,
  result jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (client_id, seq)
);

-- Pushes from clients whose protocol version this server no longer accepts:
-- kept whole, so nothing a technician wrote is lost while they upgrade.
CREATE TABLE sync_parked_pushes (
  id uuid PRIMARY KEY,
  client_id uuid NOT NULL,
  user_id uuid REFERENCES users (id),
  protocol_version integer,
  schema_version integer,
  payload jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

-- One record per real conflict, synced to every member of the organisation so
-- both authors see it. kind 'field': two writers changed one field
-- concurrently; the later clock's value was kept. kind 'delete': a row was
-- deleted while someone else changed it; the deletion was kept and the lost
-- change can be restored from 'lost'.
CREATE TABLE sync_conflicts (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisations (id),
  table_name text NOT NULL,
  row_id uuid NOT NULL,
  field text,
  kind text NOT NULL CHECK (kind IN ('field', 'delete')),
  kept jsonb,
  lost jsonb,
  kept_clock text,
  lost_clock text,
  lost_by uuid REFERENCES users (id),
  client_id uuid,
  mutation_seq bigint,
  resolution text CHECK (resolution IN ('kept', 'restored')),
  resolved_by uuid REFERENCES users (id),
  resolved_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  change_seq bigint NOT NULL,
  field_clocks jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX sync_conflicts_seq_idx ON sync_conflicts (organisation_id, change_seq);
CREATE INDEX sync_conflicts_row_idx ON sync_conflicts (row_id);
CREATE TRIGGER sync_conflicts_field_clocks BEFORE INSERT OR UPDATE ON sync_conflicts FOR EACH ROW EXECUTE FUNCTION helio_stamp_field_clocks();
`;
