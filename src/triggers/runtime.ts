import type { Kysely } from 'kysely';
import type { CicloConfig } from '../common/config.js';
import { CicloError, InvalidInputError, InvalidStateError, NotFoundError } from '../common/errors.js';
import { formatPath } from '../common/validation.js';
import { validateTriggers, type LoadedPipeline, type PipelineService } from '../pipelines/index.js';
import type { Schema } from '../store/index.js';
import { findPipelineFiles } from './discover.js';
import { WebhookRefusedError } from './errors.js';
import { TriggerLauncher } from './launcher.js';
import { createSource } from './sources.js';
import { TriggerStateStore, type TriggerCounters } from './state-store.js';
import type { FireOutcome, RegisteredTrigger, TriggerEventListener, TriggerSource, TriggerTarget } from './types.js';
import { SIGNATURE_HEADER, verifySignature, type WebhookSpec } from './webhook.js';

export interface TriggerRuntimeOptions {
  pipelines: PipelineService;
  db: Kysely<Schema>;
  config: CicloConfig;
  /** Where webhook secrets are read at each firing; default process.env. */
  env?: NodeJS.ProcessEnv;
  onEvent?: TriggerEventListener;
  /** How often a queued run looks whether the one before it has ended. */
  waitPollMs?: number;
}

interface Registered {
  target: TriggerTarget;
  source: TriggerSource;
}

/** The runtime serving a PipelineService, so the webhook route of the same server can find it. */
const runtimes = new WeakMap<PipelineService, TriggerRuntime>();

/**
 * Everything that starts pipelines by themselves, as `ciclo server` runs it: the pipelines' trigger
 * sources, the launcher that turns firings into (queued) runs, and the webhook triggers the route
 * fires. `add` the pipelines, then `start`; `stop` before closing the context.
 */
export class TriggerRuntime {
  readonly #options: TriggerRuntimeOptions;
  readonly #env: NodeJS.ProcessEnv;
  readonly #state: TriggerStateStore;
  readonly #launcher: TriggerLauncher;
  readonly #registered: Registered[] = [];
  readonly #webhooks = new Map<string, TriggerTarget<WebhookSpec>>();
  readonly #pipelineNames = new Set<string>();
  #started = false;

  /** The started runtime of the service, if any; the route answers 404 for every name without one. */
  static of(pipelines: PipelineService): TriggerRuntime | undefined {
    return runtimes.get(pipelines);
  }

  constructor(options: TriggerRuntimeOptions) {
    this.#options = options;
    this.#env = options.env ?? process.env;
    this.#state = new TriggerStateStore(options.db);
    const onEvent = options.onEvent ?? (() => undefined);
    this.#launcher = new TriggerLauncher({
      pipelines: options.pipelines,
      state: this.#state,
      onEvent,
      ...(options.waitPollMs === undefined ? {} : { waitPollMs: options.waitPollMs }),
    });
  }

  /** Loads the pipeline files the paths name (see findPipelineFiles) and adds each. */
  async addPaths(paths: readonly string[]): Promise<LoadedPipeline[]> {
    const loaded: LoadedPipeline[] = [];
    for (const file of await findPipelineFiles(paths)) loaded.push(await this.#options.pipelines.load(file));
    for (const pipeline of loaded) this.add(pipeline);
    return loaded;
  }

  /** Registers a pipeline's triggers; refuses invalid ones and a webhook name another pipeline took. */
  add(pipeline: LoadedPipeline): void {
    if (this.#started) throw new InvalidStateError('add pipelines before starting the trigger runtime');
    const { definition } = pipeline;
    const origin = pipeline.file ?? definition.name;
    const issue = validateTriggers(definition)[0];
    if (issue) {
      const field = formatPath('', issue.path);
      throw new InvalidInputError(`${origin}: ${field}: ${issue.message}`, {
        where: `${origin} ${field}`,
        ...(issue.hint ? { hint: issue.hint } : {}),
      });
    }
    if (this.#pipelineNames.has(definition.name)) {
      throw new InvalidInputError(`pipeline "${definition.name}" is loaded twice (${origin})`, {
        where: origin,
        hint: 'give each pipeline a unique name, or list its file once',
      });
    }
    this.#pipelineNames.add(definition.name);
    for (const spec of definition.triggers) {
      const target: TriggerTarget = { pipeline, spec };
      if (spec.type === 'webhook') {
        const taken = this.#webhooks.get(spec.name);
        if (taken) {
          throw new InvalidInputError(
            `webhook trigger "${spec.name}" of ${origin} clashes with pipeline "${taken.pipeline.definition.name}"`,
            {
              where: origin,
              hint: 'webhook names are the URL (/api/v1/triggers/<name>/fire): make them unique across pipelines',
            },
          );
        }
        this.#webhooks.set(spec.name, { pipeline, spec });
      }
      const source = createSource(
        {
          target,
          fire: (payload) => this.#launcher.fire(target, payload),
          cursor: this.#state.cursor(definition.name, spec.name),
          config: this.#options.config,
          db: this.#options.db,
          report: (error) => this.#emitError(definition.name, spec.name, error),
          checked: () => this.#options.onEvent?.({ type: 'checked', pipeline: definition.name, trigger: spec.name }),
        },
        this.#env,
      );
      this.#registered.push({ target, source });
    }
  }

  /**
   * Drives the runs triggers started before a restart that nobody finished, then starts every
   * source. A source that cannot start (Redis down) stops the ones started and fails the start.
   */
  async start(): Promise<void> {
    if (this.#started) throw new InvalidStateError('the trigger runtime is already started');
    if (runtimes.has(this.#options.pipelines))
      throw new InvalidStateError('another trigger runtime serves these pipelines');
    this.#started = true;
    runtimes.set(this.#options.pipelines, this);
    await this.#launcher.recover(this.#pipelineNames);
    const started: TriggerSource[] = [];
    try {
      for (const { source } of this.#registered) {
        await source.start();
        started.push(source);
      }
    } catch (error) {
      await Promise.allSettled(started.map((source) => source.stop()));
      await this.#launcher.stop();
      runtimes.delete(this.#options.pipelines);
      throw error;
    }
  }

  /** Stops every source, then the launcher: the runs being driven are cancelled, queued ones stay PENDING. */
  async stop(): Promise<void> {
    if (runtimes.get(this.#options.pipelines) === this) runtimes.delete(this.#options.pipelines);
    await Promise.allSettled(this.#registered.map(({ source }) => source.stop()));
    await this.#launcher.stop();
  }

  registered(): RegisteredTrigger[] {
    return this.#registered.map(({ target, source }) => ({
      pipeline: target.pipeline.definition.name,
      name: target.spec.name,
      type: target.spec.type,
      description: source.describe(),
    }));
  }

  /** A trigger's cursor and counters, as stored. */
  async counters(pipeline: string, trigger: string): Promise<TriggerCounters> {
    return this.#state.read(pipeline, trigger);
  }

  /**
   * Fires a webhook trigger for a signed request: the signature is checked against the raw bytes
   * before the body is even parsed; the parsed JSON (absent for an empty body) is the payload.
   */
  async fireWebhook(name: string, body: Buffer, signature: string | undefined): Promise<FireOutcome> {
    const target = this.#webhooks.get(name);
    if (!target) {
      throw new NotFoundError(`no webhook trigger named "${name}"`, {
        where: 'name',
        hint: 'the names of webhook triggers of the pipelines this server was started with (--pipelines)',
      });
    }
    const secret = this.#env[target.spec.secretEnv];
    if (!secret) {
      throw new WebhookRefusedError(
        'WEBHOOK_SECRET_MISSING',
        `webhook trigger "${name}" cannot verify requests: ` +
          `its secret variable ${target.spec.secretEnv} is not set on the server`,
        `set ${target.spec.secretEnv} in the server's environment and restart it`,
      );
    }
    if (!verifySignature(secret, body, signature)) {
      throw new WebhookRefusedError(
        'INVALID_SIGNATURE',
        `the request's ${SIGNATURE_HEADER} header is missing or does not match its body`,
        'send X-Ciclo-Signature: sha256=<hex HMAC-SHA256 of the raw body under the shared secret>',
      );
    }
    return this.#launcher.fire(target, parseBody(body));
  }

  #emitError(pipeline: string, trigger: string, error: unknown): void {
    this.#options.onEvent?.({ type: 'error', pipeline, trigger, error });
  }
}

function parseBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch (error) {
    throw new CicloError('MALFORMED_REQUEST', `the request body is not valid JSON (${(error as Error).message})`, {
      hint: 'send one JSON value, or an empty body',
    });
  }
}

/** Loads, registers and starts the triggers of the pipelines the paths name. */
export async function startTriggers(
  options: TriggerRuntimeOptions & { paths: readonly string[] },
): Promise<TriggerRuntime> {
  const { paths, ...runtimeOptions } = options;
  const runtime = new TriggerRuntime(runtimeOptions);
  await runtime.addPaths(paths);
  await runtime.start();
  return runtime;
}
