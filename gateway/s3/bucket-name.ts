// S3's bucket naming rules (general purpose buckets), checked before anything is stored.
const IP_ADDRESS = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Null when `name` is a valid bucket name, otherwise why not. */
export function bucketNameProblem(name: string): string | null {
  if (name.length < 3 || name.length > 63) return 'Bucket names must be between 3 and 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'Bucket names can consist only of lowercase letters, numbers, dots (.), and hyphens (-)';
  if (!/^[a-z0-9]/.test(name) || !/[a-z0-9]$/.test(name)) return 'Bucket names must begin and end with a letter or number';
  if (name.includes('..')) return 'Bucket names must not contain two adjacent periods';
  if (IP_ADDRESS.test(name)) return 'Bucket names must not be formatted as an IP address';
  if (name.startsWith('xn--') || name.startsWith('sthree-') || name.startsWith('amzn-s3-demo-')) {
    return 'Bucket names must not start with a reserved prefix (xn--, sthree-, amzn-s3-demo-)';
  }
  if (name.endsWith('-s3alias') || name.endsWith('--ol-s3') || name.endsWith('.mrap') || name.endsWith('--x-s3')) {
    return 'Bucket names must not end with a reserved suffix (-s3alias, --ol-s3, .mrap, --x-s3)';
  }
  return null;
}
