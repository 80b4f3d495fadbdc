// Signed, self-contained tokens for moving document bytes without an API
// key: `v1.<base64url(JSON claims)>.<base64url(HMAC-SHA256)>`. The claims bind
// the token to one purpose, document and organisation (and, for uploads, the
// declared size and type); single use is enforced by the document's status.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { withArticle } from '../auth/roles.js';
import { DomainError } from '../errors.js';

/** Upload URLs live 60 s (Alentis spec). */
export const UPLOAD_TOKEN_TTL_MS = 60_000;
/** Download URLs live 5 min: long enough to start a large download, short enough to leak little. */
export const DOWNLOAD_TOKEN_TTL_MS = 5 * 60_000;

const VERSION = 'v1';

const claimsSchema = z.discriminatedUnion('purpose', [
  z.strictObject({
    purpose: z.literal('upload'),
    documentId: z.uuid(),
    organisationId: z.uuid(),
    sizeBytes: z.number().int().positive(),
    mimeType: z.string(),
    expiresAt: z.number().int(),
  }),
  z.strictObject({
    purpose: z.literal('download'),
    documentId: z.uuid(),
    organisationId: z.uuid(),
    expiresAt: z.number().int(),
  }),
  // A site's cover image URL is stored on the site and shown in <img> tags, so it cannot expire;
  // it is a capability for that one image and stops working once the document is gone.
  z.strictObject({
    purpose: z.literal('cover'),
    documentId: z.uuid(),
    organisationId: z.uuid(),
  }),
]);

export type DocumentTokenClaims = z.infer<typeof claimsSchema>;
export type TokenPurpose = DocumentTokenClaims['purpose'];
export type ClaimsFor<P extends TokenPurpose> = Extract<DocumentTokenClaims, { purpose: P }>;

export interface DocumentTokenSigner {
  sign(claims: DocumentTokenClaims): string;
  /** The claims of an authentic token, or UPLOAD_TOKEN_INVALID. Expiry is the caller's to check, against its clock. */
  verify(token: string): DocumentTokenClaims;
}

export function invalidToken(message: string): DomainError {
  return new DomainError('UPLOAD_TOKEN_INVALID', message);
}

/**
 * A signer keyed from `secret`. The key is derived for this one use, so the
 * same server secret can sign other things without tokens crossing over.
 */
export function createDocumentTokenSigner(secret: string | Uint8Array): DocumentTokenSigner {
  if ((typeof secret === 'string' ? Buffer.byteLength(secret) : secret.byteLength) < 32) {
    throw new Error('the document token secret must be at least 32 bytes');
  }
  const key = createHmac('sha256', secret).update('helio/document-tokens/v1').digest();
  const mac = (signed: string) => createHmac('sha256', key).update(signed).digest();

  return {
    sign(claims) {
      const payload = Buffer.from(JSON.stringify(claimsSchema.parse(claims))).toString('base64url');
      const signed = `${VERSION}.${payload}`;
      return `${signed}.${mac(signed).toString('base64url')}`;
    },
    verify(token) {
      const parts = token.split('.');
      if (parts.length !== 3 || parts[0] !== VERSION) throw invalidToken('malformed token');
      const [version, payload, signature] = parts as [string, string, string];
      const expected = mac(`${version}.${payload}`);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw invalidToken('token signature does not match');
      }
      let json: unknown;
      try {
        json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      } catch {
        throw invalidToken('malformed token');
      }
      const claims = claimsSchema.safeParse(json);
      if (!claims.success) throw invalidToken('malformed token');
      return claims.data;
    },
  };
}

/**
 * Verifies `token` for one purpose and document, at `now`. A token for
 * another purpose or document is invalid; a stale one is expired (checked
 * last, so an expired token never reveals anything about other documents).
 */
export function verifyDocumentToken<P extends TokenPurpose>(
  signer: DocumentTokenSigner,
  token: string | undefined,
  purposes: readonly P[],
  documentId: string,
  now: Date,
): ClaimsFor<P> {
  if (!token) throw invalidToken('a token query parameter is required');
  const claims = signer.verify(token);
  if (!(purposes as readonly string[]).includes(claims.purpose)) {
    throw invalidToken(`this is not ${withArticle(purposes.join(' or '))} token`);
  }
  if (claims.documentId !== documentId) throw invalidToken('the token was issued for another document');
  if ('expiresAt' in claims && now.getTime() >= claims.expiresAt) {
    throw new DomainError('UPLOAD_TOKEN_EXPIRED', `the ${claims.purpose} token expired at ${new Date(claims.expiresAt).toISOString()}`);
  }
  return claims as ClaimsFor<P>;
}
