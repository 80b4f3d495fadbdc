import { describe, expect, it } from 'vitest';
import { hmacHex, openEnvelope, signEnvelope } from './envelope.js';

// The worked example of docs/plants.md, its signature computed independently with
// `printf %s '<payload>' | openssl dgst -sha256 -hmac '<secret>'`.
const secret = 'a3f1c2d4e5b6a7980a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071';
const payload = '{"ts":"2026-06-01T12:00:00Z","values":{"W":4200,"Wh":350}}';
const sig = '8aa7a72c2f6443fe518eba521e41462949616eefaaea43b0d30303f2130e513e';

describe('signed envelope', () => {
  it('signs the exact payload text with HMAC-SHA256 keyed by the secret string', () => {
    expect(hmacHex(secret, payload)).toBe(sig);
    expect(JSON.parse(signEnvelope(secret, payload))).toEqual({ payload, sig });
  });

  it('opens an envelope signed with the current or the previous secret, in either letter case', () => {
    expect(openEnvelope(JSON.stringify({ payload, sig }), [secret])).toEqual({ ok: true, payload });
    expect(openEnvelope(Buffer.from(JSON.stringify({ payload, sig: sig.toUpperCase() })), ['other', secret])).toEqual({
      ok: true,
      payload,
    });
  });

  it('refuses a wrong, missing or malformed signature and a malformed envelope', () => {
    expect(openEnvelope(JSON.stringify({ payload, sig }), ['another secret'])).toEqual({ ok: false, reason: 'bad-signature' });
    // The same text re-serialised is another text: the signature covers the exact bytes.
    const respaced = payload.replace(':4200', ': 4200');
    expect(openEnvelope(JSON.stringify({ payload: respaced, sig }), [secret])).toEqual({ ok: false, reason: 'bad-signature' });
    expect(openEnvelope(JSON.stringify({ payload }), [secret])).toEqual({ ok: false, reason: 'unsigned' });
    expect(openEnvelope(JSON.stringify({ payload, sig: 'abc' }), [secret])).toEqual({ ok: false, reason: 'bad-signature' });
    expect(openEnvelope('{"payload": {"W": 1}, "sig": "00"}', [secret])).toEqual({ ok: false, reason: 'malformed' });
    expect(openEnvelope('not json', [secret])).toEqual({ ok: false, reason: 'malformed' });
    expect(openEnvelope('[]', [secret])).toEqual({ ok: false, reason: 'malformed' });
  });
});
