// A plant's connection as the gateway that accepted it recorded it: which
// server's gateway (its MQTT broker id), which connection, since when.
// Several servers sharing Redis each hold some plants, and a connection's
// end can be reported late, or by another server (a dead server's wills):
// it marks the plant OFFLINE only while the row still names that connection,
// and a connection accepted earlier never overwrites a later one. Kept when
// the plant goes OFFLINE (the last connection it had); null before its first.
export default `
ALTER TABLE plants
  ADD COLUMN connected_via text,
  ADD COLUMN connection_id text,
  ADD COLUMN connected_at timestamptz;
`;
