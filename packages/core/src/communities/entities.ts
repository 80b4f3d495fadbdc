// Single-row services of a community's registry (members, delivery points,
// assets), used by sync pushes, the tRPC router and a device's offline
// edits, and the reads the desktop shows. Split by entity in entities/.
export * from './entities/schema.js';
export * from './entities/members.js';
export * from './entities/delivery-points.js';
export * from './entities/assets.js';
export * from './entities/registry.js';
