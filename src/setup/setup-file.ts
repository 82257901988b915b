import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { InvalidInputError, NotFoundError } from '../common/errors.js';
import {
  definitionProblemError,
  parseYamlWithSource,
  problemFromZod,
  zodMessages,
  type FieldPath,
  type SourceMap,
} from '../common/yaml-source.js';
import { parsePolicy, parsePolicyYaml, type Policy } from '../governance/approvals/index.js';
import { ProjectNameSchema, ROLES, type Role } from '../governance/index.js';
import { parseMonitor, parseMonitorYaml, type MonitorToApply } from '../monitoring/index.js';
import { CreateDeploymentSchema, DeploymentNameSchema } from '../serving/index.js';

/**
 * `ciclo.yaml`: a project's setup as a reviewable file (docs/setup.md). Each section is a kind of resource keyed
 * by name (projects, approval policies, deployments, monitors); `ciclo plan` compares it with the store and
 * `ciclo apply` makes the store match. A resource written in a file of its own is read relative to ciclo.yaml's
 * folder.
 */

const SECTIONS = ['projects', 'approval_policies', 'deployments', 'monitors'] as const;

const ProjectEntry = z.strictObject({
  description: z.string().optional(),
  members: z.record(z.string().min(1), z.enum(ROLES)).optional(),
});

/** A policy is a file next to ciclo.yaml (the same YAML `ciclo models policy set` takes) or written inline. */
const PolicyEntry = z.union([z.string().min(1), z.record(z.string(), z.unknown())], {
  error: 'expected a policy file path or a policy written inline (a mapping)',
});

/** A monitor is its YAML file (what `ciclo monitor apply` takes) or written inline, its name being the key. */
const MonitorEntry = z.union([z.string().min(1), z.record(z.string(), z.unknown())], {
  error: 'expected a monitor file path or a monitor written inline (a mapping)',
});

/** A deployment as `ciclo deployments create` takes it (POST /api/v1/deployments), named by its key. */
const DeploymentEntry = CreateDeploymentSchema.omit({ name: true });

const SetupFileSchema = z.strictObject({
  version: z.literal(1).optional(),
  projects: z.record(ProjectNameSchema, ProjectEntry).optional(),
  approval_policies: z.record(z.string().min(1), PolicyEntry).optional(),
  deployments: z.record(DeploymentNameSchema, DeploymentEntry).optional(),
  monitors: z.record(z.string().min(1), MonitorEntry).optional(),
});

export interface DeclaredProject {
  name: string;
  /** Absent: the file does not manage the description. */
  description?: string;
  members: Record<string, Role>;
  /** Where each member was written, for errors about the user. */
  memberAt: (user: string) => string;
}

export interface DeclaredPolicy {
  /** The model's name. */
  name: string;
  policy: Policy;
  /** The text stored as the policy: the file's own, or the inline mapping written as YAML. */
  text: string;
  /** What errors and the audit entry name: the policy file, or `ciclo.yaml:line:col` of the inline mapping. */
  fileName: string;
  /** Where the model's name is written, for an error about the model. */
  nameAt: string;
}

export interface DeclaredMonitor extends MonitorToApply {
  name: string;
  /** Where the monitor's deployment is written, for an error about the deployment. */
  deploymentAt: string;
}

export interface DeclaredDeployment {
  name: string;
  /** As `create` takes it, defaults filled in (blue-green, one replica, every request captured). */
  request: z.output<typeof CreateDeploymentSchema>;
  /** Where the deployment's model is written, for an error about the model. */
  modelAt: string;
}

export interface DeclaredSetup {
  file: string;
  /** The sections the file has, even empty: --prune touches only these kinds. */
  sections: ReadonlySet<string>;
  projects: DeclaredProject[];
  policies: DeclaredPolicy[];
  deployments: DeclaredDeployment[];
  monitors: DeclaredMonitor[];
}

export async function loadSetupFile(file: string): Promise<DeclaredSetup> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new NotFoundError(`setup file ${file} does not exist`, {
      where: file,
      hint: 'Write a ciclo.yaml (docs/setup.md) or name one with -f FILE.',
    });
  }
  return parseSetupFile(text, file);
}

export async function parseSetupFile(text: string, file: string): Promise<DeclaredSetup> {
  const { value, source } = parseYamlWithSource(text, file);
  const parsed = SetupFileSchema.safeParse(value ?? {}, { error: zodMessages });
  if (!parsed.success) {
    const problem = problemFromZod(parsed.error.issues[0]!);
    if (problem.atKey && problem.path.length === 1) {
      problem.hint = `ciclo.yaml's sections are: version, ${SECTIONS.join(', ')}`;
    }
    throw definitionProblemError(problem, source, 'ciclo.yaml');
  }
  const projects = Object.entries(parsed.data.projects ?? {}).map(([name, entry]): DeclaredProject => ({
    name,
    ...(entry.description === undefined ? {} : { description: entry.description }),
    members: entry.members ?? {},
    memberAt: (user) => source.locate(['projects', name, 'members', user], 'key'),
  }));
  const policies: DeclaredPolicy[] = [];
  for (const [name, entry] of Object.entries(parsed.data.approval_policies ?? {})) {
    const path: FieldPath = ['approval_policies', name];
    const at = source.locate(path, 'value');
    const nameAt = source.locate(path, 'key');
    policies.push(
      typeof entry === 'string'
        ? { name, nameAt, ...(await readPolicyFile(join(dirname(file), entry), at)) }
        : { name, nameAt, ...inlinePolicy(entry, prefixed(source, path), at) },
    );
  }
  const deployments = Object.entries(parsed.data.deployments ?? {}).map(([name, entry]): DeclaredDeployment => ({
    name,
    request: { name, ...entry },
    modelAt: source.locate(['deployments', name, 'model'], 'value'),
  }));
  const monitors: DeclaredMonitor[] = [];
  for (const [name, entry] of Object.entries(parsed.data.monitors ?? {})) {
    const path: FieldPath = ['monitors', name];
    const declared =
      typeof entry === 'string'
        ? await readMonitorFile(join(dirname(file), entry), source.locate(path, 'value'))
        : inlineMonitor(name, entry, prefixed(source, path));
    if (declared.monitor.name !== name) {
      throw new InvalidInputError(`monitors.${name}: the monitor's file names it "${declared.monitor.name}"`, {
        where: source.locate(path, 'key'),
        hint: "The key under monitors is the monitor's name: make the two the same.",
      });
    }
    monitors.push({ name, ...declared, deploymentAt: declared.source.locate(['deployment'], 'value') });
  }
  const sections = new Set(Object.keys(parsed.data).filter((key) => key !== 'version'));
  return { file, sections, projects, policies, deployments, monitors };
}

async function readMonitorFile(path: string, at: string): Promise<MonitorToApply> {
  const text = await readReferencedFile(path, at, 'monitor');
  return { ...parseMonitorYaml(text, path), text };
}

function inlineMonitor(name: string, raw: Record<string, unknown>, source: SourceMap): MonitorToApply {
  const named = { name, ...raw };
  return { monitor: parseMonitor(named, source), source, text: stringify(named) };
}

async function readPolicyFile(path: string, at: string): Promise<Omit<DeclaredPolicy, 'name' | 'nameAt'>> {
  const text = await readReferencedFile(path, at, 'policy');
  return { policy: parsePolicyYaml(text, path).policy, text, fileName: path };
}

/** A file ciclo.yaml names; a missing one is an error at the line that names it. */
async function readReferencedFile(path: string, at: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new InvalidInputError(`${what} file ${path} does not exist`, {
      where: at,
      hint: 'A path in ciclo.yaml is relative to its folder.',
    });
  }
}

function inlinePolicy(raw: Record<string, unknown>, source: SourceMap, at: string) {
  return { policy: parsePolicy(raw, source), text: stringify(raw), fileName: at };
}

/** The source map of a sub-document: a policy's own field paths located inside ciclo.yaml. */
function prefixed(source: SourceMap, prefix: FieldPath): SourceMap {
  return { locate: (path, target) => source.locate([...prefix, ...path], target) };
}
