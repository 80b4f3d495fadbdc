// The provisioning package as a device reads it (what `POST
// /api/v1/plants/{id}/provision` returns and `.../provision/download` saves):
// where the gateway is, the plant's topics, and its credentials. Only what a
// device needs is checked; other fields are kept as they are.
import { parseInput, validationError, zodDetails, type ErrorDetail } from '@helio/core/basics';
import { z } from 'zod';

const pem = (what: string) => z.string().includes('-----BEGIN', { message: `${what} must be PEM text` });

/** A template signal, as the simulator uses it to shape its telemetry. */
export const signalSpec = z.object({
  key: z.string().min(1),
  field: z.string().min(1),
  scale: z.number().positive().optional(),
  unit: z.string().optional(),
  counter: z.boolean().optional(),
  name: z.string().optional(),
});
export type SignalSpec = z.infer<typeof signalSpec>;

export const provisioningPackage = z.looseObject({
  plantId: z.string().min(1),
  authMethod: z.enum(['MTLS', 'TOKEN', 'PASSWORD']),
  mqtt: z.looseObject({
    broker: z.string().min(1),
    /** The gateway's TLS port, for every method (verified with `security.caCert`). */
    port: z.number().int().min(1).max(65535),
    /** True: `port` speaks TLS. (Packages from before it named the TCP port in `port` for TOKEN and PASSWORD plants.) */
    tls: z.boolean().optional(),
    tlsPort: z.number().int().min(1).max(65535).optional(),
    /** Plain TCP, for trusted networks and tests only (`--tcp`). */
    tcpPort: z.number().int().min(1).max(65535).optional(),
    username: z.string().min(1).optional(),
    clientId: z.string().min(1).optional(),
    topics: z.object({
      telemetry: z.string().min(1),
      status: z.string().min(1),
      commands: z.string().min(1),
      ack: z.string().min(1),
    }),
  }),
  security: z.looseObject({
    hmacSecret: z.string().min(1),
    caCert: pem('caCert').optional(),
    clientCert: pem('clientCert').optional(),
    clientKey: pem('clientKey').optional(),
    token: z.string().min(1).optional(),
    tokenExpiresAt: z.string().optional(),
    password: z.string().min(1).optional(),
  }),
  // A package may carry the plant's template; the simulator then sends its signals.
  template: z.looseObject({ signals: z.array(signalSpec) }).nullish(),
});
export type ProvisioningPackage = z.infer<typeof provisioningPackage>;

/** The credentials each method needs, named even when the rest of the package is broken too. */
function missingCredentials(input: unknown): ErrorDetail[] {
  const pkg = (typeof input === 'object' && input !== null ? input : {}) as { authMethod?: unknown; security?: unknown };
  const security = (typeof pkg.security === 'object' && pkg.security !== null ? pkg.security : {}) as Record<string, unknown>;
  const need: Record<string, [field: string, why: string][]> = {
    MTLS: [
      ['caCert', 'an MTLS plant needs the CA certificate that signed the gateway'],
      ['clientCert', 'an MTLS plant needs its client certificate'],
    ],
    TOKEN: [['token', 'a TOKEN plant needs its MQTT token (POST /api/v1/plants/{id}/mqtt-token)']],
    PASSWORD: [['password', 'a PASSWORD plant needs its password']],
  };
  return (need[String(pkg.authMethod)] ?? [])
    .filter(([field]) => security[field] === undefined)
    .map(([field, message]) => ({ path: `security.${field}`, message, issue: 'missing_credential' }));
}

/** A package read from JSON: VALIDATION_ERROR (a DomainError) naming everything missing or wrong. */
export function parseProvisioningPackage(input: unknown): ProvisioningPackage {
  const parsed = provisioningPackage.safeParse(input);
  const details = [...(parsed.success ? [] : zodDetails(parsed.error)), ...missingCredentials(input)];
  if (parsed.success && details.length === 0) return parsed.data;
  const summary = details
    .slice(0, 3)
    .map((d) => `${d.path}: ${d.message}`)
    .join('; ');
  throw validationError(`not a provisioning package: ${summary}${details.length > 3 ? `; and ${details.length - 3} more` : ''}`, details);
}

/** Signals from a template document (`{signals: [...]}`, as GET /api/v1/templates/{id} answers). */
export function parseTemplateSignals(input: unknown): SignalSpec[] {
  return parseInput(z.looseObject({ signals: z.array(signalSpec).min(1) }), input).signals;
}
