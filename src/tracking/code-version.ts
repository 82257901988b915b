import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sha256Digest } from '../artifacts/index.js';
import { SYSTEM_TAGS } from './types.js';

const run = promisify(execFile);

export interface CodeVersion {
  commit: string;
  branch: string;
  dirty: boolean;
  /** sha256 of `git diff HEAD` (tracked changes); absent when the tree is clean. */
  diffDigest?: string;
  repoUrl?: string;
}

async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', args, { cwd, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
    return stdout.trim();
  } catch {
    return undefined;
  }
}

/** What code produced a run: undefined outside a git checkout (or without git). */
export async function captureCodeVersion(cwd = process.cwd()): Promise<CodeVersion | undefined> {
  const commit = await git(cwd, ['rev-parse', 'HEAD']);
  if (!commit) return undefined;
  const [branch, status, diff, repoUrl] = await Promise.all([
    git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']),
    git(cwd, ['status', '--porcelain', '--untracked-files=no']),
    git(cwd, ['diff', 'HEAD', '--binary']),
    git(cwd, ['config', '--get', 'remote.origin.url']),
  ]);
  const dirty = Boolean(status);
  return {
    commit,
    branch: branch ?? '',
    dirty,
    ...(dirty && diff ? { diffDigest: sha256Digest(diff) } : {}),
    ...(repoUrl ? { repoUrl } : {}),
  };
}

export function codeVersionTags(version: CodeVersion | undefined): Record<string, string> {
  if (!version) return {};
  return {
    [SYSTEM_TAGS.gitCommit]: version.commit,
    [SYSTEM_TAGS.gitBranch]: version.branch,
    [SYSTEM_TAGS.gitDirty]: String(version.dirty),
    ...(version.diffDigest ? { [SYSTEM_TAGS.gitDiffDigest]: version.diffDigest } : {}),
    ...(version.repoUrl ? { [SYSTEM_TAGS.gitRepoUrl]: version.repoUrl } : {}),
  };
}

const CODE_VERSION_TAG_KEYS: readonly string[] = [
  SYSTEM_TAGS.gitCommit,
  SYSTEM_TAGS.gitBranch,
  SYSTEM_TAGS.gitDirty,
  SYSTEM_TAGS.gitDiffDigest,
  SYSTEM_TAGS.gitRepoUrl,
];

/** The tags `codeVersionTags` wrote among a run's tags: to give a child run the same code version. */
export function pickCodeVersionTags(tags: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([key]) => CODE_VERSION_TAG_KEYS.includes(key)));
}
