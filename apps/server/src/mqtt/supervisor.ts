// Keeps connected plants honest to the database. Every second (and at once
// for a plant this process or another server announces changed), each plant
// connected here is checked against its row: still live and PROVISIONED or
// ACTIVE, still authenticating the way it did (the same current, active,
// unexpired certificate; the same password; a token neither revoked nor
// expired). A plant that fails is disconnected: suspension, revocation,
// decommissioning and re-provisioning take effect within a second or two.
// The same pass refreshes each session's row (a rotated HMAC secret, a new
// template), has the gateway show ONLINE again a plant connected here that
// its row shows otherwise, and delivers commands that a missed notice left
// queued.
import { plants } from '@helio/core';
import type { CommandDispatcher } from './commands.js';
import { REASON } from './connection.js';
import type { GatewayContext } from './context.js';
import type { PlantSession } from './sessions.js';

/** Tokens are accepted up to this long past `exp` (clocks disagree), as at CONNECT. */
const TOKEN_SKEW_MS = 10 * 60_000;

/** Why a connected plant may no longer stay connected, or null. */
export function connectionVerdict(
  session: PlantSession,
  row: plants.PlantRow | undefined,
  activeCertificates: ReadonlySet<string>,
  now: Date,
): string | null {
  if (!row || row.deleted_at !== null) return 'decommissioned';
  if (!plants.CONNECTABLE.has(row.lifecycle_status)) return `plant ${row.lifecycle_status.toLowerCase()}`;
  const c = session.credential;
  if (row.auth_method !== c.method) return 'authentication method changed';
  switch (c.method) {
    case 'MTLS':
      if (row.certificate_fingerprint !== c.fingerprint || c.fingerprint === null || !activeCertificates.has(c.fingerprint)) {
        return 'certificate no longer current';
      }
      if (row.certificate_expires_at !== null && new Date(row.certificate_expires_at).getTime() <= now.getTime())
        return 'certificate expired';
      return null;
    case 'PASSWORD':
      return row.password_hash === c.passwordHash ? null : 'password changed';
    case 'TOKEN': {
      const validAfter = row.tokens_valid_after === null ? null : new Date(row.tokens_valid_after);
      const issuedAt = c.tokenIssuedAt ?? session.connectedAt;
      if (validAfter !== null && issuedAt.getTime() < validAfter.getTime()) return 'token revoked';
      if (c.tokenExpiresAt !== null && now.getTime() > c.tokenExpiresAt.getTime() + TOKEN_SKEW_MS) return 'token expired';
      return null;
    }
  }
}

export interface Supervisor {
  /** Checks these plants now (all connected plants when omitted). */
  check(plantIds?: readonly string[]): Promise<void>;
  stop(): Promise<void>;
}

export function startSupervisor(
  cx: GatewayContext,
  commands: CommandDispatcher,
  disconnect: (session: PlantSession, reason: string, code: number) => void,
  /** A plant that stays connected, with its row: the gateway makes sure the row shows it connected here. */
  keepOnline: (session: PlantSession, row: plants.PlantRow) => void,
  opts: { intervalMs: number },
): Supervisor {
  let running: Promise<void> | undefined;
  let stopped = false;

  async function pass(ids: readonly string[] | undefined): Promise<void> {
    const sessions = (ids ? ids.map((id) => cx.sessions.connected(id)) : cx.sessions.all()).filter(
      (s): s is PlantSession => !!s && !s.closing,
    );
    if (sessions.length === 0) return;
    const plantIds = sessions.map((s) => s.plantId);
    const now = cx.clock.now();
    const rows = await plants.plantRows(cx.db, plantIds);
    const fingerprints = sessions.flatMap((s) => (s.credential.fingerprint ? [s.credential.fingerprint] : []));
    const active = await plants.activeFingerprints(cx.db, fingerprints);
    const stay: PlantSession[] = [];
    for (const session of sessions) {
      const row = rows.get(session.plantId);
      const verdict = connectionVerdict(session, row, active, now);
      if (verdict !== null) {
        disconnect(
          session,
          verdict,
          verdict === 'decommissioned' || verdict.startsWith('plant ') ? REASON.administrativeAction : REASON.notAuthorized,
        );
      } else {
        // Not older than what a message handler may have read meanwhile (a rotated secret).
        if (new Date(row!.updated_at).getTime() >= new Date(session.row.updated_at).getTime()) session.row = row!;
        keepOnline(session, row!);
        stay.push(session);
      }
    }
    const withCommands = await plants.plantsWithQueuedCommands(
      cx.db,
      stay.filter((s) => commands.subscribed(s)).map((s) => s.plantId),
      now,
    );
    for (const session of stay) if (withCommands.has(session.plantId)) void commands.deliver(session);
  }

  async function check(ids?: readonly string[]): Promise<void> {
    try {
      await cx.track(pass(ids));
    } catch (err) {
      cx.log.error({ err }, 'mqtt: connected plants not checked; trying again in a second');
    }
  }

  const timer = setInterval(() => {
    if (stopped || running) return;
    running = check().finally(() => {
      running = undefined;
    });
  }, opts.intervalMs);
  timer.unref();

  return {
    check,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
