import { describe, expect, it } from 'vitest';
import { LineageService } from '../../src/lineage/index.js';
import { DIALECTS } from '../support/databases.js';
import { runCli } from '../cli/run-cli.js';
import { useLineageSuite } from './support.js';
import { configEnvironment } from '../../src/common/config.js';

// Runs the built CLI (npm run build) against the suite's store.
describe.each(DIALECTS)('ciclo lineage on %s', (dialect) => {
  const suite = useLineageSuite(dialect);
  const cli = (...args: string[]) => {
    const { config } = suite.server.context;
    return runCli(args, configEnvironment(config));
  };

  it('prints the upstream tree of the model', async () => {
    const { digests, steps } = suite.scenario;
    const result = await cli('lineage', `${steps.first.train!.run_id}/outputs/model`, '--upstream');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`artifact ${digests.model.slice(0, 19)}`);
    const ingestRun = steps.first.ingest!.run_id!.slice(0, 8);
    expect(result.stdout).toContain(
      `─ produced by  step ingest#1  SUCCEEDED  run ${ingestRun}  pipeline churn-train  [data]`,
    );
    expect(result.stdout).not.toContain('downstream:');
  });

  it('prints the same JSON graph as the service, and honours --downstream and --depth', async () => {
    const { digests } = suite.scenario;
    const result = await cli('lineage', digests.data, '--downstream', '--depth', '2', '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(
      await new LineageService(suite.server.context.database.db).graph(digests.data, {
        direction: 'downstream',
        depth: 2,
      }),
    );
  });

  it('exits 3 for an unknown node, 2 for a malformed one or both directions', async () => {
    const unknown = await cli('lineage', 'model:churn');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("RESOURCE_DOES_NOT_EXIST: no registered model named 'churn'");
    const malformed = await cli('lineage', 'thing:x');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('fix: name a node as <run-id>');
    const both = await cli('lineage', suite.scenario.first, '--upstream', '--downstream');
    expect(both.code).toBe(2);
  });
});
