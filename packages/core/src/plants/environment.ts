// What the plant services need beyond the database: the device CA, the keys
// that seal HMAC secrets and sign MQTT tokens, and where the gateway listens
// (written into provisioning packages). Built once per server from its
// configuration (apps/server/src/plant-environment.ts).
import type { DeviceCa } from './credentials/ca.js';

export interface BrokerAddress {
  /** Host name or address devices connect to. */
  host: string;
  /** MQTT over TCP (TOKEN and PASSWORD plants). */
  port: number;
  /** MQTT over TLS (every plant may use it; MTLS plants must). */
  tlsPort: number;
}

export interface PlantEnvironment {
  ca: DeviceCa;
  /** 32 bytes: seals HMAC secrets at rest. */
  sealKey: Buffer;
  /** 32 bytes: the HS256 key of MQTT tokens. */
  tokenKey: Uint8Array;
  /** Mutable: the gateway writes the ports really in use once it listens. */
  broker: BrokerAddress;
  certificateValidityDays: number;
  /** Queued commands expire after this many seconds. */
  commandTtlSeconds: number;
}
