// The shapes of /admin/keys and /admin/tokens. Pure.

export interface AccessKey {
  access_key_id: string;
  name: string;
  is_root: boolean;
  created_at: string;
  revoked_at: string | null;
  grants: { bucket: string; read: boolean; write: boolean }[];
}

export interface NewAccessKey extends AccessKey {
  secret_access_key: string;
}

export interface ApiToken {
  id: number;
  name: string;
  scope: 'read' | 'write' | 'admin';
  prefix: string;
  is_root: boolean;
  created_at: string;
  revoked_at: string | null;
}

export interface NewApiToken extends ApiToken {
  token: string;
}

export function grantWords(g: { read: boolean; write: boolean }): string {
  return g.read && g.write ? 'read and write' : g.read ? 'read' : g.write ? 'write' : 'nothing';
}
