import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { makeTempDir } from '../support/temp.js';

/**
 * Debian's Chromium (`apt-get install chromium`; .ci/run installs it), or the one CHROMIUM_PATH names. A
 * missing browser fails the test: a UI suite that skips itself would pass with the UI untested.
 */
export function chromiumPath(): string {
  const fromEnvironment = process.env.CHROMIUM_PATH;
  if (fromEnvironment !== undefined && fromEnvironment !== '') {
    if (!existsSync(fromEnvironment)) throw new Error(`CHROMIUM_PATH=${fromEnvironment} does not exist`);
    return fromEnvironment;
  }
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('no chromium on PATH and no CHROMIUM_PATH: install it (`apt-get install -y chromium`)');
  }
}

/**
 * Without the background-networking flags Chromium calls Google's hosts at start, which this machine's
 * closed network refuses; --no-sandbox because the tests run as root.
 */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Where screenshots go: CICLO_UI_ARTIFACTS, or a folder in the test's temp dir. */
  artifacts: string;
  /** What the page logged as an error (a refused script, a CSP violation, an uncaught exception). */
  pageErrors: string[];
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** One browser for a test file, with a fresh profile in a temp folder, and one page the tests reuse. */
export async function openBrowser(): Promise<Browser> {
  const temp = makeTempDir('ciclo-ui-');
  const artifacts = process.env.CICLO_UI_ARTIFACTS ?? join(temp.dir, 'artifacts');
  mkdirSync(artifacts, { recursive: true });
  const context = await chromium.launchPersistentContext(join(temp.dir, 'profile'), {
    executablePath: chromiumPath(),
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 800 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  // Well under the test's own timeout, so a missing element fails with Playwright's message saying which.
  page.setDefaultTimeout(8_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // An API refusal (400 bad filter, 401, 403, 404) that the page shows is the behaviour under test; the browser
    // logs each as a failed load all the same.
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) pageErrors.push(message.text());
  });
  return {
    context,
    page,
    artifacts,
    pageErrors,
    async screenshot(name) {
      const path = join(artifacts, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      if (process.env.CICLO_UI_ARTIFACTS === undefined) temp.remove();
    },
  };
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * axe-core's serious and critical violations on the page as it is now. Evaluated through the DevTools
 * protocol, so the page's own Content-Security-Policy stays on (an injected <script> would be refused).
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  // Evaluated as an expression by the protocol, not by eval() in the page, which the policy forbids.
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  // Text, not a function: this file is type-checked without the DOM's types, and the page has them at run time.
  const violations = await page.evaluate(
    'window.axe.run(document, { resultTypes: ["violations"] }).then((result) => result.violations)',
  );
  return (violations as AxeViolation[])
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => {
      const where = JSON.stringify(violation.nodes[0]?.target);
      return `${violation.id} (${violation.impact}): ${violation.help} at ${where}`;
    });
}
