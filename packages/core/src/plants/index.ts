// The plants domain: devices, their lifecycle, credentials, telemetry and commands.
export * from './lifecycle.js';
export * from './events.js';
export * from './environment.js';
export * from './schema.js';
export * from './service.js';
export * from './history.js';
export * from './templates.js';
export * from './groups.js';
export * from './stats.js';
export * from './energy.js';
export { plantsRouter } from './router.js';
export * from './credentials/index.js';
export * from './provisioning.js';
export * from './telemetry.js';
export * from './status.js';
export * from './commands.js';
export * from './counters.js';
export * from './gateway-reads.js';
