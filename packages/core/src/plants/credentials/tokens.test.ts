import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { issueMqttJwt, verifyMqttJwt } from './tokens.js';

const PLANT = '0190f0c8-5a6b-7c3d-8e9f-0a1b2c3d4e5f';
const OTHER = '0190f0c8-5a6b-7c3d-8e9f-0a1b2c3d4e60';
const env = { tokenKey: new Uint8Array(randomBytes(32)) };
const now = new Date('2026-03-01T12:00:00.250Z');
const MIN = 60_000;
const s = (d: Date) => d.getTime() / 1000;

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** A token with the claims given, HS256-signed with `key` (the environment's by default). */
function craft(claims: Record<string, unknown>, opts: { key?: Uint8Array; alg?: string } = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: opts.alg ?? 'HS256' }).sign(opts.key ?? env.tokenKey);
}

const base = () => ({ sub: PLANT, aud: 'helio-mqtt', iat: s(now), exp: s(now) + 3600 });

describe('MQTT tokens', () => {
  it('issues an HS256 token for the plant that verifies, living at most 24 hours', async () => {
    const { token, expiresAt } = await issueMqttJwt(env, PLANT, now);
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>);
    expect(header).toMatchObject({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({ sub: PLANT, aud: 'helio-mqtt' });
    expect((payload!['exp'] as number) - (payload!['iat'] as number)).toBeLessThanOrEqual(86_400);
    expect(expiresAt.getTime()).toBe(Math.floor(s(now) + 86_400) * 1000);
    expect(await verifyMqttJwt(env, token, PLANT, now, null)).toMatchObject({ ok: true, expiresAt });
    const short = await issueMqttJwt(env, PLANT, now, 60);
    expect(short.expiresAt.getTime() - now.getTime()).toBeLessThanOrEqual(60_000);
    await expect(issueMqttJwt(env, PLANT, now, 86_401)).rejects.toThrow(RangeError);
    await expect(issueMqttJwt(env, PLANT, now, 0)).rejects.toThrow(RangeError);
  });

  it('refuses alg none, whatever the claims', async () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(base())}.`;
    expect(await verifyMqttJwt(env, unsigned, PLANT, now, null)).toMatchObject({ ok: false, reason: 'bad-algorithm' });
    const noneWithSig = `${b64({ alg: 'none' })}.${b64(base())}.${Buffer.from('x').toString('base64url')}`;
    expect((await verifyMqttJwt(env, noneWithSig, PLANT, now, null)).ok).toBe(false);
  });

  it('refuses another key, another HMAC algorithm and a changed payload', async () => {
    expect(await verifyMqttJwt(env, await craft(base(), { key: new Uint8Array(randomBytes(32)) }), PLANT, now, null)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(await verifyMqttJwt(env, await craft(base(), { alg: 'HS512' }), PLANT, now, null)).toEqual({
      ok: false,
      reason: 'bad-algorithm',
    });
    const good = await craft(base());
    const [h, , sig] = good.split('.');
    const swapped = `${h}.${b64({ ...base(), sub: OTHER })}.${sig}`;
    expect(await verifyMqttJwt(env, swapped, OTHER, now, null)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(await verifyMqttJwt(env, 'not a token', PLANT, now, null)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('tolerates 10 minutes of clock skew on expiry, not more', async () => {
    const expiredAt = new Date(now.getTime() - 9 * MIN);
    const withinSkew = await craft({ ...base(), iat: s(expiredAt) - 3600, exp: s(expiredAt) });
    expect((await verifyMqttJwt(env, withinSkew, PLANT, now, null)).ok).toBe(true);
    const beyond = new Date(now.getTime() - 11 * MIN);
    const expired = await craft({ ...base(), iat: s(beyond) - 3600, exp: s(beyond) });
    expect(await verifyMqttJwt(env, expired, PLANT, now, null)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a token issued more than 10 minutes in the future', async () => {
    const soon = await craft({ ...base(), iat: s(now) + 9 * 60, exp: s(now) + 3600 });
    expect((await verifyMqttJwt(env, soon, PLANT, now, null)).ok).toBe(true);
    const future = await craft({ ...base(), iat: s(now) + 11 * 60, exp: s(now) + 3600 });
    expect(await verifyMqttJwt(env, future, PLANT, now, null)).toEqual({ ok: false, reason: 'issued-in-future' });
  });

  it("refuses another plant's token, another audience, missing claims and lifetimes over 24 hours", async () => {
    const other = await issueMqttJwt(env, OTHER, now);
    expect(await verifyMqttJwt(env, other.token, PLANT, now, null)).toEqual({ ok: false, reason: 'wrong-subject' });
    expect(await verifyMqttJwt(env, await craft({ ...base(), aud: 'other' }), PLANT, now, null)).toEqual({
      ok: false,
      reason: 'wrong-audience',
    });
    const { exp: _exp, ...noExp } = base();
    expect(await verifyMqttJwt(env, await craft(noExp), PLANT, now, null)).toEqual({ ok: false, reason: 'missing-claim' });
    const { iat: _iat, ...noIat } = base();
    expect(await verifyMqttJwt(env, await craft(noIat), PLANT, now, null)).toEqual({ ok: false, reason: 'missing-claim' });
    const long = await craft({ ...base(), exp: s(now) + 86_400 * 2 });
    expect(await verifyMqttJwt(env, long, PLANT, now, null)).toEqual({ ok: false, reason: 'lifetime-too-long' });
  });

  it('refuses tokens issued before the plant’s tokens_valid_after, even within the same second', async () => {
    const before = await issueMqttJwt(env, PLANT, now);
    const revokedAt = new Date(now.getTime() + 300);
    expect(await verifyMqttJwt(env, before.token, PLANT, revokedAt, revokedAt)).toEqual({ ok: false, reason: 'revoked' });
    const after = await issueMqttJwt(env, PLANT, new Date(revokedAt.getTime() + 200));
    expect((await verifyMqttJwt(env, after.token, PLANT, revokedAt, revokedAt)).ok).toBe(true);
  });
});
