// The REST server builds its requests and responses with express's prototypes from the start, so
// express's Object.setPrototypeOf on each request changes nothing (a changed prototype kept a
// request's objects alive through V8's next minor GC; see gateway/http/express-messages.ts).
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createRestServer } from '../gateway/http/rest-server.js';

const app = express();
let arrivedWith: { request: boolean; response: boolean } | undefined;
app.get('/probe', (req, res) => {
  res.json({ query: req.query, ip: req.ip, fresh: req.fresh });
});
const server = createRestServer(app, { maxHeaderBytes: 16 * 1024, headersTimeoutMs: 5_000, idleTimeoutMs: 5_000, maxConnections: 10 });
// Listeners run in the order they were added: this one sees the objects before express does.
server.prependListener('request', (req, res) => {
  arrivedWith = { request: Object.getPrototypeOf(req) === app.request, response: Object.getPrototypeOf(res) === app.response };
});
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test("requests and responses arrive with express's prototypes, and express's request and response methods work on them", async () => {
  const answer = await fetch(`${base}/probe?a=1&b=two`);
  expect(answer.status).toBe(200);
  expect(await answer.json()).toEqual({ query: { a: '1', b: 'two' }, ip: '127.0.0.1', fresh: false });
  expect(arrivedWith).toEqual({ request: true, response: true });
});
