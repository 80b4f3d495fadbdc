// MQTT tokens of TOKEN plants: HS256 JWTs signed with the environment's
// token key, presented as the MQTT password. Claims: `sub` (the plant id),
// `aud` "helio-mqtt", `iat` and `exp` (at most 24 hours later). Clocks may
// disagree by up to 10 minutes. A token issued before the plant's
// `tokens_valid_after` (set by revoke) is refused.
//
// `iat` keeps milliseconds (a NumericDate may be fractional, RFC 7519 §2), so
// a token issued in the same second as a revocation, but after it, is valid.
import { errors, jwtVerify, SignJWT } from 'jose';
import type { PlantEnvironment } from '../environment.js';

export const MQTT_AUDIENCE = 'helio-mqtt';
export const MAX_TOKEN_TTL_SECONDS = 86_400;
export const CLOCK_SKEW_SECONDS = 600;

export type VerifyTokenResult =
  | { ok: true; issuedAt: Date; expiresAt: Date }
  | {
      ok: false;
      reason:
        | 'malformed'
        | 'bad-algorithm'
        | 'bad-signature'
        | 'expired'
        | 'issued-in-future'
        | 'wrong-subject'
        | 'wrong-audience'
        | 'missing-claim'
        | 'lifetime-too-long'
        | 'revoked';
    };

type Env = Pick<PlantEnvironment, 'tokenKey'>;

export async function issueMqttJwt(
  env: Env,
  plantId: string,
  now: Date,
  ttlSeconds: number = MAX_TOKEN_TTL_SECONDS,
): Promise<{ token: string; expiresAt: Date }> {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > MAX_TOKEN_TTL_SECONDS) {
    throw new RangeError(`an MQTT token lives between 1 and ${MAX_TOKEN_TTL_SECONDS} seconds`);
  }
  const iat = now.getTime() / 1000;
  const exp = Math.floor(iat) + ttlSeconds;
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(plantId)
    .setAudience(MQTT_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(env.tokenKey);
  return { token, expiresAt: new Date(exp * 1000) };
}

function claimReason(err: errors.JWTClaimValidationFailed): Exclude<VerifyTokenResult, { ok: true }>['reason'] {
  if (err.reason === 'missing') return 'missing-claim';
  switch (err.claim) {
    case 'iat':
      return 'issued-in-future';
    case 'sub':
      return 'wrong-subject';
    case 'aud':
      return 'wrong-audience';
    case 'nbf':
      return 'issued-in-future';
    default:
      return 'malformed';
  }
}

export async function verifyMqttJwt(
  env: Env,
  token: string,
  plantId: string,
  now: Date,
  validAfter: Date | null,
): Promise<VerifyTokenResult> {
  let payload: { iat?: number; exp?: number };
  try {
    ({ payload } = await jwtVerify(token, env.tokenKey, {
      algorithms: ['HS256'],
      audience: MQTT_AUDIENCE,
      subject: plantId,
      currentDate: now,
      clockTolerance: CLOCK_SKEW_SECONDS,
      // Also makes jose refuse an `iat` further in the future than the tolerance.
      maxTokenAge: MAX_TOKEN_TTL_SECONDS,
      requiredClaims: ['sub', 'aud', 'iat', 'exp'],
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
    if (err instanceof errors.JWTClaimValidationFailed) return { ok: false, reason: claimReason(err) };
    if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return { ok: false, reason: 'bad-algorithm' };
    if (err instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: 'bad-signature' };
    return { ok: false, reason: 'malformed' };
  }
  const iat = payload.iat!;
  const exp = payload.exp!;
  if (exp - iat > MAX_TOKEN_TTL_SECONDS + 1) return { ok: false, reason: 'lifetime-too-long' };
  if (validAfter !== null && iat * 1000 < validAfter.getTime()) return { ok: false, reason: 'revoked' };
  return { ok: true, issuedAt: new Date(iat * 1000), expiresAt: new Date(exp * 1000) };
}
