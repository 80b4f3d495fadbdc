import { DomainError } from '../errors.js';

/** RFC 6749 §5.2 error codes. */
export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type';

export class OAuthError extends DomainError {
  readonly oauthCode: OAuthErrorCode;

  constructor(oauthCode: OAuthErrorCode, message: string) {
    super(oauthCode === 'invalid_client' ? 'UNAUTHORIZED' : 'VALIDATION_ERROR', message);
    this.name = 'OAuthError';
    this.oauthCode = oauthCode;
  }
}
