import { Readable } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { receiveSingleFile } from '../../gateway/http/multipart-receiver.js';

const BOUNDARY = 'xyz';

/** A request carrying `body` as multipart/form-data, in one piece. */
function request(body: string): IncomingMessage {
  const req = Readable.from([Buffer.from(body)]) as unknown as IncomingMessage & { complete: boolean };
  Object.assign(req, { headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(Buffer.byteLength(body)) }, complete: true });
  return req;
}

const field = (name: string, value: string): string => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const file = (name: string, content: string): string =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n${content}\r\n`;

describe('receiveSingleFile', () => {
  test('a file part that comes after the form already failed is not started: nothing would clean up what it made (found by the REST fuzz suite)', async () => {
    // 21 fields pass the limit of 20; busboy still has the file part in hand after the failure.
    const body = Array.from({ length: 21 }, (_, i) => field(`f${i}`, 'v')).join('') + file('late.bin', 'data') + `--${BOUNDARY}--\r\n`;
    const started: string[] = [];
    const result = receiveSingleFile(request(body), 1024, async (f) => {
      started.push(f.filename);
      for await (const _ of f.stream) void _;
      return f.filename;
    });
    await expect(result).rejects.toThrow(/too many fields/);
    await new Promise((r) => setTimeout(r, 50)); // anything busboy still emits
    expect(started).toEqual([]);
  });

  test('a well-formed form gives its file', async () => {
    const body = field('a', 'b') + file('ok.bin', 'data') + `--${BOUNDARY}--\r\n`;
    const content = await receiveSingleFile(request(body), 1024, async (f) => {
      const parts: Buffer[] = [];
      for await (const d of f.stream) parts.push(d as Buffer);
      return Buffer.concat(parts).toString();
    });
    expect(content).toBe('data');
  });
});
