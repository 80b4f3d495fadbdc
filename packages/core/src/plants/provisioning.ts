// Giving a plant its credentials, and taking them away: provisioning (the
// package a device is configured with, shown once), MQTT tokens, rotation of
// the HMAC secret, and revocation. Each runs in one transaction that locks the
// plant, checks and records the lifecycle transition, and writes the new
// credentials; the gateway hears of the change once it committed.
//
// Secrets are never stored in the clear: HMAC secrets sealed (secret-box.ts),
// passwords as SHA-256 digests, certificates by fingerprint and serial.
import type { Queryable } from '@helio/db';
import { z } from 'zod';
import { hashToken, randomToken } from '../auth/secrets.js';
import type { ServiceContext } from '../context.js';
import { DomainError } from '../errors.js';
import { parseInput } from '../validation.js';
import { parsePlantId } from './access.js';
import { GRACE_PERIOD_MINUTES, newHmacSecret } from './credentials/hmac.js';
import { seal } from './credentials/secret-box.js';
import { issueMqttJwt } from './credentials/tokens.js';
import type { PlantEnvironment } from './environment.js';
import { notifyPlantChanged } from './events.js';
import { actorOf, REFUSAL, transition } from './lifecycle.js';
import { templateColumns, toTemplate, type PlantRow, type TemplateRow } from './rows.js';
import type { AuthMethod, Signal, Template } from './schema.js';
import { loadPlantForAction } from './service.js';

export interface PlantTopics {
  ack: string;
  commands: string;
  status: string;
  telemetry: string;
}

/** The MQTT topics of a plant (it publishes telemetry, status and ack; it subscribes to commands). */
export function plantTopics(plantId: string): PlantTopics {
  return {
    ack: `plants/${plantId}/ack`,
    commands: `plants/${plantId}/commands`,
    status: `plants/${plantId}/status`,
    telemetry: `plants/${plantId}/telemetry`,
  };
}

/** What the device needs to know about the messages it exchanges (informative). */
export const PROTOCOL = {
  version: 1,
  envelope: 'hmac-sha256',
  qos: 1,
  formats: {
    envelope: '{"payload": "<JSON text>", "sig": "<lowercase hex HMAC-SHA256 of payload, key = UTF-8 bytes of hmacSecret>"}',
    telemetry:
      '{"ts": "<ISO-8601 with offset>", "values": {"<signal key or base field>": <number>}, "device": "<sub-device nodeId, optional>"}',
    status: '{"status": "ONLINE" | "OFFLINE" | "FAULT", "faults": [{"code", "message", "active": <boolean>}], "ts": "<ISO-8601>"}',
    ack: '{"cmdId": "<cmdId>", "status": "acked" | "done" | "failed" | "declined", "response": {}}',
    command: '{"cmdId", "command", "payload", "target", "issuedAt", "expiresAt"} (signed by Helio with the same secret)',
  },
} as const;

export interface ProvisioningPackage {
  authMethod: AuthMethod;
  mqtt: {
    /** Host name devices connect to. */
    broker: string;
    /**
     * The gateway's TLS port, for every method: the device verifies the
     * gateway with `security.caCert`, so a password or token never crosses
     * the network in the clear.
     */
    port: number;
    /** Always true: `port` speaks MQTT over TLS. */
    tls: true;
    /** The TLS port again (the same as `port`). */
    tlsPort: number;
    /**
     * The gateway's plain TCP port: credentials and messages travel unencrypted.
     * Only for trusted networks and tests; MTLS plants cannot use it.
     */
    tcpPort: number;
    username: string;
    clientId: string;
    topics: PlantTopics;
  };
  plantId: string;
  protocol: typeof PROTOCOL;
  /** The plant as the device needs it: its template's signals name the keys its telemetry may carry. */
  plant: { name: string; serialNumber: string; type: string; templateId: string | null };
  template: { id: string; name: string; version: number; signals: Signal[]; actions: Template['actions'] } | null;
  security: {
    /** Helio's device CA: the trust anchor of the gateway's TLS port (present for every method). */
    caCert: string;
    /** MTLS: the client certificate (PEM). */
    clientCert?: string;
    /** MTLS: its private key (PKCS#8 PEM); absent when the certificate was issued from the device's CSR. */
    clientKey?: string;
    hmacSecret: string;
    /** PASSWORD: the MQTT password (shown only here). */
    password?: string;
    /** TOKEN: an MQTT token (refresh with POST /plants/{id}/mqtt-token). */
    token?: string;
    tokenExpiresAt?: string;
  };
}

const provisionInput = z
  .strictObject({
    csr: z.string().trim().min(1).max(16_384).optional(),
  })
  .optional();

async function templateOf(q: Queryable, row: PlantRow): Promise<Template | null> {
  if (!row.template_id) return null;
  const { rows } = await q.query<TemplateRow>(`SELECT ${templateColumns('t')} FROM device_templates t WHERE t.id = $1`, [row.template_id]);
  return rows[0] ? toTemplate(rows[0]) : null;
}

/**
 * Provisions a plant: new credentials for its method (MTLS: a certificate,
 * retiring the previous one; PASSWORD: a password; TOKEN: a token, older
 * tokens refused) and a new HMAC secret for every method (a previous one is
 * no longer accepted). Also renews an ACTIVE plant's credentials.
 */
export async function provisionPlant(
  ctx: ServiceContext,
  env: PlantEnvironment,
  plantId: string,
  input: unknown = {},
): Promise<ProvisioningPackage> {
  const id = parsePlantId(plantId);
  const { csr } = parseInput(provisionInput, input ?? {}) ?? {};
  const pkg = await ctx.db.transaction(async (tx) => {
    const row = await loadPlantForAction(tx, ctx, id, 'manage');
    const now = ctx.clock.now();
    if (csr !== undefined && row.auth_method !== 'MTLS') {
      throw new DomainError('VALIDATION_ERROR', 'a CSR is accepted for MTLS plants only', [
        { path: 'csr', message: `the plant authenticates with ${row.auth_method}` },
      ]);
    }
    const to = await transition(tx, row, 'provision', actorOf(ctx.principal), { id: ctx.ids.uuid(), at: now });
    const hmacSecret = newHmacSecret();
    const security: ProvisioningPackage['security'] = { caCert: env.ca.certPem, hmacSecret };

    // Whatever the method, the previous certificate ends here (renewed, or no longer the plant's way in).
    await tx.query(`UPDATE plant_certificates SET state = 'retired', ended_at = $2 WHERE plant_id = $1 AND state = 'active'`, [id, now]);
    let cert: { fingerprint: string; serial: string; notAfter: Date } | null = null;
    let passwordHash: string | null = null;
    let tokensValidAfter: Date | null = row.tokens_valid_after;
    switch (row.auth_method) {
      case 'MTLS': {
        const issued = await env.ca.issue({ plantId: id, csrPem: csr ?? null, now, validityDays: env.certificateValidityDays });
        await tx.query(
          `INSERT INTO plant_certificates (serial_number, plant_id, fingerprint, not_before, not_after, state, key_generated, issued_at)
           VALUES ($1, $2, $3, $4, $5, 'active', $6, $7)`,
          [issued.serial, id, issued.fingerprint, issued.notBefore, issued.notAfter, issued.keyPem !== null, now],
        );
        cert = issued;
        security.clientCert = issued.certPem;
        if (issued.keyPem !== null) security.clientKey = issued.keyPem;
        break;
      }
      case 'PASSWORD': {
        const password = randomToken(32);
        passwordHash = hashToken(password);
        security.password = password;
        break;
      }
      case 'TOKEN': {
        // Tokens handed out before this package are no longer accepted.
        tokensValidAfter = now;
        const { token, expiresAt } = await issueMqttJwt(env, id, now);
        security.token = token;
        security.tokenExpiresAt = expiresAt.toISOString();
        break;
      }
    }
    // Only a renewal of an ACTIVE plant keeps its activation: otherwise (PENDING,
    // PROVISIONED, REVOKED) the plant has not yet connected with these
    // credentials, and its first accepted connection sets activated_at again
    // (so a reactivation before then leads back to PROVISIONED, not ACTIVE).
    const keepActivation = row.lifecycle_status === 'ACTIVE';
    await tx.query(
      `UPDATE plants SET lifecycle_status = $2,
         certificate_fingerprint = $3, certificate_serial_number = $4, certificate_expires_at = $5,
         password_hash = $6, hmac_secret_enc = $7, previous_hmac_secret_enc = NULL, previous_hmac_until = NULL,
         secret_rotated_at = $8, tokens_valid_after = $9, activated_at = CASE WHEN $10::boolean THEN activated_at END, updated_at = $8
       WHERE id = $1`,
      [
        id,
        to,
        cert?.fingerprint ?? null,
        cert?.serial ?? null,
        cert?.notAfter ?? null,
        passwordHash,
        seal(env.sealKey, hmacSecret),
        now,
        tokensValidAfter,
        keepActivation,
      ],
    );
    const template = await templateOf(tx, row);
    const result: ProvisioningPackage = {
      authMethod: row.auth_method,
      mqtt: {
        broker: env.broker.host,
        port: env.broker.tlsPort,
        tls: true,
        tlsPort: env.broker.tlsPort,
        tcpPort: env.broker.port,
        username: id,
        clientId: id,
        topics: plantTopics(id),
      },
      plantId: id,
      protocol: PROTOCOL,
      plant: { name: row.name, serialNumber: row.serial_number, type: row.type, templateId: row.template_id },
      template: template && {
        id: template.id,
        name: template.name,
        version: template.version,
        signals: template.signals,
        actions: template.actions,
      },
      security,
    };
    return result;
  });
  notifyPlantChanged(id);
  return pkg;
}

/** A new MQTT token for a TOKEN plant (PROVISIONED or ACTIVE). */
export async function issueMqttToken(
  ctx: ServiceContext,
  env: PlantEnvironment,
  plantId: string,
): Promise<{ token: string; expiresAt: string }> {
  const id = parsePlantId(plantId);
  return ctx.db.transaction(async (tx) => {
    const row = await loadPlantForAction(tx, ctx, id, 'manage');
    if (row.auth_method !== 'TOKEN') {
      throw new DomainError('VALIDATION_ERROR', REFUSAL['mqtt-token'], [
        { path: 'authMethod', message: `the plant authenticates with ${row.auth_method}`, issue: 'not_token_plant' },
      ]);
    }
    const now = ctx.clock.now();
    await transition(tx, row, 'mqtt-token', actorOf(ctx.principal), { id: ctx.ids.uuid(), at: now });
    const { token, expiresAt } = await issueMqttJwt(env, id, now);
    return { token, expiresAt: expiresAt.toISOString() };
  });
}

/**
 * A new HMAC secret; the current one stays accepted for the grace period
 * (a secret rotated within the grace of an earlier rotation drops the oldest).
 */
export async function rotateSecret(
  ctx: ServiceContext,
  env: PlantEnvironment,
  plantId: string,
): Promise<{ hmacSecret: string; gracePeriodMinutes: number }> {
  const id = parsePlantId(plantId);
  const hmacSecret = newHmacSecret();
  await ctx.db.transaction(async (tx) => {
    const row = await loadPlantForAction(tx, ctx, id, 'manage');
    const now = ctx.clock.now();
    await transition(tx, row, 'rotate-secret', actorOf(ctx.principal), { id: ctx.ids.uuid(), at: now });
    const until = row.hmac_secret_enc === null ? null : new Date(now.getTime() + GRACE_PERIOD_MINUTES * 60_000);
    await tx.query(
      `UPDATE plants SET hmac_secret_enc = $2, previous_hmac_secret_enc = $3, previous_hmac_until = $4,
         secret_rotated_at = $5, updated_at = $5
       WHERE id = $1`,
      [id, seal(env.sealKey, hmacSecret), row.hmac_secret_enc, until, now],
    );
  });
  notifyPlantChanged(id);
  return { hmacSecret, gracePeriodMinutes: GRACE_PERIOD_MINUTES };
}

/**
 * Revokes a plant's credentials: its certificate, HMAC secrets, password and
 * tokens are no longer accepted; it must be provisioned again to connect.
 */
export async function revokePlant(ctx: ServiceContext, _env: PlantEnvironment, plantId: string): Promise<{ message: string }> {
  const id = parsePlantId(plantId);
  await ctx.db.transaction(async (tx) => {
    const row = await loadPlantForAction(tx, ctx, id, 'manage');
    const now = ctx.clock.now();
    const to = await transition(tx, row, 'revoke', actorOf(ctx.principal), { id: ctx.ids.uuid(), at: now });
    await tx.query(`UPDATE plant_certificates SET state = 'revoked', ended_at = $2 WHERE plant_id = $1 AND state = 'active'`, [id, now]);
    // The certificate's fingerprint, serial and expiry stay on the plant: the record of what was revoked.
    await tx.query(
      `UPDATE plants SET lifecycle_status = $2, hmac_secret_enc = NULL, previous_hmac_secret_enc = NULL, previous_hmac_until = NULL,
         password_hash = NULL, tokens_valid_after = $3, updated_at = $3
       WHERE id = $1`,
      [id, to, now],
    );
  });
  notifyPlantChanged(id);
  return { message: 'Plant revoked: its certificate, HMAC secret and credentials are no longer accepted' };
}
