// What the signed-in user may do, from GET /whoami, so the page offers only what will work (the
// gateway still decides every request). Pure.
import { can, type KeyGrant } from '../../auth/key-permissions.js';

export const FILES_BUCKET = '.files';

export interface Whoami {
  caller: 'access-key' | 'token' | 'trusted' | 'anonymous' | 'cluster-node';
  admin: boolean;
  access_key_id?: string;
  is_root?: boolean;
  grants?: KeyGrant[];
  scope?: 'read' | 'write' | 'admin';
}

export interface Abilities {
  /** The Access page and the Cluster page's actions (the admin API). */
  admin: boolean;
  /** Whether S3 buckets can be used at all: they need an access key, whatever AUTH says. */
  s3: boolean;
  createBuckets: boolean;
  read(bucket: string): boolean;
  write(bucket: string): boolean;
}

/** `me` is what /whoami said; `keyId` the signed-in access key (none: signed in without one, AUTH=off). */
export function abilitiesOf(me: Whoami, keyId: string | null): Abilities {
  const s3 = keyId !== null;
  const keyCan = (bucket: string, access: 'read' | 'write'): boolean => {
    if (me.caller === 'access-key') return can({ isRoot: me.is_root === true, grants: me.grants ?? [] }, bucket, access);
    // AUTH=off: the REST API lets everyone through (trusted); S3 buckets still need the key's grants,
    // which only the S3 API knows: offer the action, the S3 API decides.
    if (me.caller === 'trusted') return bucket === FILES_BUCKET || s3;
    return false;
  };
  return {
    admin: me.admin,
    s3,
    createBuckets: s3 && (me.caller === 'trusted' || me.is_root === true),
    read: (bucket) => keyCan(bucket, 'read'),
    write: (bucket) => keyCan(bucket, 'write'),
  };
}
