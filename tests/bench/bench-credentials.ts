// The root API token of the bench gateways: REST authentication is on, as npm start runs it, so
// every REST request of the bench carries it (and pays for its check).
import { randomBytes } from 'node:crypto';

export const BENCH_API_TOKEN = `bench-${randomBytes(24).toString('hex')}`;
export const BENCH_REST_AUTH = { Authorization: `Bearer ${BENCH_API_TOKEN}` };
