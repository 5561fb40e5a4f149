import { describe, expect, test } from 'vitest';
import { CircuitBreaker } from '../../gateway/cluster/circuit-breaker.js';

describe('circuit breaker', () => {
  test('opens after N failures in a row, not after fewer or interrupted ones', () => {
    const b = new CircuitBreaker({ failures: 3, recoveries: 2 });
    b.failure();
    b.failure();
    b.callSucceeded(); // the run is broken
    b.failure();
    b.failure();
    expect(b.open).toBe(false);
    b.failure();
    expect(b.open).toBe(true);
  });

  test('closes again only after M good probes in a row; calls alone do not close it', () => {
    const b = new CircuitBreaker({ failures: 1, recoveries: 2 });
    b.failure();
    expect(b.open).toBe(true);
    b.callSucceeded();
    expect(b.open).toBe(true);
    b.probeSucceeded();
    b.failure(); // a failed probe in between restarts the count
    b.probeSucceeded();
    expect(b.open).toBe(true);
    b.probeSucceeded();
    expect(b.open).toBe(false);
  });
});
