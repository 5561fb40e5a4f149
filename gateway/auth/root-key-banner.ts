// The block a gateway prints when it generates the S3 root key, and how the `npm start` launcher
// finds the key in it again to repeat it in its own summary. Pure: both sides share these lines.

export interface RootCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

const RULE = '='.repeat(78);
const ID_LINE = 'S3 root access key: ';
const SECRET_LINE = 'S3 root secret key: ';

/** Lines of the block, printed once to stdout, each on its own. */
export function rootKeyBanner(key: RootCredentials): string[] {
  return [
    RULE,
    'A new S3 root key was generated (shown once; store it now):',
    `  ${ID_LINE}${key.accessKeyId}`,
    `  ${SECRET_LINE}${key.secretAccessKey}`,
    'It is stored encrypted and never printed again. To choose the root key yourself, set',
    'S3_ROOT_ACCESS_KEY and S3_ROOT_SECRET_KEY and restart (the generated key is then revoked).',
    RULE,
  ];
}

/**
 * Reads one line of a gateway's output (the launcher may have put a prefix before it) into
 * `found`; true once both halves of the key are there.
 */
export function readRootKeyLine(line: string, found: Partial<RootCredentials>): boolean {
  const id = new RegExp(`${ID_LINE}([A-Za-z0-9]{3,128})\\s*$`).exec(line);
  if (id) found.accessKeyId = id[1];
  const secret = new RegExp(`${SECRET_LINE}([\\x21-\\x7e]{8,128})\\s*$`).exec(line);
  if (secret) found.secretAccessKey = secret[1];
  return found.accessKeyId !== undefined && found.secretAccessKey !== undefined;
}
