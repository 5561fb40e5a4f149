// What every page gets: the gateway client, who is signed in and what they may do, the uploads.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Gateway } from './api/gateway.js';
import type { Uploads } from './api/uploads.js';
import type { Abilities, Whoami } from './lib/abilities.js';

export interface ConsoleContext {
  gateway: Gateway;
  me: Whoami;
  abilities: Abilities;
  uploads: Uploads;
  /** How often live pages refresh (ms). */
  refreshMs: number;
}

export const Console = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const ctx = useContext(Console);
  if (!ctx) throw new Error('useConsole outside the signed-in console');
  return ctx;
}
