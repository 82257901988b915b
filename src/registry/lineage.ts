import type { Kysely } from 'kysely';
import { InvalidInputError, NotFoundError } from '../common/errors.js';
import {
  runNodeId,
  type EdgeSource,
  type LineageRegistry,
  type LineageSession,
  type ModelNode,
  type Neighbour,
  type Neighbours,
  type NodeResolver,
} from '../lineage/index.js';
import type { Schema } from '../store/index.js';
import { modelExists, projectOfModel } from './store.js';

/**
 * The model registry's part of lineage: `model:NAME/3`, `model:NAME@alias` and `model:NAME` (every
 * version, as `dataset:NAME` names every version) resolve to version nodes; a version is
 * downstream of the run it was registered from (`run -produced-> model`, named by the package's
 * folder), so a walk goes on from that run to its artifacts, datasets and pipeline steps.
 */
export function addModelLineage(registry: LineageRegistry): LineageRegistry {
  return registry.addResolver(modelResolver).addEdgeSource(modelEdges);
}

/** Versions `model:NAME` expands to, newest first. */
const MODEL_VERSION_LIMIT = 100;

const HINT = 'name a model version as model:NAME/3, model:NAME@alias or model:NAME (every version)';

const modelResolver: NodeResolver = {
  kind: 'model',
  async resolve(ref, session) {
    if (ref.kind !== 'model') return [];
    const at = ref.version === undefined ? ref.name.indexOf('@') : -1;
    if (at > 0) return [await aliasNode(session.db, ref.name.slice(0, at), ref.name.slice(at + 1))];
    if (ref.version !== undefined) return [await versionNode(session.db, ref.name, ref.version)];
    const versions = await session.db
      .selectFrom('model_versions')
      .select('version')
      .where('name', '=', ref.name)
      .orderBy('version', 'desc')
      .limit(MODEL_VERSION_LIMIT)
      .execute();
    if (versions.length === 0) throw noModel(ref.name, `model:${ref.name}`);
    return versions.map((row) => modelNode(ref.name, Number(row.version)));
  },
  projectOf: async (node, db) => (node.kind === 'model' ? projectOfModel(db, node.name) : undefined),
};

async function aliasNode(db: Kysely<Schema>, name: string, alias: string): Promise<ModelNode> {
  const row = await db
    .selectFrom('model_aliases')
    .select('version')
    .where('name', '=', name)
    .where('alias', '=', alias)
    .executeTakeFirst();
  if (row === undefined) {
    if (!(await modelExists(db, name))) throw noModel(name, `model:${name}@${alias}`);
    throw new NotFoundError(`model '${name}' has no alias '${alias}'`, {
      where: 'node',
      hint: `see its aliases with ciclo models show ${name}`,
    });
  }
  return modelNode(name, Number(row.version));
}

async function versionNode(db: Kysely<Schema>, name: string, version: string): Promise<ModelNode> {
  if (!/^[1-9]\d{0,14}$/.test(version)) {
    throw new InvalidInputError(`'${version}' is not a model version: versions are whole numbers from 1`, {
      where: 'node',
      hint: HINT,
    });
  }
  const row = await db
    .selectFrom('model_versions')
    .select('version')
    .where('name', '=', name)
    .where('version', '=', Number(version))
    .executeTakeFirst();
  if (row === undefined) {
    if (!(await modelExists(db, name))) throw noModel(name, `model:${name}/${version}`);
    throw new NotFoundError(`model '${name}' has no version ${version}`, {
      where: 'node',
      hint: `list its versions with ciclo models show ${name}`,
    });
  }
  return modelNode(name, Number(version));
}

/** Upstream of a version: the run it was registered from. Downstream of a run: the versions registered from it. */
const modelEdges: EdgeSource = {
  async neighbours(node, direction, limit, session) {
    if (node.kind === 'model' && direction === 'upstream' && node.version !== undefined) {
      return { found: await registeredFrom(node, session), truncated: false };
    }
    if (node.kind === 'run' && direction === 'downstream') return registeredFromRun(node.runId, limit, session);
    return { found: [], truncated: false };
  },
};

async function registeredFrom(node: ModelNode, session: LineageSession): Promise<Neighbour[]> {
  const row = await session.db
    .selectFrom('model_versions')
    .select(['run_id', 'source'])
    .where('name', '=', node.name)
    .where('version', '=', Number(node.version))
    .executeTakeFirst();
  const run = row === undefined ? undefined : await session.runs.get(row.run_id);
  if (row === undefined || run === undefined) return [];
  return [{ node: run.node, edge: { from: run.node.id, type: 'produced', to: node.id, name: row.source } }];
}

/** `model_versions_run` makes this one index probe; one row more than the limit tells a cut list apart. */
async function registeredFromRun(runId: string, limit: number, session: LineageSession): Promise<Neighbours> {
  const rows = await session.db
    .selectFrom('model_versions')
    .select(['name', 'version', 'source'])
    .where('run_id', '=', runId)
    .orderBy('name')
    .orderBy('version')
    .limit(limit + 1)
    .execute();
  const found: Neighbour[] = rows.slice(0, limit).map((row) => {
    const model = modelNode(row.name, Number(row.version));
    return { node: model, edge: { from: runNodeId(runId), type: 'produced' as const, to: model.id, name: row.source } };
  });
  return { found, truncated: rows.length > limit };
}

function modelNode(name: string, version: number): ModelNode {
  return { id: `model:${name}/${version}`, kind: 'model', name, version: String(version) };
}

function noModel(name: string, where: string): NotFoundError {
  return new NotFoundError(`no registered model named '${name}' (${where})`, {
    where: 'node',
    hint: 'list the models with ciclo models list',
  });
}
