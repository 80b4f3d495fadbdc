// The admin's reads of the registry (`/admin/communities...`), answering in
// the community registry API's shapes. Each lives in queries/ by what it reads.
export * from './queries/filters.js';
export * from './queries/communities.js';
export * from './queries/members.js';
export * from './queries/delivery-points.js';
export * from './queries/assets.js';
