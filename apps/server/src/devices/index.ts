// The device simulator: a plant on MQTT, as `helio device simulate` and the MQTT benchmark run it.
export { createDeviceSimulator, DeviceConnectError, DeviceSetupError } from './simulator.js';
export type { DeviceSimulator, DeviceSimulatorOptions, RunOptions, SimulatorEvent, SimulatorStats } from './simulator.js';
export { parseProvisioningPackage, parseTemplateSignals, type ProvisioningPackage, type SignalSpec } from './package.js';
export { openEnvelope, signEnvelope, hmacHex } from './envelope.js';
export { builtInOutcome, type CommandHandler, type CommandOutcome, type IncomingCommand, type AckStatus } from './commands.js';
export { createTelemetryGenerator, defaultSignals } from './values.js';
