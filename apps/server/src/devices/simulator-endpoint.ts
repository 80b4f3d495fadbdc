// Where and how a simulated plant connects: the gateway's address and port
// from its provisioning package (TLS on `mqtt.port` unless plain TCP is
// asked for), the checks that refuse a setup that cannot work before any
// connection is tried, and the MQTT.js options of each connection.
import type { IClientOptions } from 'mqtt';
import type { ProvisioningPackage } from './package.js';
import { DeviceSetupError, type DeviceSimulatorOptions } from './simulator-types.js';

const TLS_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export const isTlsError = (err: Error & { code?: unknown }) =>
  typeof err.code === 'string' && (TLS_ERRORS.has(err.code) || err.code.startsWith('ERR_SSL'));

/** An error carrying a CONNACK return code (3.1.1) or reason code (5). */
export const refusalCode = (err: (Error & { code?: unknown }) | null): number | null =>
  err && typeof err.code === 'number' && /^Connection refused/.test(err.message) ? err.code : null;

/** The package's TLS port (`mqtt.port`) or plain TCP port (`mqtt.tcpPort`). */
function packagePort(pkg: ProvisioningPackage, tls: boolean): number | undefined {
  // A package from before `mqtt.tls` named the TCP port in `mqtt.port` for TOKEN and PASSWORD plants, the TLS one in `mqtt.tlsPort`.
  const older = pkg.mqtt.tls !== true && pkg.mqtt.tlsPort !== undefined;
  if (tls) return older ? pkg.mqtt.tlsPort : pkg.mqtt.port;
  return pkg.mqtt.tcpPort ?? (older && pkg.authMethod !== 'MTLS' ? pkg.mqtt.port : undefined);
}

/** The gateway a simulator connects to, checked against its package. */
export interface Endpoint {
  host: string;
  port: number;
  tls: boolean;
  mtls: boolean;
  clientKey: string | undefined;
  url: string;
}

export function resolveEndpoint(pkg: ProvisioningPackage, options: DeviceSimulatorOptions): Endpoint {
  const mtls = pkg.authMethod === 'MTLS';
  // TLS unless asked otherwise, for every method: the credentials go only to a gateway the package's CA vouches for.
  const tls = options.tcp !== true;
  if (mtls && !tls) throw new DeviceSetupError('an MTLS plant connects over TLS only (its client certificate is its credential)');
  if (tls && !pkg.security.caCert) {
    throw new DeviceSetupError(
      "the package has no caCert to verify the gateway's TLS certificate with: download a fresh package (or, on a trusted network only, use plain TCP)",
    );
  }
  const host = options.host ?? pkg.mqtt.broker;
  const port = options.port ?? packagePort(pkg, tls);
  if (port === undefined) throw new DeviceSetupError('the package names no plain TCP port (mqtt.tcpPort): give the port');
  const clientKey = pkg.security.clientKey ?? options.clientKey;
  if (mtls && !clientKey) throw new DeviceSetupError('the package has no client key (issued from a CSR?): give the private key');
  const url = `${tls ? 'mqtts' : 'mqtt'}://${host}:${port}`;
  return { host, port, tls, mtls, clientKey, url };
}

/** One connection's MQTT.js options: the plant's identity, credentials and will (the signed OFFLINE status, or none). */
export function mqttClientOptions(
  pkg: ProvisioningPackage,
  options: DeviceSimulatorOptions,
  endpoint: Endpoint,
  credentials: { password: string | undefined; will: string | null },
): IClientOptions {
  const { host, port, tls, mtls, clientKey } = endpoint;
  const base: IClientOptions = {
    host,
    port,
    protocol: tls ? 'mqtts' : 'mqtt',
    protocolVersion: options.protocolVersion ?? 4,
    clientId: pkg.mqtt.clientId ?? pkg.plantId,
    username: pkg.mqtt.username ?? pkg.plantId,
    clean: true,
    keepalive: options.keepaliveSeconds ?? 30,
    connectTimeout: options.connectTimeoutMs ?? 10_000,
    reconnectPeriod: 0,
    resubscribe: false,
    queueQoSZero: false,
  };
  if (credentials.password !== undefined) base.password = credentials.password;
  if (credentials.will !== null) {
    base.will = { topic: pkg.mqtt.topics.status, payload: Buffer.from(credentials.will), qos: 1, retain: false };
  }
  if (tls) {
    Object.assign(base, {
      ca: pkg.security.caCert,
      rejectUnauthorized: true,
      ...(mtls ? { cert: pkg.security.clientCert, key: clientKey } : {}),
      ...(options.insecureHostCheck ? { checkServerIdentity: () => undefined } : {}),
    });
  }
  return base;
}
