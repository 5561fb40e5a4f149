// Loading what a page shows, once or again every few seconds, without overlapping requests.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { RequestFailed } from './api/gateway.js';
import type { Failure } from './lib/failure.js';

export interface Loaded<T> {
  data: T | null;
  error: Failure | null;
  loading: boolean;
  /** When the data was last read (ms). */
  at: number | null;
  reload: () => void;
}

export function failureFrom(err: unknown): Failure {
  if (err instanceof RequestFailed) return err.failure;
  return { status: 0, code: 'Error', message: (err as Error)?.message ?? String(err) };
}

/** Runs `load` when `key` changes and, with `refreshMs`, again that long after each answer (not while the tab is hidden). */
export function useLoad<T>(load: () => Promise<T>, key: string, refreshMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: Failure | null; loading: boolean; at: number | null }>({ data: null, error: null, loading: true, at: null });
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const mine = ++generation.current;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (): Promise<void> => {
      if (refreshMs && document.hidden) {
        timer = setTimeout(run, refreshMs);
        return;
      }
      try {
        const data = await loadRef.current();
        if (generation.current === mine) setState({ data, error: null, loading: false, at: Date.now() });
      } catch (err) {
        if (generation.current === mine) setState((s) => ({ data: s.data, error: failureFrom(err), loading: false, at: s.at }));
      }
      if (refreshMs && generation.current === mine) timer = setTimeout(run, refreshMs);
    };
    setState((s) => ({ ...s, loading: true }));
    void run();
    return () => {
      generation.current++;
      if (timer) clearTimeout(timer);
    };
  }, [key, tick, refreshMs]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}
