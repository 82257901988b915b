import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sha256Digest } from '../artifacts/index.js';
import { SYSTEM_TAGS } from './types.js';

const run = promisify(execFile);

/** Lockfiles that pin a project's dependencies, in the order they are looked for. */
const LOCKFILES = ['package-lock.json', 'pnpm-lock.yaml', 'yarn.lock', 'uv.lock', 'poetry.lock', 'requirements.txt'];

export interface RuntimeEnvironment {
  node: string;
  python?: string;
  platform: string;
  lockfile?: { name: string; digest: string };
}

let pythonVersion: Promise<string | undefined> | undefined;

/** Asked once per process: spawning python for every run would cost more than the run's logging. */
function detectPython(): Promise<string | undefined> {
  pythonVersion ??= run('python3', ['--version'], { encoding: 'utf8', timeout: 5000 })
    .then(({ stdout, stderr }) => (stdout || stderr).trim().replace(/^Python\s+/, '') || undefined)
    .catch(() => undefined);
  return pythonVersion;
}

async function findLockfile(cwd: string): Promise<{ name: string; digest: string } | undefined> {
  for (const name of LOCKFILES) {
    try {
      const content = await readFile(join(cwd, name));
      return { name, digest: sha256Digest(content) };
    } catch {
      continue;
    }
  }
  return undefined;
}

export async function captureEnvironment(cwd = process.cwd()): Promise<RuntimeEnvironment> {
  const [python, lockfile] = await Promise.all([detectPython(), findLockfile(cwd)]);
  return {
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    ...(python ? { python } : {}),
    ...(lockfile ? { lockfile } : {}),
  };
}

export function environmentTags(env: RuntimeEnvironment): Record<string, string> {
  return {
    [SYSTEM_TAGS.nodeVersion]: env.node,
    [SYSTEM_TAGS.platform]: env.platform,
    ...(env.python ? { [SYSTEM_TAGS.pythonVersion]: env.python } : {}),
    ...(env.lockfile
      ? { [SYSTEM_TAGS.lockfile]: env.lockfile.name, [SYSTEM_TAGS.lockfileDigest]: env.lockfile.digest }
      : {}),
  };
}
