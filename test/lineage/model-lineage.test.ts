import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CicloError } from '../../src/common/errors.js';
import { type LineageService } from '../../src/lineage/index.js';
import { type RegistryService } from '../../src/registry/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { DIALECTS } from '../support/databases.js';
import { writePackage } from '../registry/support.js';
import { edgeList, nodeIds } from './support.js';

const CUSTOMERS = `sha256:${'c'.repeat(64)}`;

describe.each(DIALECTS)('model lineage on %s', (dialect) => {
  let test: TestContext;
  let registry: RegistryService;
  let lineage: LineageService;
  /** A parent run holding the training run, which used a dataset and logged the package under model/. */
  let parent: string;
  let trained: string;

  beforeEach(async () => {
    test = await openTestContext(dialect);
    registry = test.context.registry;
    lineage = test.context.lineage;
    const { tracking } = test.context;
    const experiment = await tracking.getOrCreateExperiment('churn');
    parent = (await tracking.createRun({ experimentId: experiment.experimentId, runName: 'sweep' })).info.runId;
    trained = (await tracking.createRun({ experimentId: experiment.experimentId, parentRunId: parent })).info.runId;
    await tracking.logInputs(trained, [
      { name: 'customers', digest: CUSTOMERS, context: 'training', sourceType: 'ciclo', source: 'customers@1' },
    ]);
    const folder = join(test.dir, 'pkg');
    await writePackage(folder);
    await tracking.logArtifactDirectory(trained, folder, 'model');
    await registry.register('churn', { runId: trained, path: 'model' });
    await registry.register('churn', { runId: trained, path: 'model' });
    await registry.setAlias('churn', 'champion', 2);
  });
  afterEach(async () => {
    await test.drop();
  });

  it('walks upstream from a version to its run, and on to the run’s parent and dataset', async () => {
    const graph = await lineage.graph('model:churn/1', { direction: 'upstream' });
    expect(graph.roots).toEqual(['model:churn/1']);
    expect(graph.nodes.find((node) => node.id === 'model:churn/1')).toEqual({
      id: 'model:churn/1',
      kind: 'model',
      name: 'churn',
      version: '1',
    });
    const edges = edgeList(graph);
    expect(edges).toContain(`run:${trained} -produced-> model:churn/1`);
    expect(edges).toContain(`run:${parent} -contains-> run:${trained}`);
    expect(edges).toContain(`dataset:customers@${CUSTOMERS} -used_by-> run:${trained}`);
    expect(graph.edges.find((edge) => edge.to === 'model:churn/1')?.name).toBe('model');
    // Upstream only: not the other version registered from the same run.
    expect(nodeIds(graph)).not.toContain('model:churn/2');
  });

  it('walks downstream from a run, and from its dataset, to the versions registered from it', async () => {
    const fromRun = await lineage.graph(trained, { direction: 'downstream' });
    expect(edgeList(fromRun)).toEqual(
      expect.arrayContaining([`run:${trained} -produced-> model:churn/1`, `run:${trained} -produced-> model:churn/2`]),
    );
    // The run's files are still there, next to the versions.
    expect(fromRun.nodes.some((node) => node.kind === 'artifact')).toBe(true);

    const fromDataset = await lineage.graph(`dataset:customers@${CUSTOMERS}`, { direction: 'downstream' });
    expect(nodeIds(fromDataset)).toEqual(expect.arrayContaining([`run:${trained}`, 'model:churn/1', 'model:churn/2']));

    const fromParent = await lineage.graph(parent, { direction: 'downstream', depth: 1 });
    expect(nodeIds(fromParent)).not.toContain('model:churn/1');
  });

  it('resolves NAME@alias to the version it points at and NAME to every version', async () => {
    expect((await lineage.graph('model:churn@champion', { depth: 0 })).roots).toEqual(['model:churn/2']);
    expect((await lineage.graph('model:churn', { depth: 0 })).roots).toEqual(['model:churn/2', 'model:churn/1']);
    const both = await lineage.graph('model:churn@champion');
    expect(edgeList(both)).toContain(`run:${trained} -produced-> model:churn/2`);
  });

  it('answers not found for an unknown model, version or alias, and bad input for a non-numeric version', async () => {
    const failure = async (node: string): Promise<CicloError> => {
      const error = await lineage.graph(node).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(CicloError);
      return error as CicloError;
    };
    expect(await failure('model:nope/1')).toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
      message: expect.stringContaining("no registered model named 'nope'"),
    });
    expect(await failure('model:churn/9')).toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
      message: expect.stringContaining("model 'churn' has no version 9"),
    });
    expect(await failure('model:churn@gone')).toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
      message: expect.stringContaining("model 'churn' has no alias 'gone'"),
    });
    expect(await failure('model:churn/latest')).toMatchObject({ code: 'INVALID_PARAMETER_VALUE' });
    expect((await failure('model:nope')).details.where).toBe('node');
  });
});
