// One process of the local cluster (a storage node or the gateway) under supervision: spawned with
// its output prefixed by its name, ready once it prints the line that names its port, and, when a
// restart policy is given, started again with backoff on the same port whenever it exits without
// being asked to.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { formatDelay, planRestart, type RestartPolicy } from './restart-backoff.js';
import { humanLine } from './log-line.js';

export interface SupervisedProcessOptions {
  name: string;
  script: string;
  /** Options for node itself, before the script (V8 flags). */
  nodeFlags?: readonly string[];
  /** Environment of the first start (on top of this process's). */
  env: NodeJS.ProcessEnv;
  /** Environment of a restart, given the port the first start listened on (an ephemeral port stays). */
  restartEnv: (port: number) => NodeJS.ProcessEnv;
  /** The line that says the process is ready; group 1 is its port. */
  ready: RegExp;
  /**
   * A process that has not printed its ready line this long after it was spawned is killed
   * (SIGKILL): a first start then fails, a restart is tried again with backoff.
   */
  readyTimeoutMs: number;
  log: (line: string) => void;
  /** Sees every line of the process's output as it is (without the name prefix), before it is logged. */
  onLine?: (line: string) => void;
  /** null: a process that dies stays dead (the tests kill nodes on purpose). */
  restart: RestartPolicy | null;
  /** Added to the restart line, to say what the restart means for this kind of process. */
  restartNote?: string;
  onUnexpectedExit?: (name: string, code: number | null, signal: NodeJS.Signals | null) => void;
}

const describeExit = (code: number | null, signal: NodeJS.Signals | null): string =>
  signal ? `signal ${signal}` : `code ${code}`;

export class SupervisedProcess {
  readonly name: string;
  port = 0;
  address = '';
  #child: ChildProcess | undefined;
  #stopping = false;
  #attempt = 0;
  #restartTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: SupervisedProcessOptions) {
    this.name = options.name;
  }

  /** The process running now: after a restart, the new one. */
  get child(): ChildProcess {
    if (!this.#child) throw new Error(`${this.name} has not been started`);
    return this.#child;
  }

  /** Spawns the process and resolves once it is ready; rejects if it exits before (no restart then). */
  async start(): Promise<void> {
    this.port = await this.#spawn(this.options.env);
    this.address = `127.0.0.1:${this.port}`;
  }

  /**
   * From now on an exit is expected: no restart, no report. Called on every process as soon as the
   * cluster stops, before they are stopped one by one, because Ctrl-C in a terminal also signals
   * the children themselves and they may exit first.
   */
  expectExit(): void {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; no restart happens from here on. */
  async stop(graceMs = 35_000): Promise<void> {
    this.expectExit();
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Starts one process; resolves with the port of its ready line, rejects if it exits before. */
  #spawn(env: NodeJS.ProcessEnv): Promise<number> {
    const { name, script, log } = this.options;
    const child = spawn(process.execPath, [...(this.options.nodeFlags ?? []), script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    const spawnedAt = Date.now();
    let isReady = false;
    let timedOut = false;
    // Printed at every start, so that an operator (or a test) can find the process to look at.
    if (child.pid !== undefined) log(`[${name}] started (pid ${child.pid})`);
    // A process stuck before its ready line (a hung disk or database) would otherwise hold the start for ever.
    const readyTimer = setTimeout(() => {
      timedOut = true;
      log(`[${name}] not ready ${formatDelay(this.options.readyTimeoutMs)} after it was started; killing it (pid ${child.pid})`);
      child.kill('SIGKILL');
    }, this.options.readyTimeoutMs);
    return new Promise<number>((resolve, reject) => {
      const onLine = (raw: string): void => {
        const line = humanLine(raw);
        this.options.onLine?.(line);
        log(`[${name}] ${line}`);
        const m = isReady ? null : this.options.ready.exec(line);
        if (m) {
          isReady = true;
          clearTimeout(readyTimer);
          resolve(Number(m[1]));
        }
      };
      createInterface({ input: child.stdout! }).on('line', onLine);
      createInterface({ input: child.stderr! }).on('line', onLine);
      child.once('error', (err) => {
        clearTimeout(readyTimer);
        log(`[${name}] could not be started: ${err.message}`);
        if (!isReady) reject(new Error(`${name} could not be started: ${err.message}`));
      });
      // 'close' rather than 'exit': the dying process's last lines are printed before the restart line.
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(readyTimer);
        if (!isReady) {
          const why = timedOut ? `was not ready within ${formatDelay(this.options.readyTimeoutMs)}` : `exited with ${describeExit(code, signal)} before it was ready`;
          reject(new Error(`${name} ${why}`));
        }
        this.#exited(child, code, signal, Date.now() - spawnedAt);
      });
    });
  }

  #exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, uptimeMs: number): void {
    const { name, log, restart } = this.options;
    // A first start that fails is the caller's to report; a process we stopped is no news.
    if (this.#stopping || child !== this.#child || this.port === 0) return;
    this.options.onUnexpectedExit?.(name, code, signal);
    if (!restart) return;
    const plan = planRestart(restart, this.#attempt, uptimeMs);
    this.#attempt = plan.attempt;
    const note = this.options.restartNote ? `; ${this.options.restartNote}` : '';
    log(
      `[${name}] exited (${describeExit(code, signal)}) after ${formatDelay(uptimeMs)}; ` +
        `restarting in ${formatDelay(plan.delayMs)} (attempt ${plan.attempt})${note}`,
    );
    this.#restartTimer = setTimeout(() => this.#restart(), plan.delayMs);
  }

  #restart(): void {
    if (this.#stopping) return;
    const { name, log } = this.options;
    this.#spawn(this.options.restartEnv(this.port)).then(
      (port) => {
        if (port !== this.port) log(`[${name}] WARNING: restarted on port ${port}, not ${this.port}; the gateway will not find it`);
        log(`[${name}] back on ${this.address} (pid ${this.#child?.pid})`);
      },
      // The exit handler of the new process has already planned the next attempt.
      () => undefined,
    );
  }
}
