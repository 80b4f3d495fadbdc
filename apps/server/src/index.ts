// What other workspaces (the bench, end-to-end tests) may use of the server.
export { buildApp, type BuildAppOptions } from './app.js';
export { ConfigError, describeConfig, loadConfig, type Config, type LoadConfigOptions } from './config.js';
export { startServer, type RunningServer } from './server.js';
export { serviceContext, type AppServices } from './services.js';
export {
  createDeviceSimulator,
  DeviceConnectError,
  parseProvisioningPackage,
  type DeviceSimulator,
  type DeviceSimulatorOptions,
  type SimulatorEvent,
  type SimulatorStats,
} from './devices/index.js';
