// S3 errors: a code, an HTTP status and a message, answered as S3's <Error> XML document.
export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Extra elements of the <Error> document (BucketName, Key, ...) and headers of the answer. */
    readonly extra: { fields?: Record<string, string>; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }
}

export const s3Errors = {
  accessDenied: (message = 'Access Denied') => new S3Error(403, 'AccessDenied', message),
  noSuchBucket: (bucket: string) =>
    new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { fields: { BucketName: bucket } }),
  noSuchKey: (key: string) => new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', { fields: { Key: key } }),
  noSuchUpload: (uploadId: string) =>
    new S3Error(404, 'NoSuchUpload', 'The specified multipart upload does not exist.', { fields: { UploadId: uploadId } }),
  invalidArgument: (message: string, name?: string, value?: string) =>
    new S3Error(400, 'InvalidArgument', message, name ? { fields: { ArgumentName: name, ArgumentValue: value ?? '' } } : {}),
  invalidRequest: (message: string) => new S3Error(400, 'InvalidRequest', message),
  malformedXml: () =>
    new S3Error(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.'),
  badDigest: (message = 'The Content-MD5 you specified did not match what we received.') => new S3Error(400, 'BadDigest', message),
  invalidDigest: (message = 'The Content-MD5 you specified is not valid.') => new S3Error(400, 'InvalidDigest', message),
  entityTooLarge: (max: number) =>
    new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.', {
      fields: { MaxSizeAllowed: String(max) },
    }),
  entityTooSmall: () => new S3Error(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.'),
  preconditionFailed: (condition: string) =>
    new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', {
      fields: { Condition: condition },
    }),
  notImplemented: (what: string) => new S3Error(501, 'NotImplemented', `${what} is not implemented by this server`),
  methodNotAllowed: (method: string) =>
    new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', {
      fields: { Method: method, ResourceType: 'OBJECT' },
    }),
  serviceUnavailable: (message: string) =>
    new S3Error(503, 'ServiceUnavailable', message, { headers: { 'Retry-After': '1' } }),
  slowDown: (message: string) => new S3Error(503, 'SlowDown', message, { headers: { 'Retry-After': '1' } }),
  internal: () => new S3Error(500, 'InternalError', 'We encountered an internal error. Please try again.'),
  incompleteBody: () =>
    new S3Error(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.'),
  missingContentLength: () => new S3Error(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.'),
};
