// Runs the cases of one fuzz surface: case i is generated from its own seed (prng.ts), run with a
// bounded number of cases in flight, and judged; the report counts the outcomes seen and keeps
// every failure with what replays it (FUZZ_SEED and FUZZ_CASE).
import { caseSeed, hexSeed, Rng, type FuzzSettings } from './prng.js';

export interface CaseResult {
  /** What the case ended with, for the summary: an HTTP status, "closed", a gRPC status name. */
  outcome: string;
  /** Why the case failed, or null when it passed. */
  problem: string | null;
}

export interface Surface<C> {
  name: string;
  generate(rng: Rng, index: number): C;
  /** A short description of a case for failure messages (cut to a few hundred characters). */
  describe(c: C): string;
  run(c: C, index: number): Promise<CaseResult>;
  concurrency: number;
}

export interface Failure {
  index: number;
  description: string;
  outcome: string;
  problem: string;
}

export interface SurfaceReport {
  name: string;
  seed: number;
  cases: number;
  outcomes: Map<string, number>;
  failures: Failure[];
  ms: number;
}

const cut = (text: string, max = 300): string => (text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text);

export async function runSurface<C>(surface: Surface<C>, settings: FuzzSettings): Promise<SurfaceReport> {
  const started = Date.now();
  const indices = settings.onlyCase === null ? Array.from({ length: settings.cases }, (_, i) => i) : [settings.onlyCase];
  const outcomes = new Map<string, number>();
  const failures: Failure[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < indices.length) {
      const index = indices[next++]!;
      const c = surface.generate(new Rng(caseSeed(settings.seed, surface.name, index)), index);
      let result: CaseResult;
      try {
        result = await surface.run(c, index);
      } catch (err) {
        result = { outcome: 'threw', problem: `the case threw: ${(err as Error).stack ?? String(err)}` };
      }
      outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
      if (result.problem !== null) failures.push({ index, description: cut(surface.describe(c)), outcome: result.outcome, problem: cut(result.problem, 1_000) });
    }
  };
  await Promise.all(Array.from({ length: Math.min(surface.concurrency, indices.length) }, worker));
  failures.sort((a, b) => a.index - b.index);
  return { name: surface.name, seed: settings.seed, cases: indices.length, outcomes, failures, ms: Date.now() - started };
}

/** One line per surface: cases, time, outcomes seen (most frequent first), seed, failures. */
export function summaryLine(report: SurfaceReport): string {
  const seen = [...report.outcomes].sort((a, b) => b[1] - a[1]).map(([o, n]) => `${o}×${n}`).join(' ');
  return (
    `fuzz ${report.name}: ${report.cases} cases in ${(report.ms / 1000).toFixed(1)} s, seed ${hexSeed(report.seed)}, ` +
    `outcomes ${seen}; ${report.failures.length} failed`
  );
}

/** The failures as a message that says how to replay each one. */
export function failureMessage(report: SurfaceReport, max = 10): string {
  const lines = report.failures.slice(0, max).map(
    (f) => `  case ${f.index} (replay: FUZZ_SEED=${hexSeed(report.seed)} FUZZ_CASE=${f.index}) -> ${f.outcome}: ${f.problem}\n    ${f.description}`,
  );
  const more = report.failures.length > max ? `\n  ... and ${report.failures.length - max} more` : '';
  return `fuzz ${report.name}: ${report.failures.length} of ${report.cases} cases failed (seed ${hexSeed(report.seed)})\n${lines.join('\n')}${more}`;
}
