import type { plants } from '@helio/core';
import { describe, expect, it } from 'vitest';
import type { Credential, PlantSession } from './sessions.js';
import { connectionVerdict } from './supervisor.js';

const now = new Date('2031-05-01T12:00:00Z');
const connectedAt = new Date('2031-05-01T11:00:00Z');

function row(changes: Partial<plants.PlantRow> = {}): plants.PlantRow {
  return {
    id: 'p',
    deleted_at: null,
    lifecycle_status: 'ACTIVE',
    auth_method: 'MTLS',
    certificate_fingerprint: 'fp-1',
    certificate_expires_at: new Date('2032-01-01T00:00:00Z'),
    password_hash: null,
    tokens_valid_after: null,
    ...changes,
  } as plants.PlantRow;
}

function session(credential: Partial<Credential>): PlantSession {
  return {
    connectedAt,
    credential: { method: 'MTLS', fingerprint: 'fp-1', passwordHash: null, tokenIssuedAt: null, tokenExpiresAt: null, ...credential },
  } as PlantSession;
}

const active = new Set(['fp-1']);

describe('whether a connected plant may stay', () => {
  it('stays while nothing changed', () => {
    expect(connectionVerdict(session({}), row(), active, now)).toBeNull();
    expect(connectionVerdict(session({}), row({ lifecycle_status: 'PROVISIONED' }), active, now)).toBeNull();
  });

  it('goes when decommissioned, suspended or revoked', () => {
    expect(connectionVerdict(session({}), undefined, active, now)).toBe('decommissioned');
    expect(connectionVerdict(session({}), row({ deleted_at: now }), active, now)).toBe('decommissioned');
    expect(connectionVerdict(session({}), row({ lifecycle_status: 'SUSPENDED' }), active, now)).toBe('plant suspended');
    expect(connectionVerdict(session({}), row({ lifecycle_status: 'REVOKED' }), active, now)).toBe('plant revoked');
  });

  it('goes when its certificate is no longer the current, active, unexpired one', () => {
    expect(connectionVerdict(session({}), row({ certificate_fingerprint: 'fp-2' }), new Set(['fp-1', 'fp-2']), now)).toBe(
      'certificate no longer current',
    );
    expect(connectionVerdict(session({}), row(), new Set(), now)).toBe('certificate no longer current');
    expect(connectionVerdict(session({}), row({ certificate_expires_at: new Date('2031-05-01T11:59:59Z') }), active, now)).toBe(
      'certificate expired',
    );
  });

  it('goes when its password changed, or its method', () => {
    const s = session({ method: 'PASSWORD', fingerprint: null, passwordHash: 'h1' });
    expect(connectionVerdict(s, row({ auth_method: 'PASSWORD', password_hash: 'h1' }), active, now)).toBeNull();
    expect(connectionVerdict(s, row({ auth_method: 'PASSWORD', password_hash: 'h2' }), active, now)).toBe('password changed');
    expect(connectionVerdict(s, row({ auth_method: 'PASSWORD', password_hash: null }), active, now)).toBe('password changed');
    expect(connectionVerdict(s, row({ auth_method: 'TOKEN' }), active, now)).toBe('authentication method changed');
  });

  it('goes when its token was revoked after it was issued, or expired beyond the clock skew', () => {
    const s = session({
      method: 'TOKEN',
      fingerprint: null,
      tokenIssuedAt: new Date('2031-05-01T10:00:00Z'),
      tokenExpiresAt: new Date('2031-05-01T11:55:00Z'),
    });
    const token = (changes: Partial<plants.PlantRow> = {}) => row({ auth_method: 'TOKEN', ...changes });
    expect(connectionVerdict(s, token(), active, now)).toBeNull(); // 5 minutes past exp: within the 10 minutes tolerated
    expect(connectionVerdict(s, token({ tokens_valid_after: new Date('2031-05-01T09:00:00Z') }), active, now)).toBeNull();
    expect(connectionVerdict(s, token({ tokens_valid_after: new Date('2031-05-01T10:30:00Z') }), active, now)).toBe('token revoked');
    expect(connectionVerdict(s, token(), active, new Date('2031-05-01T12:05:01Z'))).toBe('token expired');
  });
});
