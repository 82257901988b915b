import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson } from '../../common/canonical-json.js';
import { sha256Digest } from '../../artifacts/index.js';
import { InvalidInputError } from '../../common/errors.js';
import type { ParamValue, StepDefinition } from '../definition/definition.js';
import { splitCommand } from '../kinds/command.js';
import { CommandConfigSchema, TsConfigSchema } from '../definition/step-kinds.js';
import { renderTemplate } from '../definition/templates.js';

/**
 * The cache key of one step execution: a digest of everything that decides what the step produces.
 * Two executions with the same key are expected to produce the same outputs, so the second may reuse
 * the first one's. Bump `CACHE_KEY_VERSION` whenever what goes into the key changes, so keys written
 * by an older Ciclo never match.
 */
const CACHE_KEY_VERSION = 1;

export interface CacheKeyInput {
  /** The compiled step. */
  step: StepDefinition;
  /** The step's resolved param values. */
  params: Readonly<Record<string, ParamValue>>;
  /** Input name → digest of the upstream output (`sha256:…`); one per input the step declares. */
  inputDigests: Readonly<Record<string, string>>;
  /** Absolute or workDir-relative paths of the code files; usually `codeFilesOf(step, workDir, params)`. */
  codeFiles: readonly string[];
  /** Anything else the step's results depend on that is declared, e.g. `{ lockfile: 'sha256:…' }`. */
  environment?: Readonly<Record<string, string>>;
  /** The pipeline's folder; code file paths are keyed relative to it. */
  workDir: string;
}

export interface StepCacheKey {
  /** `sha256:<hex>` over the canonical JSON of all components. */
  key: string;
  /**
   * Each component's own digest, so a miss can be explained by comparing with a previous execution's
   * parts: `definition`, `params`, `inputs`, `code`, `environment`, and `code:<path>` per code file
   * (a file appearing, disappearing or changing shows as its own entry).
   */
  parts: Record<string, string>;
}

export async function computeStepCacheKey(input: CacheKeyInput): Promise<StepCacheKey> {
  const { step, params, inputDigests, codeFiles, environment = {}, workDir } = input;
  checkInputDigests(step, inputDigests);
  const code = await hashCodeFiles(codeFiles, workDir, step.name);
  const components = {
    definition: resultDefinition(step),
    params: { ...params },
    inputs: { ...inputDigests },
    code,
    environment: { step: step.env, declared: { ...environment } },
  };
  const parts: Record<string, string> = {};
  for (const [name, value] of Object.entries(components)) parts[name] = sha256Digest(canonicalJson(value));
  for (const [file, digest] of Object.entries(code)) parts[`code:${file}`] = digest;
  return { key: sha256Digest(canonicalJson({ version: CACHE_KEY_VERSION, ...components })), parts };
}

/**
 * The part of a step definition that can change its results. Kept: name, kind, the kind's config
 * (the command, the module and export, …), input references, declared outputs, the step's own param
 * mapping and `dependsOn` (a step may rely on what an earlier step left behind). Left out, because
 * they decide how or whether the step runs, never what a successful run produces:
 * - `retries` and `retryBackoff`: only how often a failed attempt is tried again;
 * - `timeoutMs`: only when an attempt is given up; a run that finished produced the same outputs;
 * - `cache`: whether the key is used at all; turning caching off and on again must not miss.
 * `env` is not here but in the `environment` component, so a miss caused by it is named as such.
 */
function resultDefinition(step: StepDefinition): Record<string, unknown> {
  const {
    retries: _retries,
    retryBackoff: _retryBackoff,
    timeoutMs: _timeoutMs,
    cache: _cache,
    env: _env,
    dependsOn,
    ...kept
  } = step;
  // dependsOn is a set: its order in the file says nothing.
  return { ...kept, dependsOn: [...new Set(dependsOn)].sort() };
}

/**
 * A key that leaves out an input would reuse outputs computed from other data, so every declared
 * input must have a digest; a digest for an undeclared input is a caller mistake worth reporting.
 */
function checkInputDigests(step: StepDefinition, inputDigests: Readonly<Record<string, string>>): void {
  const declared = Object.keys(step.inputs);
  const missing = declared.filter((name) => !Object.hasOwn(inputDigests, name));
  const extra = Object.keys(inputDigests).filter((name) => !Object.hasOwn(step.inputs, name));
  if (missing.length > 0) {
    throw new InvalidInputError(`step "${step.name}" has no digest for its input(s) ${missing.join(', ')}`, {
      where: `steps.${step.name}.inputs`,
    });
  }
  if (extra.length > 0) {
    throw new InvalidInputError(`step "${step.name}" declares no input(s) ${extra.join(', ')}`, {
      where: `steps.${step.name}.inputs`,
      hint: declared.length > 0 ? `its inputs: ${declared.join(', ')}` : 'the step has no inputs',
    });
  }
}

/** Relative path (with `/`) → `sha256:` of the file's bytes. Contents only: mtime and mode are ignored. */
async function hashCodeFiles(
  files: readonly string[],
  workDir: string,
  stepName: string,
): Promise<Record<string, string>> {
  const hashed = new Map<string, string>();
  for (const file of files) {
    const absolute = path.resolve(workDir, file);
    const relative = path.relative(workDir, absolute).split(path.sep).join('/');
    if (hashed.has(relative)) continue;
    let content: Buffer;
    try {
      if (!(await stat(absolute)).isFile()) throw new Error('it is not a regular file');
      content = await readFile(absolute);
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      throw new InvalidInputError(
        missing
          ? `code file "${relative}" of step "${stepName}" does not exist`
          : `code file "${relative}" of step "${stepName}" cannot be read: ${(error as Error).message}`,
        { where: `steps.${stepName}`, hint: `code files are looked up relative to ${workDir}` },
      );
    }
    hashed.set(relative, sha256Digest(content));
  }
  return Object.fromEntries([...hashed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The code files a step uses, as absolute paths:
 * - a `ts` step: its module (relative to `workDir`), which must exist. Only that file: what it imports
 *   is not followed, so a change in a helper module does not change the key.
 * - a `command` step: every word of the command (the executable included, e.g. `./run.sh`, or
 *   `train.py` in `python3 train.py`) that names an existing regular file inside `workDir`, relative
 *   to the step's `cwd`. Words that name nothing are plain arguments and are skipped; a word holding
 *   `${inputs.x}` or `${outputs.x}` is data, covered by the input digests, and is skipped too.
 * - the rule for an explicit `code:` list, once a kind declares one: every path listed is included
 *   and must exist (a missing one is an InvalidInputError), in addition to the files found above.
 *   No kind declares it yet, so the schema does not have it.
 * `${params.x}` in a module or a command word is rendered with `params` when given.
 */
export async function codeFilesOf(
  step: StepDefinition,
  workDir: string,
  params: Readonly<Record<string, ParamValue>> = {},
): Promise<string[]> {
  const values = { params, inputs: {}, outputs: {} };
  if (step.kind === 'ts') {
    const config = parseConfig(TsConfigSchema, step);
    const module = path.resolve(workDir, renderTemplate(config.module, values));
    if (!(await isRegularFile(module))) {
      throw new InvalidInputError(`the module "${config.module}" of step "${step.name}" is not a file`, {
        where: `steps.${step.name}.module`,
        hint: `it is looked up relative to ${workDir}`,
      });
    }
    return [module];
  }
  if (step.kind === 'command') {
    const config = parseConfig(CommandConfigSchema, step);
    const words = typeof config.command === 'string' ? splitCommand(config.command, step.env) : config.command;
    const cwd = path.resolve(workDir, config.cwd === undefined ? '.' : renderTemplate(config.cwd, values));
    const files = new Set<string>();
    for (const word of words) {
      let rendered: string;
      try {
        rendered = renderTemplate(word, values);
      } catch {
        continue;
      }
      if (rendered === '') continue;
      const candidate = path.resolve(cwd, rendered);
      if (isInside(workDir, candidate) && (await isRegularFile(candidate))) files.add(candidate);
    }
    return [...files].sort();
  }
  return [];
}

function parseConfig<S extends typeof TsConfigSchema | typeof CommandConfigSchema>(
  schema: S,
  step: StepDefinition,
): ReturnType<S['parse']> {
  const parsed = schema.safeParse(step.config);
  if (parsed.success) return parsed.data as ReturnType<S['parse']>;
  const message = parsed.error.issues[0]!.message;
  throw new InvalidInputError(`step "${step.name}" has an invalid ${step.kind} config: ${message}`, {
    where: `steps.${step.name}`,
  });
}

function isInside(folder: string, candidate: string): boolean {
  const relative = path.relative(path.resolve(folder), candidate);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

async function isRegularFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

export { canonicalJson };
