import { describe, expect, it } from 'vitest';
import { isDomainError } from '../errors.js';
import { createDocumentTokenSigner, verifyDocumentToken, type DocumentTokenClaims } from './upload-token.js';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const documentId = '01900000-0000-7000-8000-000000000001';
const organisationId = '01900000-0000-7000-8000-0000000000aa';
const now = new Date('2030-01-01T00:00:00Z');
const upload: DocumentTokenClaims = {
  purpose: 'upload',
  documentId,
  organisationId,
  sizeBytes: 1234,
  mimeType: 'application/pdf',
  expiresAt: now.getTime() + 60_000,
};

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return isDomainError(err) ? err.code : 'not a domain error';
  }
}

describe('document tokens', () => {
  const signer = createDocumentTokenSigner(secret);

  it('returns the claims of a token it signed', () => {
    expect(verifyDocumentToken(signer, signer.sign(upload), ['upload'], documentId, now)).toEqual(upload);
  });

  it('rejects a token whose claims were edited, even with a well-formed payload', () => {
    const [v, , mac] = signer.sign(upload).split('.');
    const edited = Buffer.from(JSON.stringify({ ...upload, sizeBytes: 999_999 })).toString('base64url');
    expect(codeOf(() => signer.verify(`${v}.${edited}.${mac}`))).toBe('UPLOAD_TOKEN_INVALID');
  });

  it('rejects a token signed with another secret', () => {
    const other = createDocumentTokenSigner(`${secret}-rotated`);
    expect(codeOf(() => signer.verify(other.sign(upload)))).toBe('UPLOAD_TOKEN_INVALID');
  });

  it('rejects malformed tokens without throwing anything else', () => {
    for (const token of ['', 'v1', 'v1..', 'v2.a.b', 'v1.!!!.???', `v1.${Buffer.from('not json').toString('base64url')}.x`]) {
      expect(codeOf(() => signer.verify(token))).toBe('UPLOAD_TOKEN_INVALID');
    }
  });

  it('rejects a token for another purpose or another document', () => {
    const download = signer.sign({ purpose: 'download', documentId, organisationId, expiresAt: upload.expiresAt });
    expect(codeOf(() => verifyDocumentToken(signer, download, ['upload'], documentId, now))).toBe('UPLOAD_TOKEN_INVALID');
    const token = signer.sign(upload);
    expect(codeOf(() => verifyDocumentToken(signer, token, ['upload'], '01900000-0000-7000-8000-000000000002', now))).toBe(
      'UPLOAD_TOKEN_INVALID',
    );
  });

  it('expires a token at its expiry instant, not a millisecond before', () => {
    const token = signer.sign(upload);
    expect(codeOf(() => verifyDocumentToken(signer, token, ['upload'], documentId, new Date(upload.expiresAt - 1)))).toBeUndefined();
    expect(codeOf(() => verifyDocumentToken(signer, token, ['upload'], documentId, new Date(upload.expiresAt)))).toBe(
      'UPLOAD_TOKEN_EXPIRED',
    );
  });

  it('refuses a secret shorter than 32 bytes', () => {
    expect(() => createDocumentTokenSigner('short')).toThrow(/32 bytes/);
  });
});
