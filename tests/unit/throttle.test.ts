import { expect, test } from 'vitest';
import { Throttle } from '../../gateway/data/throttle.js';

test('holds takers to the rate after a short burst', async () => {
  const throttle = new Throttle(1_000_000); // 1 MB/s
  const started = performance.now();
  for (let i = 0; i < 10; i++) await throttle.take(50_000); // 0.5 MB: about 0.5 s less the 0.25 s burst
  const elapsed = performance.now() - started;
  expect(elapsed).toBeGreaterThanOrEqual(240);
  expect(elapsed).toBeLessThan(2_000);
});

test('0 means no limit', async () => {
  const throttle = new Throttle(0);
  const started = performance.now();
  await throttle.take(10 ** 12);
  expect(performance.now() - started).toBeLessThan(50);
});

test('a rate given as a function is asked at every take (healing slows down while clients are served)', async () => {
  let busy = false;
  const throttle = new Throttle(() => (busy ? 100_000 : 0)); // unlimited when idle, 100 KB/s when busy
  let started = performance.now();
  await throttle.take(10_000_000);
  expect(performance.now() - started).toBeLessThan(50);
  busy = true;
  started = performance.now();
  for (let i = 0; i < 4; i++) await throttle.take(25_000); // 100 KB at 100 KB/s, less the 0.25 s burst
  expect(performance.now() - started).toBeGreaterThanOrEqual(700);
});
