// Monitoring: Locus integer ids, the site and client metadata the Locus v3
// shapes need, the component tree (synced), readings and their rollups (server
// only), component status, device events and alerts (synced, acknowledged on
// devices).
//
// Locus ids: one sequence for the whole installation, so an integer names one
// entity of one kind, never reused. A BEFORE INSERT trigger assigns it when the
// row has none (NULL or the column default 0). Rows pulled from the server
// carry the server's number; a device's sync client turns its own copy of the
// sequence negative, so a row it created offline holds 0 or a negative
// placeholder (shown as "not assigned yet") until the server's version arrives. No UNIQUE index: uniqueness comes
// from the sequence, and a device holding placeholders must still accept
// any server row.
//
// Readings are not synced rows: no change sequence, no field clocks, no
// organisation lock. They are partitioned by month (partitions are created
// on demand by the ingest service) and keyed by (component, field, ts), so a
// reading sent twice is one reading. Rollups keep sum, count, min and max per
// UTC-aligned bucket at three levels (5 minutes, 1 hour, 1 day); every zone's
// buckets are unions of them, since every zone offset in use is a multiple of
// 15 minutes.
export default `
CREATE SEQUENCE helio_locus_ids;

-- The Locus API answers one request at a time per credential by default; an
-- OAuth client may be allowed more (NULL: the default).
ALTER TABLE oauth_clients ADD COLUMN concurrency_limit integer CHECK (concurrency_limit >= 1);

CREATE FUNCTION helio_assign_locus_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.locus_id IS NULL OR NEW.locus_id = 0 THEN
    NEW.locus_id := nextval('helio_locus_ids');
  END IF;
  RETURN NEW;
END
$$;

CREATE FUNCTION helio_assign_organisation_locus_ids() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.locus_id IS NULL OR NEW.locus_id = 0 THEN
    NEW.locus_id := nextval('helio_locus_ids');
  END IF;
  IF NEW.unassigned_client_locus_id IS NULL OR NEW.unassigned_client_locus_id = 0 THEN
    NEW.unassigned_client_locus_id := nextval('helio_locus_ids');
  END IF;
  RETURN NEW;
END
$$;

-- Organisation = Locus partner. Sites outside any portfolio answer to a client
-- of their own per organisation ("Sites without a portfolio"), whose id is
-- unassigned_client_locus_id.
ALTER TABLE organisations ADD COLUMN locus_id bigint;
ALTER TABLE organisations ADD COLUMN unassigned_client_locus_id bigint;
UPDATE organisations SET locus_id = nextval('helio_locus_ids'), unassigned_client_locus_id = nextval('helio_locus_ids');
ALTER TABLE organisations ALTER COLUMN locus_id SET NOT NULL;
ALTER TABLE organisations ALTER COLUMN locus_id SET DEFAULT 0;
ALTER TABLE organisations ALTER COLUMN unassigned_client_locus_id SET NOT NULL;
ALTER TABLE organisations ALTER COLUMN unassigned_client_locus_id SET DEFAULT 0;
CREATE INDEX organisations_locus_idx ON organisations (locus_id);
CREATE INDEX organisations_unassigned_client_locus_idx ON organisations (unassigned_client_locus_id);
CREATE TRIGGER organisations_locus_id BEFORE INSERT ON organisations FOR EACH ROW EXECUTE FUNCTION helio_assign_organisation_locus_ids();

-- Portfolio = Locus client.
ALTER TABLE portfolios ADD COLUMN locus_id bigint;
UPDATE portfolios SET locus_id = nextval('helio_locus_ids');
ALTER TABLE portfolios ALTER COLUMN locus_id SET NOT NULL;
ALTER TABLE portfolios ALTER COLUMN locus_id SET DEFAULT 0;
ALTER TABLE portfolios ADD COLUMN tz text NOT NULL DEFAULT 'UTC';
ALTER TABLE portfolios ADD COLUMN first_name text;
ALTER TABLE portfolios ADD COLUMN last_name text;
ALTER TABLE portfolios ADD COLUMN email text;
CREATE INDEX portfolios_locus_idx ON portfolios (locus_id);
CREATE TRIGGER portfolios_locus_id BEFORE INSERT ON portfolios FOR EACH ROW EXECUTE FUNCTION helio_assign_locus_id();

-- Site = Locus site: structured address, install info, model settings (the
-- percentages a PVWatts-style model multiplies by; defaults are PVWatts' own
-- default losses, rounded to whole percent), the expected monthly table (a
-- yield study's P50: [{month, Wh_e, GHIh_t}]) and the site's alert settings.
ALTER TABLE sites ADD COLUMN locus_id bigint;
UPDATE sites SET locus_id = nextval('helio_locus_ids');
ALTER TABLE sites ALTER COLUMN locus_id SET NOT NULL;
ALTER TABLE sites ALTER COLUMN locus_id SET DEFAULT 0;
CREATE INDEX sites_locus_idx ON sites (locus_id);
CREATE TRIGGER sites_locus_id BEFORE INSERT ON sites FOR EACH ROW EXECUTE FUNCTION helio_assign_locus_id();
ALTER TABLE sites ADD COLUMN address1 text;
ALTER TABLE sites ADD COLUMN address2 text;
ALTER TABLE sites ADD COLUMN locale3 text;
ALTER TABLE sites ADD COLUMN locale1 text;
ALTER TABLE sites ADD COLUMN locale_code1 text;
ALTER TABLE sites ADD COLUMN postal_code text;
ALTER TABLE sites ADD COLUMN country_code text;
ALTER TABLE sites ADD COLUMN installer text;
ALTER TABLE sites ADD COLUMN install_crew text;
ALTER TABLE sites ADD COLUMN install_date date;
ALTER TABLE sites ADD COLUMN pto_date date;
ALTER TABLE sites ADD COLUMN startup_date date;
ALTER TABLE sites ADD COLUMN uninstall_crew text;
ALTER TABLE sites ADD COLUMN uninstall_date date;
ALTER TABLE sites ADD COLUMN size_kw double precision CHECK (size_kw >= 0);
ALTER TABLE sites ADD COLUMN mismatch integer NOT NULL DEFAULT 98;
ALTER TABLE sites ADD COLUMN diodes_and_connections integer NOT NULL DEFAULT 99;
ALTER TABLE sites ADD COLUMN dc_wiring integer NOT NULL DEFAULT 98;
ALTER TABLE sites ADD COLUMN soiling integer NOT NULL DEFAULT 98;
ALTER TABLE sites ADD COLUMN sun_tracking integer NOT NULL DEFAULT 100;
ALTER TABLE sites ADD COLUMN nameplate integer NOT NULL DEFAULT 99;
ALTER TABLE sites ADD COLUMN ac_wiring integer NOT NULL DEFAULT 99;
ALTER TABLE sites ADD COLUMN transformer integer NOT NULL DEFAULT 100;
ALTER TABLE sites ADD COLUMN tmy3_id integer;
ALTER TABLE sites ADD COLUMN expected_monthly jsonb;
ALTER TABLE sites ADD COLUMN alert_settings jsonb;

-- Component = Locus component: a tree under a site (parent_id null: directly
-- under the site). No foreign key on parent_id: a device may receive a child
-- before its parent in one page; the service keeps the tree whole (same site,
-- live parent, no cycle). node_id is unique among an organisation's live
-- components, checked by the service under the organisation's change lock.
CREATE TABLE components (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisations (id),
  site_id uuid NOT NULL,
  parent_id uuid,
  locus_id bigint NOT NULL DEFAULT 0,
  node_id text NOT NULL,
  name text NOT NULL,
  node_type text NOT NULL,
  application text NOT NULL,
  generation_type text NOT NULL,
  oem text,
  model text,
  is_conceptual_node boolean NOT NULL DEFAULT false,
  serial_number text,
  description text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  change_seq bigint NOT NULL,
  field_clocks jsonb NOT NULL DEFAULT '{}',
  FOREIGN KEY (site_id, organisation_id) REFERENCES sites (id, organisation_id)
);
CREATE INDEX components_seq_idx ON components (organisation_id, change_seq);
CREATE INDEX components_site_idx ON components (site_id);
CREATE INDEX components_node_idx ON components (organisation_id, node_id);
CREATE INDEX components_locus_idx ON components (locus_id);
CREATE TRIGGER components_locus_id BEFORE INSERT ON components FOR EACH ROW EXECUTE FUNCTION helio_assign_locus_id();
CREATE TRIGGER components_field_clocks BEFORE INSERT OR UPDATE ON components FOR EACH ROW EXECUTE FUNCTION helio_stamp_field_clocks();

-- One value per (component, field, ts); field is the catalog's numeric code
-- (packages/core/src/monitoring/fields.ts). Monthly partitions readings_yYYYYmMM.
CREATE TABLE readings (
  component_id uuid NOT NULL,
  field smallint NOT NULL,
  ts timestamptz NOT NULL,
  value double precision NOT NULL,
  PRIMARY KEY (component_id, field, ts)
) PARTITION BY RANGE (ts);

-- level: 1 = 5 minutes, 2 = 1 hour, 3 = 1 day, each aligned to UTC.
CREATE TABLE reading_rollups (
  component_id uuid NOT NULL,
  field smallint NOT NULL,
  level smallint NOT NULL CHECK (level BETWEEN 1 AND 3),
  bucket timestamptz NOT NULL,
  sum double precision NOT NULL,
  count integer NOT NULL,
  min double precision NOT NULL,
  max double precision NOT NULL,
  PRIMARY KEY (component_id, field, level, bucket)
);

-- What a component last sent: the newest reading's timestamp and when the
-- server last received anything from it (the System Disconnect rule reads it).
CREATE TABLE component_status (
  component_id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL,
  last_reading_ts timestamptz,
  last_received_at timestamptz,
  first_energy_ts timestamptz
);

-- Faults and status messages devices report (POST /api/components/{id}/events,
-- later MQTT status messages). Server only.
CREATE TABLE component_events (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL,
  component_id uuid NOT NULL,
  ts timestamptz NOT NULL,
  code text NOT NULL,
  state text NOT NULL CHECK (state IN ('active', 'cleared')),
  priority text,
  description_short text,
  description_long text,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX component_events_component_idx ON component_events (component_id, ts);

-- Alerts, raised and closed by the server's rules; devices receive them and
-- may acknowledge (the only field they write). One open alert per
-- (component, alert_type, condition_key).
CREATE TABLE alerts (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisations (id),
  site_id uuid NOT NULL,
  component_id uuid NOT NULL,
  locus_id bigint NOT NULL DEFAULT 0,
  alert_type text NOT NULL CHECK (alert_type IN ('Device Fault', 'Performance Index', 'Strings Performance', 'System Disconnect', 'Zero Generation')),
  priority text NOT NULL CHECK (priority IN ('High', 'Medium', 'Low')),
  condition_key text NOT NULL DEFAULT '',
  started_at timestamptz NOT NULL,
  ended_at timestamptz,
  description_short text,
  description_long text,
  details jsonb,
  acknowledged_at timestamptz,
  acknowledged_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  change_seq bigint NOT NULL,
  field_clocks jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX alerts_seq_idx ON alerts (organisation_id, change_seq);
CREATE INDEX alerts_site_idx ON alerts (site_id, updated_at);
CREATE INDEX alerts_component_idx ON alerts (component_id, updated_at);
CREATE INDEX alerts_organisation_updated_idx ON alerts (organisation_id, updated_at);
CREATE INDEX alerts_locus_idx ON alerts (locus_id);
CREATE INDEX alerts_open_idx ON alerts (component_id, alert_type, condition_key) WHERE ended_at IS NULL AND deleted_at IS NULL;
CREATE TRIGGER alerts_locus_id BEFORE INSERT ON alerts FOR EACH ROW EXECUTE FUNCTION helio_assign_locus_id();
CREATE TRIGGER alerts_field_clocks BEFORE INSERT OR UPDATE ON alerts FOR EACH ROW EXECUTE FUNCTION helio_stamp_field_clocks();
`;
