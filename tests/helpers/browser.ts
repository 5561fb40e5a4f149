// A real browser for the web console's tests: Debian's Chromium (/usr/bin/chromium, or CHROMIUM_PATH)
// driven headless by playwright-core, never a browser that Playwright downloads. Every console
// error and page error is kept, so that a test can say that none happened but those it caused.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { ROOT } from './processes.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'test-results');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: the console tests drive Debian's Chromium (apt-get install chromium; .ci/run installs it when missing), ` +
        'or set CHROMIUM_PATH to another Chromium. They never download a browser.',
    );
  }
  // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** A failed request the test causes on purpose: its status and a piece of its URL. */
export interface ExpectedFailure {
  status: number;
  url: string;
}

/**
 * What went wrong in a page: uncaught exceptions, console errors. Chromium reports every answer of
 * 400 and above as a console error ("Failed to load resource"): those a test expects are allowed by
 * status and URL, any other is reported.
 */
export class PageProblems {
  private readonly problems: string[] = [];
  private expected: ExpectedFailure[] = [];

  constructor(readonly page: Page) {
    page.on('pageerror', (err) => this.problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => this.onConsole(msg));
  }

  /** Allows these failed requests until `clear` (or for good). */
  expect(...failures: ExpectedFailure[]): void {
    this.expected.push(...failures);
  }

  clearExpected(): void {
    this.expected = [];
  }

  private onConsole(msg: ConsoleMessage): void {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const url = msg.location().url ?? '';
    const status = /status of (\d{3})/.exec(text)?.[1];
    if (status && this.expected.some((e) => e.status === Number(status) && url.includes(e.url))) return;
    this.problems.push(`console error: ${text}${url ? ` (${url})` : ''}`);
  }

  /** Every problem so far that no expectation allowed; empties the list. */
  take(): string[] {
    return this.problems.splice(0);
  }
}

/** A screenshot for a reviewer: test-results/console-<name>.png, the whole page. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `console-${name}.png`), fullPage: true });
}
