// The launcher shows its processes' JSON log lines the way a person reads them (pino-pretty, one
// line each: time, level, message, the other fields); anything else passes through as it is.
import { prettyFactory } from 'pino-pretty';

const pretty = prettyFactory({
  colorize: process.stdout.isTTY === true,
  singleLine: true,
  translateTime: 'SYS:HH:MM:ss',
  // The launcher names the process in front of each line already.
  ignore: 'pid,hostname,host,role,node',
});

export function humanLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof record !== 'object' || record === null || !('msg' in record)) return line;
  return pretty(record).trimEnd();
}
