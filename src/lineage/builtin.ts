import type { Kysely } from 'kysely';
import {
  runArtifactAt,
  runArtifactDigestKnown,
  runArtifactsByDigest,
  runArtifactsOf,
  runArtifactsUnder,
} from '../artifacts/index.js';
import { NotFoundError } from '../common/errors.js';
import {
  cachedCopiesOf,
  // The digest a folder output is recorded under; lineage must compute exactly the scheduler's.
  folderDigest,
  stepArtifactDigestKnown,
  stepArtifactsOf,
  stepRunsByDigest,
  type StepExecutionKey,
} from '../pipelines/index.js';
import type { Schema } from '../store/index.js';
import {
  childRunIds,
  datasetDigests,
  datasetsOfRun,
  findRunRow,
  projectOfRun,
  runsUsingDataset,
} from '../tracking/index.js';
import { NODE_FORMS_HINT } from './node-ref.js';
import {
  LineageRegistry,
  type EdgeSource,
  type LineageSession,
  type Neighbour,
  type Neighbours,
  type NodeResolver,
} from './registry.js';
import type { RunInfo } from './run-lookup.js';
import {
  artifactNodeId,
  datasetNodeId,
  type ArtifactNode,
  type DatasetNode,
  type EdgeType,
  type LineageNode,
  type WalkDirection,
} from './types.js';

/** Files of one folder artifact read to compute its digest; a bigger folder is named by its digest instead. */
const FOLDER_FILE_LIMIT = 10_000;
/** Versions of one dataset `dataset:<name>` expands to. */
const DATASET_VERSION_LIMIT = 100;

/** The registry with what is recorded today: tracked runs, pipeline runs and steps, artifacts, datasets. */
export function builtinLineageRegistry(): LineageRegistry {
  return new LineageRegistry()
    .addResolver(runResolver)
    .addResolver(artifactResolver)
    .addResolver(datasetResolver)
    .addEdgeSource(recordedEdges);
}

const runResolver: NodeResolver = {
  kind: 'run',
  async resolve(ref, session) {
    if (ref.kind !== 'run') return [];
    const info = await session.runs.get(ref.runId);
    if (!info) throw new NotFoundError(`no run ${ref.runId}`, { where: 'node', hint: NODE_FORMS_HINT });
    return [info.node];
  },
  projectOf: async (node, db) => (node.kind === 'run' ? projectOfRun(db, node.runId) : undefined),
};

const artifactResolver: NodeResolver = {
  kind: 'artifact',
  async resolve(ref, session) {
    if (ref.kind !== 'artifact') return [];
    if ('digest' in ref) {
      if (!(await digestKnown(session.db, ref.digest))) {
        throw new NotFoundError(`no step or run recorded an artifact with digest ${ref.digest}`, { where: 'node' });
      }
      return [artifactNode(ref.digest)];
    }
    if (!(await findRunRow(session.db, ref.runId))) {
      throw new NotFoundError(`no run ${ref.runId}`, { where: 'node', hint: NODE_FORMS_HINT });
    }
    return [artifactNode(await runArtifactDigest(session, ref.runId, ref.path))];
  },
};

/** A file's digest, or for a folder (a step's folder output) the digest over its files, as the scheduler records it. */
async function runArtifactDigest(session: LineageSession, runId: string, path: string): Promise<string> {
  const file = await runArtifactAt(session.db, runId, path);
  if (file !== undefined) return file;
  const inside = await runArtifactsUnder(session.db, runId, path, FOLDER_FILE_LIMIT + 1);
  if (inside.length === 0) {
    throw new NotFoundError(`run ${runId} has no artifact ${path}`, {
      where: 'node',
      hint: `list them with ciclo artifacts list ${runId}`,
    });
  }
  if (inside.length > FOLDER_FILE_LIMIT) {
    throw new NotFoundError(`${runId}/${path} holds more than ${FOLDER_FILE_LIMIT} files`, {
      where: 'node',
      hint: 'name the folder by its digest (sha256:…) or name one file in it',
    });
  }
  return folderDigest(inside.map((entry) => ({ path: entry.path.slice(path.length + 1), digest: entry.digest })));
}

const datasetResolver: NodeResolver = {
  kind: 'dataset',
  async resolve(ref, session) {
    if (ref.kind !== 'dataset') return [];
    const digests =
      ref.digest === undefined
        ? await datasetDigests(session.db, ref.name, DATASET_VERSION_LIMIT)
        : (await runsUsingDataset(session.db, ref.name, ref.digest, 1)).length > 0
          ? [ref.digest]
          : [];
    if (digests.length === 0) {
      throw new NotFoundError(`no run used dataset ${ref.name}${ref.digest === undefined ? '' : `@${ref.digest}`}`, {
        where: 'node',
        hint: 'datasets are the inputs runs log (SDK logInput, POST /api/v1/runs/:runId/inputs)',
      });
    }
    return digests.map((digest) => datasetNode(ref.name, digest));
  },
};

/**
 * Edges from what the scheduler and tracking recorded: `step_artifacts` (what each attempt read and
 * wrote, by digest: the same digest links runs of different pipelines), `step_executions` (cache
 * links), `runs.parent_run_id` (a pipeline run holds its steps' runs), `run_artifacts` (files a
 * tracked run logged) and `run_inputs` (datasets).
 */
const recordedEdges: EdgeSource = {
  async neighbours(node, direction, limit, session) {
    const out = new NeighbourList(limit);
    switch (node.kind) {
      case 'run': {
        const info = await session.runs.get(node.runId);
        if (!info) break;
        if (direction === 'upstream') await runUpstream(info, session, out);
        else await runDownstream(info, session, out);
        break;
      }
      case 'artifact':
        await artifactNeighbours(node, direction, session, out);
        break;
      case 'dataset':
        // A dataset is where lineage starts: nothing recorded is upstream of it.
        if (direction === 'downstream') await datasetDownstream(node, session, out);
        break;
      default:
        break;
    }
    return out.result();
  },
};

async function runUpstream(info: RunInfo, session: LineageSession, out: NeighbourList): Promise<void> {
  const { db, runs } = session;
  const self = info.node;
  if (info.execution) {
    for (const input of await stepArtifactsOf(db, stepKey(info), 'input')) {
      out.add(artifactNode(input.digest), edge(artifactNodeId(input.digest), 'consumed_by', self.id, input.name));
    }
    const source = info.execution.cached_from_run_id;
    const sourceInfo = source === null ? undefined : await runs.get(source);
    if (sourceInfo) out.add(sourceInfo.node, edge(self.id, 'cached_from', sourceInfo.node.id));
  }
  const parent = info.run.parent_run_id === null ? undefined : await runs.get(info.run.parent_run_id);
  if (parent) out.add(parent.node, edge(parent.node.id, 'contains', self.id));
  for (const dataset of await datasetsOfRun(db, self.runId, out.room())) {
    const node = datasetNode(dataset.name, dataset.digest);
    out.add(node, edge(node.id, 'used_by', self.id, dataset.context));
  }
}

async function runDownstream(info: RunInfo, session: LineageSession, out: NeighbourList): Promise<void> {
  const { db, runs } = session;
  const self = info.node;
  if (info.execution) {
    // A step's declared outputs, not every file under outputs/ nor its log: what other steps read.
    for (const output of await stepArtifactsOf(db, stepKey(info), 'output')) {
      out.add(artifactNode(output.digest), edge(self.id, 'produced', artifactNodeId(output.digest), output.name));
    }
    const cacheKey = info.execution.cache_key;
    if (cacheKey !== null && info.execution.status === 'SUCCEEDED') {
      for (const copyId of await cachedCopiesOf(db, cacheKey, self.runId, out.room())) {
        const copy = await runs.get(copyId);
        if (copy) out.add(copy.node, edge(copy.node.id, 'cached_from', self.id));
      }
    }
  } else if (self.role === 'run') {
    for (const artifact of await runArtifactsOf(db, self.runId, out.room())) {
      out.add(artifactNode(artifact.digest), edge(self.id, 'produced', artifactNodeId(artifact.digest), artifact.path));
    }
  }
  for (const childId of await childRunIds(db, self.runId, out.room())) {
    const child = await runs.get(childId);
    if (child) out.add(child.node, edge(self.id, 'contains', child.node.id));
  }
}

async function artifactNeighbours(
  node: ArtifactNode,
  direction: WalkDirection,
  session: LineageSession,
  out: NeighbourList,
): Promise<void> {
  const { db, runs } = session;
  if (direction === 'upstream') {
    for (const producer of await stepRunsByDigest(db, node.digest, 'output', out.room())) {
      const step = await runs.get(producer.runId);
      if (step) out.add(step.node, edge(step.node.id, 'produced', node.id, producer.name));
    }
    // Files any tracked run logged; a step's own file outputs come back here too, as the same edge.
    for (const logged of await runArtifactsByDigest(db, node.digest, out.room())) {
      const run = await runs.get(logged.runId);
      if (run) out.add(run.node, edge(run.node.id, 'produced', node.id, logged.path));
    }
    return;
  }
  for (const consumer of await stepRunsByDigest(db, node.digest, 'input', out.room())) {
    const step = await runs.get(consumer.runId);
    if (step) out.add(step.node, edge(node.id, 'consumed_by', step.node.id, consumer.name));
  }
}

async function datasetDownstream(node: DatasetNode, session: LineageSession, out: NeighbourList): Promise<void> {
  for (const user of await runsUsingDataset(session.db, node.name, node.digest, out.room())) {
    const run = await session.runs.get(user.runId);
    if (run) out.add(run.node, edge(node.id, 'used_by', run.node.id, user.context));
  }
}

/**
 * Neighbours of one node, each edge once (a step's file output is found as a step output and as a
 * logged file: the first name wins), and no more than the fan-out limit. Each query asks for one
 * row more than there is room for, so a full list is told apart from a cut one.
 */
class NeighbourList {
  readonly #limit: number;
  readonly #found = new Map<string, Neighbour>();
  #truncated = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Rows the next query may return: the room left plus one to see whether more were there. */
  room(): number {
    return Math.max(this.#limit - this.#found.size, 0) + 1;
  }

  add(node: LineageNode, edge: Neighbour['edge']): void {
    const key = `${edge.from}\u0000${edge.type}\u0000${edge.to}`;
    if (this.#found.has(key)) return;
    if (this.#found.size >= this.#limit) {
      this.#truncated = true;
      return;
    }
    this.#found.set(key, { node, edge });
  }

  result(): Neighbours {
    return { found: [...this.#found.values()], truncated: this.#truncated };
  }
}

/** Whether any step or run recorded this digest. */
async function digestKnown(db: Kysely<Schema>, digest: string): Promise<boolean> {
  return (await stepArtifactDigestKnown(db, digest)) || runArtifactDigestKnown(db, digest);
}

function stepKey(info: RunInfo): StepExecutionKey {
  const execution = info.execution!;
  return { pipelineRunId: execution.pipeline_run_id, stepName: execution.step_name, attempt: execution.attempt };
}

function edge(from: string, type: EdgeType, to: string, name?: string): Neighbour['edge'] {
  return { from, to, type, ...(name === undefined ? {} : { name }) };
}

function artifactNode(digest: string): ArtifactNode {
  return { id: artifactNodeId(digest), kind: 'artifact', digest };
}

function datasetNode(name: string, digest: string): DatasetNode {
  return { id: datasetNodeId(name, digest), kind: 'dataset', name, digest };
}
