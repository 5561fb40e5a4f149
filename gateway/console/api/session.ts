// The signed-in user, kept in sessionStorage only: gone when the tab closes or on sign-out, never in
// localStorage or a cookie, never sent anywhere but in signatures.
import type { Credentials } from '../lib/signer.js';

export type Session = { kind: 'key'; credentials: Credentials } | { kind: 'anonymous' };

const KEY = 'objstore-console-session';

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    if (s.kind === 'anonymous') return s;
    if (s.kind === 'key' && typeof s.credentials?.accessKeyId === 'string' && typeof s.credentials.secretAccessKey === 'string') return s;
  } catch {
    // unreadable: as if signed out
  }
  return null;
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}
