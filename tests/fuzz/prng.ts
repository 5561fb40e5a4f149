// A small seeded pseudo-random generator (mulberry32) for the fuzz suite: every case is drawn from a
// seed of its own, derived from the run's seed, the surface's name and the case's index, so a case
// is the same whatever order or concurrency the cases run in, and a failure names what replays it.
// Pure: no I/O (the seed comes in from the caller, see fuzzSettings).

/** The seed of a run when FUZZ_SEED is not set: the same cases on every run, in CI and locally. */
export const DEFAULT_SEED = 0x5eed2026;

/** A 32-bit avalanche (murmur3's finaliser): nearby inputs give unrelated outputs. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a of a string, for turning a surface's name into seed bits. */
function hashText(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The seed of case `index` of a surface: independent of every other case. */
export function caseSeed(runSeed: number, surface: string, index: number): number {
  return mix32(mix32(runSeed ^ hashText(surface)) + Math.imul(index + 1, 0x9e3779b9));
}

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max], both included. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** One of the choices, each as likely as its weight. */
  weighted<T>(choices: ReadonlyArray<readonly [number, T]>): T {
    const total = choices.reduce((sum, [w]) => sum + w, 0);
    let x = this.next() * total;
    for (const [w, value] of choices) {
      if (x < w) return value;
      x -= w;
    }
    return choices[choices.length - 1]![1];
  }

  /** A length drawn mostly small, sometimes large: 0..max with a bias towards short values. */
  size(max: number): number {
    const scale = this.pick([8, 64, 1024, max]);
    return this.int(Math.min(scale, max) + 1);
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  /** `n` characters drawn from `alphabet`. */
  text(n: number, alphabet: string): string {
    let out = '';
    for (let i = 0; i < n; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }

  /** A version 4 UUID made of this generator's bits. */
  uuid(): string {
    const h = this.bytes(16);
    h[6] = (h[6]! & 0x0f) | 0x40;
    h[8] = (h[8]! & 0x3f) | 0x80;
    const x = h.toString('hex');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

export interface FuzzSettings {
  seed: number;
  /** Cases per surface. */
  cases: number;
  /** Only this case of each surface (to replay one), or null for all. */
  onlyCase: number | null;
}

export const MIN_CASES = 1_000;

/**
 * FUZZ_SEED (decimal or 0x-hex; "random" for a new one each run), FUZZ_CASES (at least 1,000) and
 * FUZZ_CASE (replay one case index). Throws on values that are not numbers.
 */
export function fuzzSettings(env: Record<string, string | undefined>, randomSeed: () => number): FuzzSettings {
  const number = (name: string, raw: string): number => {
    const value = /^0x[0-9a-f]+$/i.test(raw) ? parseInt(raw.slice(2), 16) : /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value)) throw new Error(`${name}=${JSON.stringify(raw)} is not a whole number (decimal or 0x-hex)`);
    return value;
  };
  const rawSeed = env.FUZZ_SEED?.trim();
  const seed = !rawSeed ? DEFAULT_SEED : rawSeed === 'random' ? randomSeed() >>> 0 : number('FUZZ_SEED', rawSeed) >>> 0;
  const rawCases = env.FUZZ_CASES?.trim();
  const cases = rawCases ? number('FUZZ_CASES', rawCases) : MIN_CASES;
  if (cases < MIN_CASES) throw new Error(`FUZZ_CASES=${cases}: the suite runs at least ${MIN_CASES} cases per surface`);
  const rawOnly = env.FUZZ_CASE?.trim();
  return { seed, cases, onlyCase: rawOnly ? number('FUZZ_CASE', rawOnly) : null };
}

export const hexSeed = (seed: number): string => `0x${seed.toString(16).padStart(8, '0')}`;
