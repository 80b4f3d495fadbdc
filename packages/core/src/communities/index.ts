// The communities domain: energy communities, their members, delivery points
// and assets; bundles in and out (JSON and YAML); the registry's reads.
export * from './bundle/schema.js';
export * from './bundle/parse.js';
export * from './bundle/check.js';
export * from './bundle/serialize.js';
export * from './bundle/json-schema.js';
export * from './locks.js';
export * from './import.js';
export * from './export.js';
export * from './rows.js';
export * from './access.js';
export * from './cursor.js';
export * from './queries.js';
export * from './user-views.js';
export * from './lookups.js';
export * from './entities.js';
export * from './sync.js';
export * from './router.js';
