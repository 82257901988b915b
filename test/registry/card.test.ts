import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CicloError } from '../../src/common/errors.js';
import {
  buildModelCard,
  renderModelCard,
  splitFairness,
  writeModelCard,
  type CardApprovals,
} from '../../src/registry/card.js';
import { type RegistryService } from '../../src/registry/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { SIGNATURE, writePackage } from './support.js';

const UNREGISTERED = `sha256:${'d'.repeat(64)}`;

describe.each(DIALECTS)('model card on %s', (dialect) => {
  let test: TestContext;
  let registry: RegistryService;
  let runId: string;

  beforeEach(async () => {
    test = await openTestContext(dialect);
    registry = test.context.registry;
    const { tracking, datasets } = test.context;
    const csv = join(test.dir, 'customers.csv');
    writeFileSync(csv, 'id,age,email,churned\n1,34,a@x.io,0\n2,61,b@x.io,1\n3,,c@x.io,0\n');
    await datasets.register('customers', csv, { sensitive: ['email'] });
    const experiment = await tracking.getOrCreateExperiment('churn');
    runId = (await tracking.createRun({ experimentId: experiment.experimentId })).info.runId;
    await tracking.logBatch(runId, {
      metrics: [
        { key: 'auc', value: 0.91 },
        { key: 'accuracy', value: 0.875 },
        { key: 'fairness.age_band.demographic_parity_difference', value: 0.12 },
        { key: 'fairness.age_band.disparate_impact_ratio', value: 0.8 },
        { key: 'positive_rate.age_band.18-40', value: 0.5 },
        { key: 'positive_rate.age_band.60_', value: 0.38 },
        { key: 'recall.age_band.18-40', value: 0.7 },
        { key: 'recall.age_band.60_', value: 0.6 },
      ],
      tags: [{ key: 'mlflow.source.git.commit', value: 'a'.repeat(40) }],
    });
    await datasets.logInput(runId, 'customers', 'training');
    await tracking.logInputs(runId, [
      { name: 'holdout', digest: UNREGISTERED, context: 'validation', sourceType: 'file', source: 'holdout.csv' },
    ]);
    const folder = join(test.dir, 'pkg');
    await writePackage(folder);
    await tracking.logArtifactDirectory(runId, folder, 'model');
    await registry.register('churn', { runId, path: 'model', tags: { team: 'growth' } });
    await registry.register('churn', {
      runId,
      path: 'model',
      description: 'gradient-boosted forest',
      tags: { intended_use: 'Rank accounts for retention outreach; not for pricing.' },
    });
    await registry.setAlias('churn', 'champion', 2);
    await registry.setStage('churn', 'staging', 2);
  });
  afterEach(async () => {
    await test.drop();
  });

  it('gathers the version, its data profiles, metrics, fairness tables, lineage, aliases and stages', async () => {
    const card = await buildModelCard('churn@champion', {
      registry,
      datasets: test.context.datasets,
      now: () => 1_700_000_000_000,
    });
    expect(card).toMatchObject({
      format: 'ciclo-model-card/1',
      generatedTime: 1_700_000_000_000,
      model: { name: 'churn', version: 2, description: null },
      description: 'gradient-boosted forest',
      status: 'pending',
      source: `runs:/${runId}/model`,
      flavor: 'ml-random-forest',
      signature: SIGNATURE,
      intendedUse: { statement: 'Rank accounts for retention outreach; not for pricing.', source: 'tag intended_use' },
      metrics: { accuracy: 0.875, auc: 0.91 },
      fairness: [
        {
          attribute: 'age_band',
          summary: { demographic_parity_difference: 0.12, disparate_impact_ratio: 0.8 },
          groups: [
            { group: '18-40', metrics: { positive_rate: 0.5, recall: 0.7 } },
            { group: '60_', metrics: { positive_rate: 0.38, recall: 0.6 } },
          ],
        },
      ],
      approvals: { history: [], gates: [] },
      lineage: { run: runId, pipeline_run: null, git_commit: 'a'.repeat(40) },
      aliases: ['champion'],
      stages: ['staging'],
    });
    const [customers, holdout] = card.trainingData;
    expect(customers).toMatchObject({
      name: 'customers',
      context: 'training',
      registered: { version: 1, format: 'csv', rowCount: 3, sensitiveColumns: ['email'] },
    });
    expect(customers!.registered!.columns.map((c) => [c.name, c.sensitive])).toEqual([
      ['id', false],
      ['age', false],
      ['email', true],
      ['churned', false],
    ]);
    expect(customers!.registered!.columns.find((c) => c.name === 'age')).toMatchObject({ nullable: true, nulls: 1 });
    // The profile's statistics, not only schema and nulls.
    const age = customers!.registered!.columns.find((c) => c.name === 'age')!.statistics!;
    expect(age.distinct).toBeGreaterThan(0);
    expect(typeof age.min).toBe('number');
    expect(age.max! >= age.min!).toBe(true);
    expect(typeof age.mean).toBe('number');
    expect(holdout).toEqual({ name: 'holdout', digest: UNREGISTERED, context: 'validation', registered: null });
    // The JSON form is the object itself.
    expect(JSON.parse(JSON.stringify(card))).toEqual(card);
  });

  it('renders every section of the card as Markdown', async () => {
    const markdown = renderModelCard(await buildModelCard('churn/2', { registry, datasets: test.context.datasets }));
    const headings = markdown.split('\n').filter((line) => line.startsWith('## '));
    expect(headings).toEqual([
      '## Model details',
      '## Description',
      '## Intended use',
      '## Signature',
      '## Training data',
      '## Metrics',
      '## Fairness',
      '## Approvals',
      '## Lineage',
      '## Aliases and stages',
    ]);
    expect(markdown).toMatch(/^# Model card: churn v2\n/);
    expect(markdown).toContain('Rank accounts for retention outreach; not for pricing.');
    expect(markdown).toContain('### customers (training)');
    expect(markdown).toContain('Version 1, csv, 3 rows, 4 columns.');
    expect(markdown).toContain('| column | type | nullable | nulls | distinct | range | mean ± std | most frequent |');
    expect(markdown).toContain('Sensitive columns: `email`.');
    expect(markdown).toContain('Not a registered dataset version: no profile.');
    expect(markdown).toContain('### Attribute `age_band`');
    expect(markdown).toContain('| group | positive_rate | recall |');
    expect(markdown).toContain('| `60_` | 0.38 | 0.6 |');
    expect(markdown).toContain('| `auc` | 0.91 |');
    expect(markdown).toContain('No approval records.');
    expect(markdown).toContain(`| git commit | \`${'a'.repeat(40)}\` |`);
    expect(markdown).toContain('| aliases | `churn@champion` |');
    // Sensitive values never reach the card, only the column's name.
    expect(markdown).not.toContain('a@x.io');
  });

  it('says the intended use is not stated when no tag or description gives it', async () => {
    const card = await buildModelCard('churn/1', { registry, datasets: test.context.datasets });
    expect(card.intendedUse).toBeNull();
    expect(card.tags).toEqual({ team: 'growth' });
    expect(renderModelCard(card)).toContain('## Intended use\n\nNot stated.');
  });

  it("falls back to the approval policy's description for the intended use", async () => {
    const approvals: CardApprovals = {
      history: async () => [],
      gateResults: async () => [],
      policyDescription: async (name) => (name === 'churn' ? 'a churn model fair across age bands' : null),
    };
    const card = await buildModelCard('churn/1', { registry, approvals });
    expect(card.intendedUse).toEqual({
      statement: 'a churn model fair across age bands',
      source: 'approval policy description',
    });
  });

  it('shows approval history and gate results when approvals are given', async () => {
    const approvals: CardApprovals = {
      history: async () => [
        { decision: 'approved', actor: 'rita', comment: 'fairness ok | checked', time: 1_700_000_000_000 },
      ],
      policyDescription: async (name) => `${name} ranks accounts for outreach`,
      gateResults: async (name, version) => [
        { gate: 'auc >= 0.85', passed: true, observed: 0.91, expected: 0.85, message: `${name}/${version}` },
        { gate: 'disparate_impact_ratio >= 0.8', passed: false, observed: 0.79, expected: 0.8 },
      ],
    };
    const card = await buildModelCard('churn', { registry, approvals });
    expect(card.model.version).toBe(2);
    expect(card.approvals.history).toHaveLength(1);
    expect(card.trainingData[0]!.registered).toBeNull();
    const markdown = renderModelCard(card);
    expect(markdown).toContain('| 2023-11-14T22:13:20.000Z | approved | rita | fairness ok \\| checked |');
    expect(markdown).toContain('| auc >= 0.85 | passed | 0.91 | 0.85 | churn/2 |');
    expect(markdown).toContain('| disparate_impact_ratio >= 0.8 | failed | 0.79 | 0.8 |  |');
  });

  it('writes <name>-v<version>.md and .json into a folder, leaving no temp files', async () => {
    const card = await buildModelCard('churn@champion', { registry, datasets: test.context.datasets });
    const out = join(test.dir, 'cards', 'nested');
    const written = await writeModelCard(card, out);
    expect(written).toEqual({ markdown: join(out, 'churn-v2.md'), json: join(out, 'churn-v2.json') });
    expect(readdirSync(out).sort()).toEqual(['churn-v2.json', 'churn-v2.md']);
    expect(JSON.parse(readFileSync(written.json, 'utf8'))).toEqual(card);
    expect(readFileSync(written.markdown, 'utf8')).toBe(renderModelCard(card));
  });

  it('refuses an unknown alias, version or model with a clear error', async () => {
    const failure = async (reference: string): Promise<CicloError> => {
      const error = await buildModelCard(reference, { registry }).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(CicloError);
      return error as CicloError;
    };
    const alias = await failure('churn@nope');
    expect(alias.code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(alias.message).toBe("model 'churn' has no alias 'nope'");
    expect(alias.details.hint).toContain('ciclo models alias set churn nope');
    expect((await failure('churn/7')).message).toBe("model 'churn' has no version 7");
    expect((await failure('nobody@champion')).message).toBe("no registered model named 'nobody'");
    expect((await failure('churn@')).code).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('fairness metrics in a snapshot', () => {
  it('groups only metrics of attributes that have fairness.* summaries, longest attribute first', () => {
    const { metrics, fairness } = splitFairness({
      'val.auc.last': 0.7,
      'fairness.age.dpd': 0.1,
      'fairness.age.band.dpd': 0.2,
      'recall.age.band.60_': 0.5,
      'recall.age.young': 0.9,
      'recall.sex.f': 0.4,
      'fairness.age.eod': null,
    });
    expect(metrics).toEqual({ 'recall.sex.f': 0.4, 'val.auc.last': 0.7 });
    expect(fairness).toEqual([
      { attribute: 'age', summary: { dpd: 0.1, eod: null }, groups: [{ group: 'young', metrics: { recall: 0.9 } }] },
      { attribute: 'age.band', summary: { dpd: 0.2 }, groups: [{ group: '60_', metrics: { recall: 0.5 } }] },
    ]);
  });
});
