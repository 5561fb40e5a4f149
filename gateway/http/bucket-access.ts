// The check on routes that name a bucket (/buckets/{bucket}/...): 403 unless the caller may read
// (or write) that bucket, by gateway/auth/rest-caller.ts callerMayOnBucket.
import type { RequestHandler } from 'express';
import { callerMayOnBucket, describeCaller, type RestCaller } from '../auth/rest-caller.js';
import { parseGrantBucket } from './request-parsing.js';
import { ApiError } from './api-error.js';

export function requireBucketAccess(access: 'read' | 'write'): RequestHandler {
  return (req, res, next) => {
    const caller = (res.locals.caller as RestCaller | undefined) ?? { kind: 'anonymous' };
    if (caller.kind === 'anonymous') throw new ApiError(401, 'Unauthenticated', 'this request needs credentials', { 'WWW-Authenticate': 'Bearer realm="objstore"' });
    const bucket = parseGrantBucket(String(req.params.bucket));
    if (!callerMayOnBucket(caller, bucket, access)) {
      throw new ApiError(403, 'Forbidden', `${describeCaller(caller)} may not ${access} bucket ${bucket}`);
    }
    next();
  };
}
