import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withActor } from '../../src/governance/index.js';
import { Ciclo } from '../../src/sdk/index.js';
import { runWithPackage } from '../registry/support.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { makeTempDir } from '../support/temp.js';
import { accessibilityViolations, openBrowser, type Browser } from './browser.js';

/**
 * The web UI in Debian's Chromium against real servers (one without authentication, one with --auth) whose
 * stores the SDK filled over HTTP: what a person sees, clicks and types, with axe-core on every page.
 */
describe('the web UI in a real browser', () => {
  let open: TestServer;
  let secured: TestServer;
  let browser: Browser;
  let experimentId: string;
  let firstRunId: string;
  let securedRunId: string;
  const tokens = { viewer: '', outsider: '', approver: '' };

  beforeAll(async () => {
    [open, secured, browser] = await Promise.all([
      startTestServer('sqlite'),
      startTestServer('sqlite', {}, { auth: true }),
      openBrowser(),
    ]);
    ({ experimentId, firstRunId } = await logRuns(open.url));

    const access = secured.context.access;
    await access.createUser('ana');
    await access.grant('default', 'ana', 'viewer');
    await access.createUser('noah');
    tokens.viewer = (await access.createToken('ana')).token;
    tokens.outsider = (await access.createToken('noah')).token;
    await access.createUser('vera');
    await access.grant('default', 'vera', 'approver');
    tokens.approver = (await access.createToken('vera')).token;
    await registerTwoVersions(secured);
    const experiment = await secured.context.tracking.createExperiment({ name: 'secured-experiment' });
    securedRunId = (await secured.context.tracking.createRun({ experimentId: experiment.experimentId })).info.runId;
  }, 60_000);

  afterAll(async () => {
    await Promise.all([browser?.close(), open?.stop(), secured?.stop()]);
  });

  /** Signs out whoever is signed in on the secured server's tab, then in with `token`. */
  async function signIn(token: string, user: string): Promise<void> {
    const { page } = browser;
    await page.goto(`${secured.url}/models`);
    const signOut = page.getByRole('button', { name: 'Sign out' });
    const tokenBox = page.getByLabel('API token');
    // The session is checked first: wait until the page shows one or the other.
    await signOut.or(tokenBox).waitFor();
    if ((await signOut.count()) > 0) await signOut.click();
    await tokenBox.fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(`Signed in as ${user}`).waitFor();
  }

  async function expectAccessible(name: string): Promise<void> {
    await browser.screenshot(name);
    expect(await accessibilityViolations(browser.page)).toEqual([]);
  }

  it('lists the experiments, and opens an experiment’s runs from it', async () => {
    const { page } = browser;
    await page.goto(`${open.url}/`);
    await page.getByRole('heading', { name: 'Experiments', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/experiments');
    await expectAccessible('experiments');

    await page.getByRole('link', { name: 'ui-churn' }).click();
    await page.getByRole('heading', { name: 'ui-churn', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/experiments/${experimentId}`);
  });

  it('shows the real runs with their metric and param columns, sorted by a header', async () => {
    const { page } = browser;
    await page.goto(`${open.url}/experiments/${experimentId}`);
    const table = page.getByRole('table', { name: 'Runs' });
    await table.getByRole('row').nth(6).waitFor();
    expect(await runNames(browser)).toEqual(['run-5', 'run-4', 'run-3', 'run-2', 'run-1', 'run-0']);
    const headers = await table.getByRole('columnheader').allInnerTexts();
    expect(headers.map((text) => text.replace(/^[mp]/, '').trim())).toEqual(
      expect.arrayContaining(['Run', 'Status', 'accuracy', 'loss', 'model', 'lr']),
    );
    await expect(table.getByRole('row', { name: /run-4/ }).getByRole('cell').nth(1).innerText()).resolves.toBe(
      'FINISHED',
    );
    await expectAccessible('runs');

    await table.getByRole('button', { name: /loss/ }).click();
    await page.waitForURL(/order=/);
    await page.getByRole('columnheader', { name: /loss/ }).and(page.locator('[aria-sort="descending"]')).waitFor();
    // loss falls as accuracy rises: descending loss puts the worst run first.
    await expect.poll(() => runNames(browser)).toEqual(['run-0', 'run-1', 'run-2', 'run-3', 'run-4', 'run-5']);
  });

  it('filters with the search language, and shows the server’s caret message for a bad filter', async () => {
    const { page } = browser;
    await page.goto(`${open.url}/experiments/${experimentId}`);
    const box = page.getByRole('textbox', { name: 'Filter runs' });
    await box.fill("metrics.accuracy > 0.8 and params.model = 'forest'");
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => runNames(browser)).toEqual(['run-5']);
    expect(new URL(page.url()).searchParams.get('filter')).toBe("metrics.accuracy > 0.8 and params.model = 'forest'");
    await browser.screenshot('runs-filtered');

    await box.fill('metrics.accuracy >> 0.8');
    await page.getByRole('button', { name: 'Apply' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const text = await alert.innerText();
    expect(text).toContain('INVALID_PARAMETER_VALUE');
    expect(text).toMatch(/invalid filter at column 19: expected a number after >/);
    expect(text).toContain('metrics.accuracy >> 0.8\n' + ' '.repeat(2 + 18) + '^');
    expect(text).toContain('Where: filter column 19');
    await expectAccessible('runs-bad-filter');

    // A deep link carries the filter: opening it shows the filtered table at once.
    await page.goto(`${open.url}/experiments/${experimentId}?filter=${encodeURIComponent('params.model = "tree"')}`);
    await expect.poll(() => runNames(browser)).toEqual(['run-4', 'run-2', 'run-0']);
  });

  it('shows a run: params, tags, its metric history on a chart, dataset inputs and artifacts', async () => {
    const { page } = browser;
    await page.goto(`${open.url}/runs/${firstRunId}`);
    await page.getByRole('heading', { name: 'run-0', level: 1 }).waitFor();
    const params = page.getByRole('table', { name: 'Parameters' });
    await expect(params.getByRole('row', { name: /model/ }).innerText()).resolves.toMatch(/model\s+tree/);
    const chart = page.getByRole('img', { name: /accuracy by step: 20 points, steps 0 to 19/ });
    await chart.waitFor();
    expect(await chart.locator('canvas').count()).toBe(1);
    await page.getByRole('combobox', { name: 'Metric history' }).selectOption('loss');
    await page.getByRole('img', { name: /loss by step: 20 points/ }).waitFor();
    await expect(page.getByRole('table', { name: 'Tags' }).innerText()).resolves.toContain('team');
    await expect(page.getByRole('table', { name: 'Dataset inputs' }).innerText()).resolves.toContain('customers');
    const artifacts = page.getByRole('table', { name: 'Artifacts' });
    await artifacts.getByRole('button', { name: 'model/' }).click();
    await artifacts.getByText('model/weights.txt').waitFor();
    await expectAccessible('run');
  });

  it('answers deep links that are not pages with the not-found page, and API typos with the API’s 404', async () => {
    const { page } = browser;
    await page.goto(`${open.url}/no/such/page`);
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    const api = await page.request.get(`${open.url}/api/v1/no-such-route`);
    expect(api.status()).toBe(404);
    expect(await api.json()).toMatchObject({ error_code: 'ENDPOINT_NOT_FOUND' });
  });

  it('serves the page uncached and hashed assets immutable, public with --auth, API paths to the API', async () => {
    for (const server of [open, secured]) {
      const page = await fetch(`${server.url}/experiments/${experimentId}?filter=x`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('cache-control')).toBe('no-cache');
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
      expect(script).toBeDefined();
      const asset = await fetch(`${server.url}${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      await asset.arrayBuffer();
      for (const path of ['/api/v1/typo', '/ajax-api/2.0/typo', '/serve/nothing', '/assets/missing.js']) {
        const answer = await fetch(`${server.url}${path}`);
        expect([path, answer.status, answer.headers.get('content-type')]).toEqual([
          path,
          404,
          expect.stringMatching(/json/),
        ]);
        expect(await answer.json()).toMatchObject({ error_code: 'ENDPOINT_NOT_FOUND' });
      }
    }
    expect((await fetch(`${secured.url}/api/v1/experiments`)).status).toBe(401);
  });

  it('asks for a token with --auth: 401 for a bad one, pages for a good one, 403 where it may not read', async () => {
    const { page } = browser;
    await page.goto(`${secured.url}/experiments`);
    const tokenBox = page.getByLabel('API token');
    await tokenBox.waitFor();
    await expectAccessible('sign-in');

    await tokenBox.fill('ciclo_not_a_real_token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.innerText()).toMatch(/401 Not signed in[\s\S]*UNAUTHENTICATED/);
    await browser.screenshot('sign-in-refused');

    await tokenBox.fill(tokens.viewer);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'secured-experiment' }).waitFor();
    await page.getByText('Signed in as ana').waitFor();
    expect(page.url()).not.toContain(tokens.viewer);
    // The token lives in this tab's session: a reload or deep link stays signed in.
    await page.goto(`${secured.url}/runs/${securedRunId}`);
    await page.getByRole('heading', { name: /./, level: 1 }).waitFor();
    expect(await page.getByText('Signed in as ana').count()).toBe(1);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await tokenBox.fill(tokens.outsider);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Signed in as noah').waitFor();
    await page.goto(`${secured.url}/runs/${securedRunId}`);
    const denied = page.getByRole('alert');
    await denied.waitFor();
    expect(await denied.innerText()).toMatch(/403 Not allowed[\s\S]*PERMISSION_DENIED/);
    await expectAccessible('run-forbidden');
    expect(browser.pageErrors).toEqual([]);
  });

  it('offers approve and reject to an approver only, and shows the decision the server made', async () => {
    const { page } = browser;
    await signIn(tokens.viewer, 'ana');
    await page.getByRole('link', { name: 'churn' }).click();
    await page.getByRole('heading', { name: 'churn', level: 1 }).waitFor();
    await expectAccessible('model');
    await page.getByRole('link', { name: '1', exact: true }).click();
    await page.getByText('Pending a decision by an approver of project default').waitFor();
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);

    await signIn(tokens.approver, 'vera');
    await page.goto(`${secured.url}/models/churn/versions/1`);
    await page.getByRole('button', { name: 'Approve' }).waitFor();
    await expectAccessible('model-version');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page
      .getByRole('definition')
      .filter({ hasText: /^approved$/ })
      .waitFor();
    await page.goto(`${secured.url}/models/churn/versions/2`);
    await page.getByLabel('Comment').fill('auc below the champion');
    await page.getByRole('button', { name: 'Reject' }).click();
    await page
      .getByRole('definition')
      .filter({ hasText: /^rejected$/ })
      .waitFor();
    const decisions = await secured.context.approvals.history('churn', 2);
    expect(decisions.map((d) => [d.decision, d.actor, d.comment])).toEqual([
      ['rejected', 'vera', 'auc below the champion'],
    ]);
    expect(browser.pageErrors).toEqual([]);
  });
});

/** Versions 1 and 2 of `churn`, registered by ana from runs that logged a model package. */
async function registerTwoVersions(server: TestServer): Promise<void> {
  const temp = makeTempDir('ciclo-ui-models-');
  try {
    for (const content of ['forest-1', 'forest-2']) {
      const runId = await runWithPackage(server.context, temp.dir, { content });
      await withActor({ actor: 'ana' }, () => server.context.registry.register('churn', { runId, path: 'model' }));
    }
  } finally {
    temp.remove();
  }
}

/** The run names in the table's order. */
async function runNames(browser: Browser): Promise<string[]> {
  const rows = browser.page.getByRole('table', { name: 'Runs' }).getByRole('row');
  const names = await rows.locator('[role="cell"]:first-child').allInnerTexts();
  return names.map((name) => name.trim());
}

/**
 * Six runs logged with the SDK over HTTP: run-i's accuracy ends at 0.519 + 0.08 i (so `> 0.8` keeps runs 4
 * and 5), loss the other way round, models alternating tree and forest; run-0 read a dataset and saved a file.
 */
async function logRuns(url: string): Promise<{ experimentId: string; firstRunId: string }> {
  const temp = makeTempDir('ciclo-ui-data-');
  const ciclo = await Ciclo.connect({ trackingUri: url });
  try {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const run = await ciclo.startRun({
        experiment: 'ui-churn',
        name: `run-${i}`,
        params: { model: i % 2 === 0 ? 'tree' : 'forest', lr: 0.05 * (i + 1) },
        tags: { team: 'growth' },
      });
      for (let step = 0; step < 20; step++) {
        run.log({ accuracy: 0.5 + 0.08 * i + 0.001 * step, loss: 1 - 0.1 * i - 0.01 * step }, { step });
      }
      if (i === 0) {
        await run.logInput({ name: 'customers', digest: `sha256:${'ab'.repeat(32)}`, context: 'training' });
        const file = join(temp.dir, 'weights.txt');
        writeFileSync(file, 'w = [0.1, 0.2]\n');
        await run.logArtifact(file, 'model/weights.txt');
      }
      await run.end();
      ids.push(run.id);
      // Distinct start times, so the default order (newest first) is the order they were logged in reverse.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const experiment = await ciclo.api.getExperimentByName('ui-churn');
    return { experimentId: experiment.experimentId, firstRunId: ids[0]! };
  } finally {
    await ciclo.close();
    temp.remove();
  }
}
