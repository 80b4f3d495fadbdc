// Readings whose rollups are not summed yet. The MQTT gateway's writer
// (packages/core/src/monitoring/readings/batch.ts) stores a stream of small
// messages from many devices; adding each few milliseconds' readings to
// three levels of rollup buckets cost more than the readings themselves. It
// writes the readings and, in the same transaction, a mark per (component,
// field, 5-minute bucket) they fall in. The marked buckets are recomputed
// from the readings later, many messages at once: before any read of those
// components' rollups, and on the server's schedule (settle.ts).
export default `
CREATE TABLE reading_rollup_marks (
  component_id uuid NOT NULL,
  field smallint NOT NULL,
  bucket timestamptz NOT NULL,
  PRIMARY KEY (component_id, field, bucket)
);
`;
