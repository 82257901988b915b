import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/common/config.js';
import { findPipelineFiles, signBody } from '../../src/triggers/index.js';
import { makeTempDir } from '../support/temp.js';
import { waitFor } from './support.js';

const MAIN = fileURLToPath(new URL('../../dist/bin/ciclo.js', import.meta.url));

function writePipeline(folder: string, name: string, triggers: string): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    path.join(folder, 'pipeline.yaml'),
    [
      `name: ${name}`,
      'steps:',
      '  - name: a',
      '    kind: command',
      '    command: ["true"]',
      'triggers:',
      triggers,
      '',
    ].join('\n'),
  );
}

describe('pipeline discovery and configuration', () => {
  const temps: { remove(): void }[] = [];
  afterEach(() => temps.splice(0).forEach((temp) => temp.remove()));

  it('finds pipeline.yaml in the folders below a folder, and takes files as given', async () => {
    const root = makeTempDir();
    temps.push(root);
    writePipeline(path.join(root.dir, 'team', 'train'), 'train', '  []');
    writePipeline(path.join(root.dir, 'etl'), 'etl', '  []');
    writePipeline(path.join(root.dir, 'node_modules', 'x'), 'x', '  []');
    writePipeline(path.join(root.dir, '.hidden'), 'h', '  []');
    const single = path.join(root.dir, 'etl', 'pipeline.yaml');
    expect(await findPipelineFiles([root.dir, single])).toEqual([
      single,
      path.join(root.dir, 'team', 'train', 'pipeline.yaml'),
    ]);
    await expect(findPipelineFiles([path.join(root.dir, 'missing')])).rejects.toMatchObject({
      code: 'RESOURCE_DOES_NOT_EXIST',
    });
  });

  it('reads CICLO_PIPELINES as a comma-separated list resolved from the working directory', () => {
    expect(loadConfig({ CICLO_PIPELINES: 'a, /abs/b ,,' }, '/work').pipelines).toEqual(['/work/a', '/abs/b']);
    expect(loadConfig({}, '/work').pipelines).toEqual([]);
  });
});

describe('ciclo server --pipelines', () => {
  it('prints a line per trigger, serves their webhooks and stops them on SIGTERM', async () => {
    const home = makeTempDir();
    try {
      const pipelines = path.join(home.dir, 'pipelines');
      writePipeline(
        path.join(pipelines, 'deploy'),
        'deploy',
        [
          '  - name: on_push',
          '    type: webhook',
          '    secretEnv: CICLO_TEST_CLI_SECRET',
          '  - name: nightly',
          '    type: cron',
          '    schedule: "0 3 * * *"',
          '    timezone: Europe/Lisbon',
        ].join('\n'),
      );
      const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CICLO_')));
      const child = spawn(process.execPath, [MAIN, 'server', '--port', '0', '--pipelines', pipelines], {
        env: { ...inherited, CICLO_HOME: path.join(home.dir, 'home'), CICLO_TEST_CLI_SECRET: 'cli-secret' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      try {
        await waitFor(`the startup lines (stderr: ${stderr})`, () => stdout.split('\n').length >= 4);
        const [listening, ...triggerLines] = stdout.trim().split('\n');
        const url = /listening on (\S+)/.exec(listening!)![1]!;
        expect(triggerLines).toEqual([
          'trigger deploy/on_push (webhook): POST /api/v1/triggers/on_push/fire signed with $CICLO_TEST_CLI_SECRET',
          expect.stringMatching(
            /^trigger deploy\/nightly \(cron\): cron "0 3 \* \* \*" in Europe\/Lisbon, next at \d{4}-/,
          ),
        ]);
        const body = JSON.stringify({ sha: 'abc' });
        const response = await fetch(`${url}/api/v1/triggers/on_push/fire`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-ciclo-signature': signBody('cli-secret', body) },
          body,
        });
        expect(response.status).toBe(202);
        expect(await response.json()).toMatchObject({ outcome: 'started' });
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
      expect(stderr).toContain('Stopped (SIGTERM)');
    } finally {
      home.remove();
    }
  });
});
