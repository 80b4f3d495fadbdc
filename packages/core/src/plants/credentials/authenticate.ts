// Who may connect to the MQTT gateway: the gateway calls `authenticatePlant`
// at every CONNECT. The client id must be a live plant's id and equal the
// MQTT username; the plant must be PROVISIONED or ACTIVE; then its own method
// decides:
//   MTLS     — the TLS client certificate: issued by Helio's device CA, valid
//              now, CN = the plant id, and the plant's current certificate
//              (fingerprint recorded on the plant, state 'active');
//   TOKEN    — the MQTT password is a JWT for this plant (tokens.ts);
//   PASSWORD — the MQTT password's SHA-256 equals the stored digest.
// An MTLS client may leave the username out: the certificate names the plant.
//
// A refusal of a known plant counts on the plant (auth_failure_count,
// last_auth_failure_at). The first accepted connection of a PROVISIONED plant
// makes it ACTIVE (the 'connect' transition, by the system).
import type { Db } from '@helio/db';
import { hashToken, tokensEqual } from '../../auth/secrets.js';
import { createUuidV7Generator } from '../../ids.js';
import { parsePlantId } from '../access.js';
import type { PlantEnvironment } from '../environment.js';
import { CONNECTABLE, transition } from '../lifecycle.js';
import { PLANT_COLUMNS, type PlantRow } from '../rows.js';
import { verifyMqttJwt } from './tokens.js';

export interface ConnectAttempt {
  clientId: string;
  username: string | null;
  password: Buffer | null;
  /** DER of the TLS client certificate, when the client presented one. */
  peerCertificate: Buffer | null;
  /** Where the attempt came from (address), for logs and rate limits. */
  source: string;
  now: Date;
}

export type AuthenticateResult = { ok: true; plant: PlantRow } | { ok: false; reason: string; plantId: string | null };

const ids = createUuidV7Generator();
const SYSTEM = { kind: 'system', id: null } as const;

async function loadLivePlant(db: Db, id: string): Promise<PlantRow | null> {
  const { rows } = await db.query<PlantRow>(`SELECT ${PLANT_COLUMNS} FROM plants WHERE id = $1 AND deleted_at IS NULL`, [id]);
  return rows[0] ?? null;
}

async function recordFailure(db: Db, plantId: string, now: Date): Promise<void> {
  await db.query(
    `UPDATE plants SET auth_failure_count = auth_failure_count + 1,
       last_auth_failure_at = GREATEST(COALESCE(last_auth_failure_at, $2), $2)
     WHERE id = $1`,
    [plantId, now],
  );
}

/** Checks the credential of the plant's method; null when accepted, else the reason. */
async function checkCredential(db: Db, env: PlantEnvironment, plant: PlantRow, attempt: ConnectAttempt): Promise<string | null> {
  switch (plant.auth_method) {
    case 'MTLS': {
      if (!attempt.peerCertificate) return 'no-client-certificate';
      const verified = env.ca.verifyClient(attempt.peerCertificate, plant.id, attempt.now);
      if (!verified.ok) return `certificate-${verified.reason}`;
      if (plant.certificate_fingerprint !== verified.fingerprint) return 'certificate-not-current';
      const { rows } = await db.query<{ state: string }>('SELECT state FROM plant_certificates WHERE fingerprint = $1 AND plant_id = $2', [
        verified.fingerprint,
        plant.id,
      ]);
      if (rows[0]?.state !== 'active') return 'certificate-not-current';
      return null;
    }
    case 'TOKEN': {
      if (!attempt.password || attempt.password.length === 0) return 'no-token';
      const verified = await verifyMqttJwt(env, attempt.password.toString('utf8'), plant.id, attempt.now, plant.tokens_valid_after);
      return verified.ok ? null : `token-${verified.reason}`;
    }
    case 'PASSWORD': {
      if (!attempt.password || attempt.password.length === 0) return 'no-password';
      if (plant.password_hash === null) return 'no-password-set';
      return tokensEqual(hashToken(attempt.password.toString('utf8')), plant.password_hash) ? null : 'wrong-password';
    }
  }
}

/** The first accepted connection of a PROVISIONED plant: it becomes ACTIVE. */
async function activate(db: Db, plantId: string, now: Date): Promise<PlantRow | null> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<PlantRow>(`SELECT ${PLANT_COLUMNS} FROM plants WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`, [
      plantId,
    ]);
    const row = rows[0];
    if (!row) return null;
    // Another connection (or server) may have activated it, or an operator suspended it meanwhile.
    if (row.lifecycle_status !== 'PROVISIONED') return CONNECTABLE.has(row.lifecycle_status) ? row : null;
    const to = await transition(tx, row, 'connect', SYSTEM, { id: ids.uuid(), at: now });
    const updated = await tx.query<PlantRow>(
      `UPDATE plants SET lifecycle_status = $2, activated_at = COALESCE(activated_at, $3), updated_at = $3
       WHERE id = $1 RETURNING ${PLANT_COLUMNS}`,
      [plantId, to, now],
    );
    return updated.rows[0]!;
  });
}

export async function authenticatePlant(db: Db, env: PlantEnvironment, attempt: ConnectAttempt): Promise<AuthenticateResult> {
  let plantId: string;
  try {
    plantId = parsePlantId(attempt.clientId, 'clientId');
  } catch {
    return { ok: false, reason: 'client-id-not-a-plant-id', plantId: null };
  }
  // Exactly the id as Helio writes it (lowercase): the topics are named with it.
  if (plantId !== attempt.clientId) return { ok: false, reason: 'client-id-not-a-plant-id', plantId: null };
  const plant = await loadLivePlant(db, plantId);
  if (!plant) return { ok: false, reason: 'unknown-plant', plantId: null };

  const refuse = async (reason: string): Promise<AuthenticateResult> => {
    await recordFailure(db, plant.id, attempt.now);
    return { ok: false, reason, plantId: plant.id };
  };

  const username = attempt.username ?? '';
  if (username === '' ? plant.auth_method !== 'MTLS' : username !== plant.id) return refuse('username-not-client-id');
  // The credential first: an unauthenticated client learns nothing of the plant's state.
  const reason = await checkCredential(db, env, plant, attempt);
  if (reason !== null) return refuse(reason);
  if (!CONNECTABLE.has(plant.lifecycle_status)) return refuse(`plant-${plant.lifecycle_status.toLowerCase()}`);

  if (plant.lifecycle_status === 'PROVISIONED') {
    const active = await activate(db, plant.id, attempt.now);
    if (!active) return refuse('plant-state-changed');
    return { ok: true, plant: active };
  }
  return { ok: true, plant };
}
