// Energy communities: the community (its areas, grid topology, legal and
// contact details, settings, grid operators), its members, the delivery
// points they bring (grid connection points, by POD code) and their assets
// (PV, meters, storage, EV chargers, heat pumps, loads). All four tables are
// synced: the desktop shows and edits a community's registry offline.
//
// Keys that must be unique (a community's key and a delivery point's POD in
// the installation, a member's and an asset's key in their community, a
// sensor id in the installation) have plain indexes, not unique ones: a
// device's replica applies pulled rows one by one, and a key moving from one
// row to another would break a unique index halfway. The service checks them
// under the registry's lock (communities/locks.ts), as components' nodeIds are.
//
// Rows are deleted softly (deleted_at), as every synced row is, so devices
// learn of the deletion. An asset's links to a site, component or plant carry
// no foreign key: plants are not synced, and a replica holds what it holds.
//
// Field clocks are stamped by the trigger every synced table has, except on
// rows inserted with their clocks already given: a bulk import writes tens of
// thousands of rows and stamps them itself, exactly as the trigger would
// (communities/import/write.ts), which spares the per-row trigger call.
//
// Lists page by key in byte order (COLLATE "C", the same on every engine and
// locale), so the key indexes are built in that order.
export default `
CREATE TABLE communities (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisations (id),
  key text NOT NULL,
  name text NOT NULL,
  description text,
  legal jsonb NOT NULL DEFAULT '{}',
  links jsonb NOT NULL DEFAULT '{}',
  contact jsonb NOT NULL DEFAULT '{}',
  settings jsonb NOT NULL DEFAULT '{}',
  -- Grid operators by key: {"<key>": {"name", "country", "contact"}}.
  operators jsonb NOT NULL DEFAULT '{}',
  -- Areas by key: {"<key>": {"name", "topology": [node ids], "location": {"lat", "lon"}, "geometry"}}.
  areas jsonb NOT NULL DEFAULT '{}',
  -- Grid topology nodes, in the bundle's order: [{"id", "type", "name", "operator_id", "parent", "area"}].
  topology jsonb NOT NULL DEFAULT '[]',
  -- The bundle's own header as last imported: {"version", "schema_version", "metadata"}.
  bundle jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  change_seq bigint NOT NULL,
  field_clocks jsonb NOT NULL DEFAULT '{}',
  UNIQUE (id, organisation_id)
);
CREATE INDEX communities_seq_idx ON communities (organisation_id, change_seq);
CREATE INDEX communities_key_idx ON communities (key COLLATE "C") WHERE deleted_at IS NULL;
CREATE TRIGGER communities_field_clocks BEFORE UPDATE ON communities FOR EACH ROW EXECUTE FUNCTION helio_stamp_field_clocks();
CREATE TRIGGER communities_new_field_clocks BEFORE INSERT ON communities FOR EACH ROW WHEN (NEW.field_clocks = '{}'::jsonb) EXECUTE FUNCTION helio_stamp_field_clocks();

CREATE TABLE community_members (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisations (id),
  community_id uuid NOT NULL,
  key text NOT NULL,
  -- The member's identity: a Helio user's id links the member to that user (GET /user); any other string is kept as given.
  user_id text,
  name text NOT NULL,
  -- schema.org type of the member (schema:Person, schema:LocalBusiness, ...).
  type text,
  role text NOT NULL,
  area text NOT NULL,
  status text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  change_seq bigint NOT NULL,
  field_clocks jsonb NOT NULL DEFAULT '{}',
  UNIQUE (id, organisation_id),
  FOREIGN KEY (community_id, organisation_id) REFERENCES communities (id, organisation_id)
);
CREATE INDEX community_members_seq_idx ON community_members (organisation_id, change_seq);
CREATE INDEX community_members_key_idx ON community_members (community_id, key COLLATE "C") WHERE deleted_at IS NULL;
CREATE INDEX community_members_user_idx ON community_members (user_id) WHERE deleted_at IS NULL;
CREATE TRIGGER community_members_field_clocks BEFORE UPDATE ON community_members FOR EACH ROW EXECUTE FUNCTION helio_stamp_field_clocks();
CREATE TRIGGER community_members_new_field_clocks BEFORE INSERT ON community_members FOR EACH ROW WHEN (NEW.field_clocks = '{}'::jsonb) EXECUTE FUNCTION helio_stamp_field_clocks();

CREATE TABLE community_delivery_points (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisations (id),
  community_id uuid NOT NULL,
  member_id uuid NOT NULL,
  -- The POD (CUPS, PRM, ...) code: the delivery point's id in the API.
  pod text NOT NULL,
  type text NOT NULL,
  description text,
  address text,
  tariff text,
  active boolean NOT NULL DEFAULT true,
  -- The grid topology node it hangs from (a node id of the community's topology).
  topology_node text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  change_seq bigint NOT NULL,
  field_clocks jsonb NOT NULL DEFAULT '{}',
  FOREIGN KEY (community_id, organisation_id) REFERENCES communities (id, organisation_id),
  FOREIGN KEY (member_id, organisation_id) REFERENCES community_members (id, organisation_id)
);
CREATE INDEX community_delivery_points_seq_idx ON community_delivery_points (organisation_id, change_seq);
CREATE INDEX community_delivery_points_pod_idx ON community_delivery_points (pod) WHERE deleted_at IS NULL;
CREATE INDEX community_delivery_points_community_idx ON community_delivery_points (community_id, pod COLLATE "C") WHERE deleted_at IS NULL;
CREATE INDEX community_delivery_points_member_idx ON community_delivery_points (member_id) WHERE deleted_at IS NULL;
CREATE TRIGGER community_delivery_points_field_clocks BEFORE UPDATE ON community_delivery_points FOR EACH ROW EXECUTE FUNCTION helio_stamp_field_clocks();
CREATE TRIGGER community_delivery_points_new_field_clocks BEFORE INSERT ON community_delivery_points FOR EACH ROW WHEN (NEW.field_clocks = '{}'::jsonb) EXECUTE FUNCTION helio_stamp_field_clocks();

CREATE TABLE community_assets (
  id uuid PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisations (id),
  community_id uuid NOT NULL,
  member_id uuid NOT NULL,
  key text NOT NULL,
  asset_type text NOT NULL CHECK (asset_type IN ('pv', 'meter', 'storage', 'ev_charger', 'heat_pump', 'load')),
  name text NOT NULL,
  sensor_id text,
  -- The delivery point (its POD code) the asset sits behind; a meter's pod.
  pod text,
  -- The type's own fields (rated_power, capacity, meter_type, ...), without nulls.
  properties jsonb NOT NULL DEFAULT '{}',
  device jsonb NOT NULL DEFAULT '{}',
  relationships jsonb NOT NULL DEFAULT '{}',
  site_id uuid,
  component_id uuid,
  plant_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  change_seq bigint NOT NULL,
  field_clocks jsonb NOT NULL DEFAULT '{}',
  FOREIGN KEY (community_id, organisation_id) REFERENCES communities (id, organisation_id),
  FOREIGN KEY (member_id, organisation_id) REFERENCES community_members (id, organisation_id)
);
CREATE INDEX community_assets_seq_idx ON community_assets (organisation_id, change_seq);
CREATE INDEX community_assets_key_idx ON community_assets (community_id, key COLLATE "C") WHERE deleted_at IS NULL;
CREATE INDEX community_assets_type_idx ON community_assets (community_id, asset_type, key COLLATE "C") WHERE deleted_at IS NULL;
CREATE INDEX community_assets_sensor_idx ON community_assets (sensor_id) WHERE deleted_at IS NULL AND sensor_id IS NOT NULL;
CREATE INDEX community_assets_member_idx ON community_assets (member_id) WHERE deleted_at IS NULL;
CREATE TRIGGER community_assets_field_clocks BEFORE UPDATE ON community_assets FOR EACH ROW EXECUTE FUNCTION helio_stamp_field_clocks();
CREATE TRIGGER community_assets_new_field_clocks BEFORE INSERT ON community_assets FOR EACH ROW WHEN (NEW.field_clocks = '{}'::jsonb) EXECUTE FUNCTION helio_stamp_field_clocks();
`;
