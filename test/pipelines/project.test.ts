import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, InvalidStateError, NotFoundError } from '../../src/common/errors.js';
import { DIALECTS } from '../support/databases.js';
import { useSchedulerFixture } from './support/scheduler.js';

/** A pipeline whose one step writes a CSV that is registered as the dataset `scored`. */
function pipelineYaml(project: string | undefined): string {
  return [
    'name: scoring',
    ...(project === undefined ? [] : [`project: ${project}`]),
    'steps:',
    '  - name: score',
    '    kind: command',
    `    command: [sh, -c, 'printf "id,score\\n1,0.5\\n2,0.7\\n" > "$CICLO_OUTPUT_DIR/scores"']`,
    '    outputs:',
    '      scores: { type: dataset, register: scored }',
    '',
  ].join('\n');
}

describe.each(DIALECTS)('a pipeline in a project, on %s', (dialect) => {
  const fixture = useSchedulerFixture(dialect);

  async function load(project: string | undefined) {
    const folder = path.join(fixture.workDir, 'scoring');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'pipeline.yaml'), pipelineYaml(project));
    return fixture.test.context.pipelines.load(folder);
  }

  it('logs its runs into an experiment of its project and registers its outputs there', async () => {
    const { access, pipelines, tracking, datasets } = fixture.test.context;
    await access.createProject('alpha');
    const loaded = await load('alpha');
    expect(loaded.definition.project).toBe('alpha');
    const { pipelineRunId, status } = await pipelines.run(loaded);
    expect(status).toBe('SUCCEEDED');

    const experiment = await tracking.getExperimentByName('scoring');
    expect(experiment.project).toBe('alpha');
    const { run, steps } = await pipelines.getRun(pipelineRunId);
    expect(run.project).toBe('alpha');
    expect((await tracking.getRun(pipelineRunId)).info.experimentId).toBe(experiment.experimentId);
    expect((await tracking.getRun(steps[0]!.run_id!)).info.experimentId).toBe(experiment.experimentId);
    expect(await datasets.list()).toMatchObject([{ name: 'scored', project: 'alpha', latestVersion: 1 }]);
  });

  it('is in default without project:, refuses to log into an experiment of its name in another project', async () => {
    const { access, pipelines, tracking } = fixture.test.context;
    await access.createProject('alpha');
    await tracking.createExperiment({ name: 'scoring', project: 'alpha' });
    const loaded = await load(undefined);
    expect(loaded.definition.project).toBe('default');
    const start = pipelines.start(loaded);
    await expect(start).rejects.toThrow(InvalidStateError);
    await expect(start).rejects.toMatchObject({
      message: expect.stringContaining("is in project 'alpha'"),
      details: { where: 'project' },
    });
    expect(await pipelines.listRuns()).toEqual([]);
    expect(
      (await tracking.searchRuns({ experimentIds: [(await tracking.getExperimentByName('scoring')).experimentId] }))
        .items,
    ).toEqual([]);
  });

  it('refuses a project that does not exist when it starts, and a malformed one at its file:line:col', async () => {
    await expect(fixture.test.context.pipelines.start(await load('nowhere'))).rejects.toThrow(NotFoundError);
    let error: unknown;
    try {
      await load('Not Valid');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).details.where).toMatch(/pipeline\.yaml:2:10$/);
  });

  it("fails the step that would register into another project's dataset", async () => {
    const { access, datasets, pipelines } = fixture.test.context;
    await access.createProject('alpha');
    const source = path.join(fixture.workDir, 'scored.csv');
    await writeFile(source, 'id,score\n9,0.1\n');
    await datasets.register('scored', source, { project: 'alpha' });
    const { status } = await pipelines.run(await load(undefined));
    expect(status).toBe('FAILED');
    expect((await datasets.versions('scored')).map((v) => v.version)).toEqual([1]);
  });
});
