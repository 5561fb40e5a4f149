// The S3Error a call throws, so a test can check its status, code and fields; anything else fails.
import { S3Error } from '../../gateway/s3/s3-error.js';

export function s3ErrorOf(fn: () => unknown): S3Error {
  try {
    fn();
  } catch (err) {
    if (err instanceof S3Error) return err;
    throw err;
  }
  throw new Error('expected an S3Error, but nothing was thrown');
}
