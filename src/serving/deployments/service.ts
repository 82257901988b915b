import type { Kysely, Transaction } from 'kysely';
import type { z } from 'zod';
import { AlreadyExistsError, InvalidInputError, InvalidStateError, NotFoundError } from '../../common/errors.js';
import { parseInput } from '../../common/validation.js';
import { currentActor, digestOf, requireProject, type AuditLog } from '../../governance/index.js';
import {
  parseModelReference,
  requireVerifiedPackage,
  type ModelReference,
  type ModelVersion,
  type RegistryService,
} from '../../registry/index.js';
import type { Schema } from '../../store/index.js';
import type { RuntimeRegistry } from '../runtime.js';
import * as store from './store.js';
import {
  CreateDeploymentSchema,
  DeploymentNameSchema,
  ReasonSchema,
  type CreateDeploymentOptions,
  type Deployment,
  type DeploymentEvent,
} from './types.js';

/** A deployment request that passed `create`'s checks, with what they found. */
interface CheckedDeployment {
  request: z.output<typeof CreateDeploymentSchema>;
  reference: ModelReference;
  version: ModelVersion;
  project: string;
}

export interface DeploymentServiceDeps {
  db: Kysely<Schema>;
  registry: RegistryService;
  audit?: AuditLog;
  /** When given, a deployment's runtime is checked against its versions' flavors before anything changes. */
  runtimes?: RuntimeRegistry;
  now?: () => number;
}

/** Who the supervisor acts as in the history: changes it makes follow from an operator's or the registry's. */
export const SUPERVISOR_ACTOR = 'ciclo-server';

/**
 * Deployments as records: what an operator asked for and what serves. The supervisor
 * (`supervisor.ts`, in `ciclo server`) makes processes match them and reports back through
 * `startUpdate`, `markServing` and `markFailed`. Every change is a history event and an audit entry,
 * in the transaction that makes it.
 */
export class DeploymentService {
  readonly #db: Kysely<Schema>;
  readonly #registry: RegistryService;
  readonly #audit: AuditLog | undefined;
  readonly #runtimes: RuntimeRegistry | undefined;
  readonly #now: () => number;

  constructor(deps: DeploymentServiceDeps) {
    this.#db = deps.db;
    this.#registry = deps.registry;
    this.#audit = deps.audit;
    this.#runtimes = deps.runtimes;
    this.#now = deps.now ?? Date.now;
  }

  async create(options: CreateDeploymentOptions): Promise<Deployment> {
    const checked = await this.#checked(options);
    await this.#db.transaction().execute((trx) => this.#insert(trx, checked));
    return this.show(checked.request.name);
  }

  /**
   * `ciclo apply`'s changes to deployments, in one transaction: every one checked first as `create` checks it,
   * then created, changed (what it follows, its environment, runtime, replicas, strategy, capture rate) or deleted,
   * each a history event and an audit entry, or nothing. A change of runtime, replicas or capture rate reaches the
   * processes with the next version rolled out (or a server restart); what it follows is rolled out at once.
   */
  async applyDeploymentChanges(changes: {
    create: readonly CreateDeploymentOptions[];
    change: readonly CreateDeploymentOptions[];
    remove: readonly string[];
  }): Promise<void> {
    const created: CheckedDeployment[] = [];
    for (const options of changes.create) created.push(await this.#checked(options));
    const changed: { before: Deployment; after: CheckedDeployment }[] = [];
    for (const options of changes.change) {
      const after = await this.#checked(options);
      const before = await this.show(after.request.name);
      if (after.reference.name !== before.modelName) {
        throw new InvalidInputError(
          `deployment '${before.name}' serves ${before.modelName}; it cannot change to ${after.reference.name}`,
          { where: 'model', hint: 'Give the other model a deployment of its own.' },
        );
      }
      changed.push({ before, after });
    }
    await this.#db.transaction().execute(async (trx) => {
      for (const checked of created) await this.#insert(trx, checked);
      for (const { before, after } of changed) await this.#update(trx, before, after);
      for (const name of changes.remove) {
        const before = await store.findDeployment(trx, name);
        if (before === undefined) continue;
        await store.deleteDeployment(trx, name);
        await this.#event(trx, name, 'delete', before.servingVersion, null, null, {});
      }
    });
  }

  /** A deployment request parsed, its model reference checked and its version found servable. */
  async #checked(options: CreateDeploymentOptions): Promise<CheckedDeployment> {
    const request = parseInput(CreateDeploymentSchema, options);
    const reference = parseModelReference(request.model);
    if (reference.alias === undefined && reference.version === undefined) {
      throw new InvalidInputError(`model ${JSON.stringify(request.model)} names neither an alias nor a version`, {
        where: 'model',
        hint: 'Deploy NAME@alias (the deployment follows the alias) or NAME/VERSION (it stays on that version).',
      });
    }
    const version = await this.#servable(request.model, request.runtime ?? null);
    const project = (await this.#registry.getModel(reference.name)).project;
    return { request, reference, version, project };
  }

  async #insert(trx: Transaction<Schema>, { request, reference, version, project }: CheckedDeployment): Promise<void> {
    await requireProject(trx, project);
    if ((await store.findDeployment(trx, request.name)) !== undefined) {
      throw new AlreadyExistsError(`a deployment named '${request.name}' already exists`, {
        where: 'name',
        hint: `Pick another name, or change it with \`ciclo deployments promote ${request.name}\`.`,
      });
    }
    await store.insertDeployment(trx, {
      name: request.name,
      project,
      environment: request.environment,
      model_name: reference.name,
      alias: reference.alias ?? null,
      pinned_version: reference.version ?? null,
      runtime: request.runtime ?? null,
      replicas: request.replicas,
      strategy: JSON.stringify(request.strategy),
      capture_rate: request.capture_rate,
      state: 'PENDING',
      message: null,
      serving_version: null,
      candidate_version: null,
      created_by: currentActor().actor,
      created_time: this.#now(),
    });
    // The project goes into the history too: access to it is judged there once the deployment is deleted.
    await this.#event(trx, request.name, 'create', null, version.version, null, { ...request, project });
  }

  /** The deployment's declared fields set to the request's; an `update` event records the new ones. */
  async #update(trx: Transaction<Schema>, before: Deployment, { request, reference, version }: CheckedDeployment) {
    await store.updateDeployment(
      trx,
      before.name,
      {
        alias: reference.alias ?? null,
        pinned_version: reference.version ?? null,
        environment: request.environment,
        runtime: request.runtime ?? null,
        replicas: request.replicas,
        strategy: JSON.stringify(request.strategy),
        capture_rate: request.capture_rate,
      },
      this.#now(),
    );
    await this.#event(trx, before.name, 'update', before.servingVersion, version.version, null, { ...request });
  }

  async show(name: string): Promise<Deployment> {
    const deployment = await store.findDeployment(this.#db, parseInput(DeploymentNameSchema, name, 'name'));
    if (deployment === undefined) throw notFound(name);
    return deployment;
  }

  /** Every deployment, or those of `projects` (the server passes the ones the caller may read). */
  async list(projects?: readonly string[]): Promise<Deployment[]> {
    return store.listDeployments(this.#db, projects);
  }

  /** Oldest first; kept after the deployment is deleted. */
  async history(name: string): Promise<DeploymentEvent[]> {
    const events = await store.listEvents(this.#db, parseInput(DeploymentNameSchema, name, 'name'));
    if (events.length === 0) throw notFound(name);
    return events;
  }

  /** The version the deployment should serve now: its alias's version, or its pinned one. */
  async desiredVersion(deployment: Deployment): Promise<ModelVersion> {
    return this.#registry.resolve(deployment.model);
  }

  /**
   * Serve `version`: a deployment that follows an alias moves the alias (the registry's rules apply:
   * a rejected version cannot be aliased); a pinned one is pinned to it. The supervisor rolls it out.
   */
  async promote(name: string, version: number, reason?: string): Promise<Deployment> {
    const deployment = await this.show(name);
    const why = reason === undefined ? null : parseInput(ReasonSchema, reason, 'reason');
    await this.#servable(`${deployment.modelName}/${version}`, deployment.runtime);
    await this.#db.transaction().execute((trx) => this.#retarget(deployment, version, 'promote', why, trx));
    return this.show(name);
  }

  /**
   * Back to the latest version that served before the current one and was not itself rolled back
   * since (so a second rollback does not return to the version the first one left); the version
   * rolled back from is marked so on the registry (`ciclo.rolled_back`).
   */
  async rollback(name: string, reason?: string): Promise<Deployment> {
    const deployment = await this.show(name);
    const why = reason === undefined ? null : parseInput(ReasonSchema, reason, 'reason');
    const current = deployment.servingVersion;
    const previous = current === null ? undefined : rollbackTarget(await store.listEvents(this.#db, name), current);
    if (current === null || previous === undefined) {
      throw new InvalidStateError(`deployment '${name}' has no earlier version to roll back to`, {
        where: name,
        hint: `Promote a version instead: \`ciclo deployments promote ${name} VERSION\`.`,
      });
    }
    await this.#db.transaction().execute(async (trx) => {
      await this.#retarget(deployment, previous, 'rollback', why, trx);
      await this.#registry.markRolledBack(deployment.modelName, current, name, trx);
    });
    return this.show(name);
  }

  /** Removes the deployment (the supervisor then stops its processes); its history stays. */
  async delete(name: string, reason?: string): Promise<void> {
    const deployment = await this.show(name);
    const why = reason === undefined ? null : parseInput(ReasonSchema, reason, 'reason');
    await this.#db.transaction().execute(async (trx) => {
      await store.deleteDeployment(trx, name);
      await this.#event(trx, name, 'delete', deployment.servingVersion, null, why, {});
    });
  }

  /** The supervisor starts `version` beside what serves. */
  async startUpdate(name: string, version: number): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      await store.updateDeployment(trx, name, { state: 'UPDATING', candidate_version: version }, this.#now());
    });
  }

  /** `version` now answers every request of the deployment. */
  async markServing(name: string, version: number, details: Record<string, unknown> = {}): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const deployment = await store.findDeployment(trx, name);
      if (deployment === undefined) return;
      const changes = { state: 'READY', serving_version: version, candidate_version: null, message: null } as const;
      await store.updateDeployment(trx, name, changes, this.#now());
      // A server that starts again serves what it served: no change to record.
      if (deployment.servingVersion === version) return;
      await this.#event(trx, name, 'serve', deployment.servingVersion, version, null, details, SUPERVISOR_ACTOR);
    });
  }

  /**
   * A canary or shadow rollout judged `version` worse than what serves: what serves goes on serving,
   * the alias (for a deployment that follows one) is moved back to it, and `version` is marked rolled back.
   */
  async abortRollout(name: string, version: number, reason: string, details: Record<string, unknown>): Promise<void> {
    const deployment = await store.findDeployment(this.#db, name);
    if (deployment === undefined) return;
    const serving = deployment.servingVersion;
    await this.#db.transaction().execute(async (trx) => {
      const changes = {
        state: 'READY',
        candidate_version: null,
        message: `rolled back ${version}: ${reason}`,
        // A pinned deployment is pinned back, so a restarted server does not start the candidate again.
        ...(deployment.alias === null && serving !== null ? { pinned_version: serving } : {}),
      } as const;
      await store.updateDeployment(trx, name, changes, this.#now());
      await this.#event(trx, name, 'rollback', version, serving, reason, details, SUPERVISOR_ACTOR);
      if (deployment.alias !== null && serving !== null) {
        await this.#registry.setAlias(deployment.modelName, deployment.alias, serving, trx);
      }
      await this.#registry.markRolledBack(deployment.modelName, version, name, trx);
    });
  }

  /** `version` did not start; what served before serves on. */
  async markFailed(name: string, version: number, message: string): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const deployment = await store.findDeployment(trx, name);
      if (deployment === undefined) return;
      const changes = { state: 'FAILED', candidate_version: null, message } as const;
      await store.updateDeployment(trx, name, changes, this.#now());
      await this.#event(trx, name, 'fail', deployment.servingVersion, version, message, {}, SUPERVISOR_ACTOR);
    });
  }

  /** The alias moved (or the pin changed) and the history event, in the caller's transaction. */
  async #retarget(
    deployment: Deployment,
    version: number,
    action: string,
    reason: string | null,
    trx: Transaction<Schema>,
  ): Promise<void> {
    if (deployment.alias !== null) {
      await this.#registry.setAlias(deployment.modelName, deployment.alias, version, trx);
    } else {
      await store.updateDeployment(trx, deployment.name, { pinned_version: version }, this.#now());
    }
    await this.#event(trx, deployment.name, action, deployment.servingVersion, version, reason, {});
  }

  /**
   * The version a reference names, refused unless it has a verified package (approval refuses it
   * too), was not rejected, and the deployment's runtime (or one for its flavor) can load it.
   */
  async #servable(reference: string, runtime: string | null): Promise<ModelVersion> {
    const version = await this.#registry.resolve(reference);
    requireVerifiedPackage(version);
    if (version.status === 'rejected') {
      throw new InvalidStateError(`${version.name}/${version.version} was rejected and cannot be deployed`, {
        where: 'model',
        hint: 'Deploy a pending or approved version.',
      });
    }
    this.#runtimes?.choose(version.flavor, runtime ?? undefined);
    return version;
  }

  async #event(
    trx: Kysely<Schema>,
    name: string,
    action: string,
    fromVersion: number | null,
    toVersion: number | null,
    reason: string | null,
    details: Record<string, unknown>,
    actor = currentActor().actor,
  ): Promise<void> {
    const time = this.#now();
    const event = { deployment: name, time, actor, action, fromVersion, toVersion, reason, details };
    await store.appendEvent(trx, event);
    await this.#audit?.append(
      {
        action: `deployment.${action}`,
        target: { type: 'deployment', id: name },
        beforeDigest: digestOf(fromVersion),
        afterDigest: digestOf(toVersion),
        details: { ...(reason === null ? {} : { reason }), ...details },
      },
      trx,
    );
  }
}

/**
 * Walks the history newest first for a version that served before `current`. A version rolled back
 * from is skipped unless a promotion (or the creation) named it again after that rollback.
 */
function rollbackTarget(events: readonly DeploymentEvent[], current: number): number | undefined {
  const rolledBack = new Set<number>();
  for (const event of events) {
    if (event.action === 'rollback' && event.fromVersion !== null) rolledBack.add(event.fromVersion);
    if (['promote', 'create', 'update'].includes(event.action) && event.toVersion !== null) {
      rolledBack.delete(event.toVersion);
    }
  }
  const served = events.filter((event) => event.action === 'serve').map((event) => event.toVersion);
  return served
    .reverse()
    .find((version): version is number => version !== null && version !== current && !rolledBack.has(version));
}

function notFound(name: string): NotFoundError {
  return new NotFoundError(`no deployment named '${name}'`, {
    where: name,
    hint: 'List deployments with `ciclo deployments list`.',
  });
}
