// What a transport may need before it needs the domain: the error codes and
// their helpers, input validation, the roles, the OAuth grant types and the
// limits that help texts quote. Light modules only (zod at most), so that the
// CLI can parse a command line, and hand a command over to a running server,
// without loading every service (see apps/server/src/cli/context.ts).
export * from './errors.js';
export { toDomainError } from './db-errors.js';
export { parseId, parseInput, zodDetails } from './validation.js';
export { roles, roleSchema, withArticle, type Role } from './auth/roles.js';
export { grantTypes } from './oauth/schema.js';
export { MAX_ROWS_PER_REQUEST } from './monitoring/readings/parse.js';
export { MAX_DAYS } from './monitoring/simulate/limits.js';
