// The errors of authentication and payload checking, named by their S3 error code so that the S3
// handler can answer them as S3 does (XML <Code>, HTTP status) without translating.

export type S3AuthErrorCode =
  | 'AccessDenied'
  | 'AuthorizationHeaderMalformed'
  | 'AuthorizationQueryParametersError'
  | 'BadDigest'
  | 'IncompleteBody'
  | 'InvalidAccessKeyId'
  | 'InvalidArgument'
  | 'InvalidDigest'
  | 'InvalidRequest'
  | 'InvalidToken'
  | 'MalformedTrailerError'
  | 'MissingSecurityHeader'
  | 'NotImplemented'
  | 'RequestTimeTooSkewed'
  | 'SignatureDoesNotMatch'
  | 'XAmzContentSHA256Mismatch';

const STATUS: Record<S3AuthErrorCode, number> = {
  AccessDenied: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  IncompleteBody: 400,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidDigest: 400,
  InvalidRequest: 400,
  InvalidToken: 400,
  MalformedTrailerError: 400,
  MissingSecurityHeader: 400,
  NotImplemented: 501,
  RequestTimeTooSkewed: 403,
  SignatureDoesNotMatch: 403,
  XAmzContentSHA256Mismatch: 400,
};

export class S3AuthError extends Error {
  readonly httpStatus: number;

  constructor(
    readonly code: S3AuthErrorCode,
    message: string,
    /** Extra elements S3 puts in its error body (e.g. StringToSign, CanonicalRequest for SignatureDoesNotMatch). */
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'S3AuthError';
    this.httpStatus = STATUS[code];
  }
}

export function isS3AuthError(err: unknown): err is S3AuthError {
  return err instanceof S3AuthError;
}
