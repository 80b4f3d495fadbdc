// A plant environment for tests: a device CA created once per process (key
// generation is the slow part), fresh random keys, fixed broker address.
import { randomBytes } from 'node:crypto';
import type { PlantEnvironment } from '../environment.js';
import { createCa, openCa, type DeviceCa } from './ca.js';

let sharedCa: Promise<DeviceCa> | undefined;

export function testDeviceCa(): Promise<DeviceCa> {
  sharedCa ??= createCa(new Date()).then(openCa);
  return sharedCa;
}

export async function createTestPlantEnvironment(overrides: Partial<PlantEnvironment> = {}): Promise<PlantEnvironment> {
  return {
    ca: overrides.ca ?? (await testDeviceCa()),
    sealKey: randomBytes(32),
    tokenKey: new Uint8Array(randomBytes(32)),
    broker: { host: 'mqtt.example.test', port: 1884, tlsPort: 8884 },
    certificateValidityDays: 365,
    commandTtlSeconds: 86_400,
    ...overrides,
  };
}
