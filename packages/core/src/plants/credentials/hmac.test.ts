import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacHex, newHmacSecret, openEnvelope, plantSecrets, signEnvelope, type PlantSecrets } from './hmac.js';
import { seal } from './secret-box.js';

const now = new Date('2026-03-01T12:00:00Z');
const telemetry = JSON.stringify({ ts: '2026-03-01T12:00:00+01:00', values: { W: 1520.5 } });

function only(current: string | null): PlantSecrets {
  return { current, previous: null, previousUntil: null };
}

describe('HMAC secrets and the signed envelope', () => {
  it('makes 64-hex-character secrets, never the same twice', () => {
    const a = newHmacSecret();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(newHmacSecret()).not.toBe(a);
  });

  it('signs exactly as OpenSSL computes HMAC-SHA256 keyed with the UTF-8 bytes of the secret', () => {
    const secret = newHmacSecret();
    const envelope = JSON.parse(signEnvelope(secret, telemetry)) as { payload: string; sig: string };
    expect(envelope.payload).toBe(telemetry);
    const openssl = execFileSync('openssl', ['dgst', '-sha256', '-hmac', secret], { input: telemetry, encoding: 'utf8' });
    expect(openssl.trim().split('= ')[1]).toBe(envelope.sig);
    // A fixed example, for the documentation and devices to check against.
    expect(hmacHex('00'.repeat(32), '{"ts":"2026-01-01T00:00:00Z","values":{"W":1}}')).toBe(
      execFileSync('openssl', ['dgst', '-sha256', '-hmac', '00'.repeat(32)], {
        input: '{"ts":"2026-01-01T00:00:00Z","values":{"W":1}}',
        encoding: 'utf8',
      })
        .trim()
        .split('= ')[1],
    );
  });

  it('opens a message signed with the current secret', () => {
    const secret = newHmacSecret();
    expect(openEnvelope(Buffer.from(signEnvelope(secret, telemetry)), only(secret), now)).toEqual({
      ok: true,
      payload: telemetry,
      secret: 'current',
    });
    // Uppercase hex is the same signature.
    const { sig } = JSON.parse(signEnvelope(secret, telemetry)) as { sig: string };
    const upper = JSON.stringify({ payload: telemetry, sig: sig.toUpperCase() });
    expect(openEnvelope(Buffer.from(upper), only(secret), now).ok).toBe(true);
  });

  it('refuses a bad signature, another secret, and a payload changed after signing', () => {
    const secret = newHmacSecret();
    const signed = JSON.parse(signEnvelope(secret, telemetry)) as { payload: string; sig: string };
    const flipped = signed.sig.slice(0, -1) + (signed.sig.endsWith('0') ? '1' : '0');
    const cases = [
      JSON.stringify({ payload: telemetry, sig: flipped }),
      signEnvelope(newHmacSecret(), telemetry),
      JSON.stringify({ payload: telemetry.replace('1520.5', '9999'), sig: signed.sig }),
      JSON.stringify({ payload: telemetry, sig: signed.sig.slice(0, 62) }),
      JSON.stringify({ payload: telemetry, sig: 'zz'.repeat(32) }),
      JSON.stringify({ payload: telemetry, sig: 42 }),
    ];
    for (const raw of cases) expect(openEnvelope(Buffer.from(raw), only(secret), now), raw).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses unsigned, malformed, non-UTF-8 and oversized messages', () => {
    const secret = newHmacSecret();
    const refuse = (raw: Buffer | string, reason: string, opts?: { maxBytes?: number }) =>
      expect(openEnvelope(Buffer.isBuffer(raw) ? raw : Buffer.from(raw), only(secret), now, opts)).toEqual({ ok: false, reason });
    refuse(JSON.stringify({ payload: telemetry }), 'unsigned');
    refuse(JSON.stringify({ payload: telemetry, sig: '' }), 'unsigned');
    refuse(JSON.stringify({ payload: telemetry, sig: null }), 'unsigned');
    refuse(telemetry, 'malformed'); // the bare telemetry, no envelope
    refuse('{"payload": "x", "sig": ', 'malformed');
    refuse('[1,2]', 'malformed');
    refuse('null', 'malformed');
    refuse(JSON.stringify({ payload: { ts: 'x' }, sig: 'ab'.repeat(32) }), 'malformed');
    refuse(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'malformed');
    const big = signEnvelope(secret, JSON.stringify({ ts: now.toISOString(), values: { W: 1 }, pad: 'x'.repeat(70_000) }));
    refuse(big, 'too-large');
    expect(openEnvelope(Buffer.from(big), only(secret), now, { maxBytes: 100_000 }).ok).toBe(true);
    refuse(signEnvelope(secret, telemetry), 'too-large', { maxBytes: 10 });
  });

  it('accepts the previous secret only before the end of its grace period', () => {
    const old = newHmacSecret();
    const current = newHmacSecret();
    const until = new Date(now.getTime() + 60 * 60_000);
    const secrets = { current, previous: old, previousUntil: until };
    const byOld = Buffer.from(signEnvelope(old, telemetry));
    expect(openEnvelope(byOld, secrets, now)).toEqual({ ok: true, payload: telemetry, secret: 'previous' });
    expect(openEnvelope(byOld, secrets, new Date(until.getTime() - 1)).ok).toBe(true);
    expect(openEnvelope(byOld, secrets, until)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(openEnvelope(byOld, secrets, new Date(until.getTime() + 60_000))).toEqual({ ok: false, reason: 'bad-signature' });
    // Without an end date the previous secret is not accepted at all.
    expect(openEnvelope(byOld, { ...secrets, previousUntil: null }, now)).toEqual({ ok: false, reason: 'bad-signature' });
    // The new one works throughout.
    expect(openEnvelope(Buffer.from(signEnvelope(current, telemetry)), secrets, until).ok).toBe(true);
  });

  it('refuses every message of a plant without a secret (revoked)', () => {
    const raw = Buffer.from(signEnvelope(newHmacSecret(), telemetry));
    expect(openEnvelope(raw, only(null), now)).toEqual({ ok: false, reason: 'no-secret' });
  });

  it("opens a plant's sealed secrets", () => {
    const sealKey = randomBytes(32);
    const current = newHmacSecret();
    const previous = newHmacSecret();
    const until = new Date(now.getTime() + 1000);
    expect(
      plantSecrets(
        { sealKey },
        { hmac_secret_enc: seal(sealKey, current), previous_hmac_secret_enc: seal(sealKey, previous), previous_hmac_until: until },
      ),
    ).toEqual({ current, previous, previousUntil: until });
    expect(plantSecrets({ sealKey }, { hmac_secret_enc: null, previous_hmac_secret_enc: null, previous_hmac_until: null })).toEqual({
      current: null,
      previous: null,
      previousUntil: null,
    });
    expect(() =>
      plantSecrets(
        { sealKey: randomBytes(32) },
        { hmac_secret_enc: seal(sealKey, current), previous_hmac_secret_enc: null, previous_hmac_until: null },
      ),
    ).toThrow(/cannot open/);
  });
});
