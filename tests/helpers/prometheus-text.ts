// A reader of the Prometheus text exposition format (version 0.0.4), enough to check what /metrics
// says: samples with their labels and values, and the TYPE of each metric family. Strict: a line it
// cannot read is an error, so that a malformed exposition fails the test that reads it.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  samples: Sample[];
  types: Map<string, string>;
  helps: Map<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/** A value as Prometheus reads it (Go's ParseFloat: NaN and Inf in any case; prom-client writes "Nan"). */
function parseValue(text: string, line: string): number {
  const word = text.toLowerCase();
  if (word === 'nan') return Number.NaN;
  if (word === '+inf' || word === 'inf') return Number.POSITIVE_INFINITY;
  if (word === '-inf') return Number.NEGATIVE_INFINITY;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`not a sample value: ${JSON.stringify(text)} in ${JSON.stringify(line)}`);
  return Number(text);
}

/** Label pairs `{a="x",b="y"}` from the start of `text`; returns them and the rest of the text. */
function parseLabels(text: string, line: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1; // past '{'
  const fail = (why: string): never => {
    throw new Error(`${why} in ${JSON.stringify(line)}`);
  };
  for (;;) {
    while (text[i] === ' ') i++;
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const name = LABEL_NAME.exec(text.slice(i))?.[0] ?? fail('a label name expected');
    i += name.length;
    if (text[i] !== '=' || text[i + 1] !== '"') fail(`="..." expected after label ${name}`);
    i += 2;
    let value = '';
    for (;;) {
      const ch = text[i] ?? fail('unterminated label value');
      i++;
      if (ch === '"') break;
      if (ch === '\\') {
        const next = text[i] ?? fail('unterminated escape');
        i++;
        value += next === 'n' ? '\n' : next === '\\' ? '\\' : next === '"' ? '"' : fail(`unknown escape \\${next}`);
      } else value += ch;
    }
    if (name in labels) fail(`label ${name} given twice`);
    labels[name] = value;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail('"," or "}" expected');
  }
}

export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (m?.[1] === 'TYPE') {
        if (!/^(counter|gauge|histogram|summary|untyped)$/.test(m[3]!)) throw new Error(`unknown type in ${JSON.stringify(line)}`);
        types.set(m[2]!, m[3]!);
      } else if (m?.[1] === 'HELP') helps.set(m[2]!, m[3]!);
      continue; // other comments are allowed
    }
    const name = NAME.exec(line)?.[0];
    if (!name) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, line));
    const parts = rest.trim().split(/\s+/);
    if (parts.length < 1 || parts.length > 2 || parts[0] === '') throw new Error(`a value (and optional timestamp) expected in ${JSON.stringify(line)}`);
    samples.push({ name, labels, value: parseValue(parts[0]!, line) });
  }
  return { samples, types, helps };
}

const matches = (s: Sample, name: string, labels: Record<string, string>): boolean =>
  s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v);

/** The samples of `name` whose labels include `labels`. */
export function samplesOf(e: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return e.samples.filter((s) => matches(s, name, labels));
}

/** The sum of the samples of `name` whose labels include `labels` (0 when there is none). */
export function sumOf(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  return samplesOf(e, name, labels).reduce((a, s) => a + s.value, 0);
}

/** The one sample of `name` with exactly these labels' values (others may be present); throws unless exactly one. */
export function valueOf(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = samplesOf(e, name, labels);
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}, expected one`);
  return found[0]!.value;
}

/** GET a /metrics URL and parse it; throws unless it answers 200 in the text format. */
export async function scrapeMetrics(url: string, headers: Record<string, string> = {}): Promise<Exposition> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 300)}`);
  if (!/^text\/plain; version=0\.0\.4/.test(res.headers.get('content-type') ?? '')) {
    throw new Error(`GET ${url}: Content-Type ${res.headers.get('content-type')}, not the Prometheus text format`);
  }
  return parseExposition(text);
}
