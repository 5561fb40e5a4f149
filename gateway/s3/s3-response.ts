// Writing S3 answers: XML documents and empty answers, with the headers given.
import type { ServerResponse } from 'node:http';
import { xmlDocument } from './s3-xml.js';

export function sendXml(res: ServerResponse, status: number, root: string, body: Record<string, unknown>, headers: Record<string, string> = {}): void {
  const text = xmlDocument(root, body);
  res.writeHead(status, { ...headers, 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'Content-Length': '0' });
  res.end();
}

export const quoted = (etag: string): string => `"${etag}"`;

/** S3's timestamps in XML: ISO 8601 with milliseconds. */
export const isoDate = (d: Date): string => d.toISOString();
