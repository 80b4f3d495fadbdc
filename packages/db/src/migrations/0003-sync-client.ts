// A syncing client's own bookkeeping. Every engine gets these tables (one
// migration list for all); only clients (the desktop app) write to them.
export default `
-- clientId, the next mutation seq, the highest seq whose result was received.
CREATE TABLE sync_client_state (
  key text PRIMARY KEY,
  value jsonb NOT NULL
);

-- The last change sequence received, per organisation.
CREATE TABLE sync_cursors (
  organisation_id uuid PRIMARY KEY,
  cursor bigint NOT NULL
);

-- Local mutations not yet confirmed by a pulled page. result is set once the
-- server answered (applied/conflict with the change sequence that holds it).
CREATE TABLE sync_outbox (
  seq bigint PRIMARY KEY,
  organisation_id uuid NOT NULL,
  table_name text NOT NULL,
  row_id uuid NOT NULL,
  mutation jsonb NOT NULL,
  result jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sync_outbox_row_idx ON sync_outbox (table_name, row_id);

-- The server's version of each row that has pending local mutations (absent:
-- the row does not exist on the server yet). Local row = shadow + pending
-- mutations re-applied, so a rejected mutation can be taken back exactly.
CREATE TABLE sync_shadows (
  table_name text NOT NULL,
  row_id uuid NOT NULL,
  row jsonb,
  PRIMARY KEY (table_name, row_id)
);

-- Mutations the server refused ("could not sync"), shown to the user.
CREATE TABLE sync_rejected (
  seq bigint PRIMARY KEY,
  organisation_id uuid NOT NULL,
  mutation jsonb NOT NULL,
  code text NOT NULL,
  message text NOT NULL,
  rejected_at timestamptz NOT NULL DEFAULT now()
);
`;
