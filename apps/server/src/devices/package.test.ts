import { isDomainError } from '@helio/core';
import { describe, expect, it } from 'vitest';
import { parseProvisioningPackage, parseTemplateSignals } from './package.js';

const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const base = {
  plantId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
  mqtt: {
    broker: 'localhost',
    port: 8884,
    topics: { telemetry: 'plants/x/telemetry', status: 'plants/x/status', commands: 'plants/x/commands', ack: 'plants/x/ack' },
  },
  protocol: { version: 1 },
};

function problems(input: unknown): string[] {
  try {
    parseProvisioningPackage(input);
    return [];
  } catch (err) {
    if (!isDomainError(err)) throw err;
    expect(err.code).toBe('VALIDATION_ERROR');
    return err.details.map((d) => d.path ?? '');
  }
}

describe('provisioning package', () => {
  it('reads each method with what it needs, keeping fields it does not know', () => {
    const mtls = parseProvisioningPackage({
      ...base,
      authMethod: 'MTLS',
      security: { hmacSecret: 'h', caCert: pem, clientCert: pem, clientKey: pem.replaceAll('CERTIFICATE', 'PRIVATE KEY') },
    });
    expect(mtls.mqtt.port).toBe(8884);
    expect(mtls['protocol']).toEqual({ version: 1 });
    expect(parseProvisioningPackage({ ...base, authMethod: 'TOKEN', security: { hmacSecret: 'h', token: 'jwt' } }).security.token).toBe(
      'jwt',
    );
    expect(parseProvisioningPackage({ ...base, authMethod: 'PASSWORD', security: { hmacSecret: 'h', password: 'pw' } }).authMethod).toBe(
      'PASSWORD',
    );
  });

  it('names each credential a method lacks', () => {
    expect(problems({ ...base, authMethod: 'MTLS', security: { hmacSecret: 'h' } })).toEqual(['security.caCert', 'security.clientCert']);
    expect(problems({ ...base, authMethod: 'TOKEN', security: { hmacSecret: 'h', password: 'pw' } })).toEqual(['security.token']);
    expect(problems({ ...base, authMethod: 'PASSWORD', security: { hmacSecret: 'h' } })).toEqual(['security.password']);
  });

  it('refuses a package without topics, secret or plant id', () => {
    const paths = problems({
      authMethod: 'PASSWORD',
      mqtt: { broker: 'localhost', port: 1884 },
      security: { password: 'pw', caCert: 'not pem' },
    });
    expect(paths).toEqual(expect.arrayContaining(['plantId', 'mqtt.topics', 'security.hmacSecret', 'security.caCert']));
  });

  it('reads the signals of a template document', () => {
    expect(parseTemplateSignals({ name: 'Meter', signals: [{ key: 'e', field: 'Wh', counter: true, scale: 1000 }] })).toEqual([
      { key: 'e', field: 'Wh', counter: true, scale: 1000 },
    ]);
    expect(() => parseTemplateSignals({ signals: [] })).toThrow(/signals/);
  });
});
