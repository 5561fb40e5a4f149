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
