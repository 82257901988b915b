import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A git checkout with one commit holding `train.py`; returns the commit id. */
export function initGitRepo(dir: string): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '--quiet');
  writeFileSync(join(dir, 'train.py'), 'print("train")\n');
  git('add', 'train.py');
  git(
    '-c',
    'user.name=Ciclo Test',
    '-c',
    'user.email=test@ciclo.invalid',
    'commit',
    '--quiet',
    '--no-gpg-sign',
    '-m',
    'first',
  );
  return git('rev-parse', 'HEAD');
}
