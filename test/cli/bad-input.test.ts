import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp.js';
import { runCli } from './run-cli.js';

/** What no user should see in a CLI error: a stack frame, or SQL of ours (DuckDB quotes the statement). */
const STACK_FRAME = /\n\s+at .+[:(]/;
const SQL_TEXT = /\bLINE \d+:|\bSELECT\b|\bread_csv\(|\bDESCRIBE\b/i;

describe('bad input to the CLI', () => {
  const place = makeTempDir('ciclo-bad-input-');
  const env = { CICLO_HOME: join(place.dir, 'store') };
  afterAll(() => place.remove());
  const file = (name: string, text: string) => {
    const path = join(place.dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('says what is wrong with an exit code and no stack trace or SQL, case by case', async () => {
    // The store exists, so each case reaches the command's own checks.
    expect((await runCli(['experiments', 'create', 'bad-input'], env)).code).toBe(0);
    const predictions = file('predictions.csv', 'y,p\n1,0.9\n0,0.2\n');
    const cases: Array<{ args: string[]; code: number; says: string }> = [
      { args: ['evaluate', join(place.dir, 'missing.csv'), '--label', 'y', '--score', 'p'], code: 3, says: 'no file' },
      { args: ['evaluate', predictions, '--label', 'nope', '--score', 'p'], code: 2, says: 'nope' },
      {
        // A line with a field too many and one with an unterminated quote: each named once, by file:line.
        args: ['evaluate', file('ragged.csv', 'y,p\n1,0.9\n0,0.2,x,y\n1,"open\n'), '--label', 'y', '--score', 'p'],
        code: 2,
        says: 'ragged.csv:3',
      },
      { args: ['data', 'register', 'x', join(place.dir, 'missing.csv')], code: 3, says: 'missing.csv' },
      { args: ['pipeline', 'run', join(place.dir, 'no-such-pipeline')], code: 3, says: 'no-such-pipeline' },
      { args: ['runs', 'show', 'f'.repeat(32)], code: 3, says: 'f'.repeat(32) },
      { args: ['models', 'show', 'nobody'], code: 3, says: 'nobody' },
      { args: ['lineage', 'not a node'], code: 2, says: 'not a node' },
      { args: ['runs', 'list', '--filter', 'metrics.auc >>> 1'], code: 2, says: 'filter' },
      { args: ['features', 'validate', file('view.yaml', 'name: [unclosed\n')], code: 2, says: 'view.yaml' },
    ];
    for (const { args, code, says } of cases) {
      const result = await runCli(args, env);
      const shown = result.stdout + result.stderr;
      const label = `ciclo ${args.join(' ')} →\n${shown}`;
      expect(result.code, label).toBe(code);
      expect(shown, label).toContain(says);
      expect(shown, label).not.toMatch(STACK_FRAME);
      expect(shown, label).not.toMatch(SQL_TEXT);
    }
  });
});
