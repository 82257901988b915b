import type { Kysely } from 'kysely';
import type { CicloConfig } from '../common/config.js';
import type { LoadedPipeline, TriggerSpec, TriggerType } from '../pipelines/index.js';
import type { Schema } from '../store/index.js';

/**
 * What one firing came to: a run started now, a run recorded PENDING that waits for the one going
 * (started after it ends), or nothing because the pipeline's queue was full.
 */
export type FireOutcome =
  { outcome: 'started'; pipelineRunId: string } | { outcome: 'queued'; pipelineRunId: string } | { outcome: 'dropped' };

/** A trigger of a loaded pipeline: the unit the runtime registers, fires and counts. */
export interface TriggerTarget<S extends TriggerSpec = TriggerSpec> {
  pipeline: LoadedPipeline;
  spec: S;
}

export type Fire = (payload: unknown) => Promise<FireOutcome>;

/** Keeps what a polling source last saw (a digest, a commit) in the store, so a restart does not re-fire. */
export interface CursorStore {
  get(): Promise<string | undefined>;
  set(cursor: string): Promise<void>;
}

/** One running source of firings: a schedule, a poller, a subscription. */
export interface TriggerSource {
  /** Resolves once the source listens (subscribed, scheduled, first poll done or under way). */
  start(): Promise<void>;
  /** Stops listening and waits for a check or message in hand to finish. */
  stop(): Promise<void>;
  /** One line for people: what the source watches (printed by `ciclo server` at startup). */
  describe(): string;
}

/** What the runtime reports as it works; `ciclo server` logs errors, tests count checks. */
export type TriggerEvent =
  | { type: 'checked'; pipeline: string; trigger: string }
  | { type: 'fired'; pipeline: string; trigger: string; result: FireOutcome }
  | { type: 'run-ended'; pipeline: string; pipelineRunId: string; status: string }
  | { type: 'error'; pipeline: string; trigger?: string; error: unknown };

export type TriggerEventListener = (event: TriggerEvent) => void;

/** One registered trigger, as `ciclo server` prints it. */
export interface RegisteredTrigger {
  pipeline: string;
  name: string;
  type: TriggerType;
  description: string;
}

/** What a source factory gets: its trigger, how to fire, where its cursor lives, how to report. */
export interface SourceContext<S extends TriggerSpec = TriggerSpec> {
  target: TriggerTarget<S>;
  fire: Fire;
  cursor: CursorStore;
  config: CicloConfig;
  db: Kysely<Schema>;
  /** Reports a failure that is not a firing's answer (a broken connection, a failed check). */
  report: (error: unknown) => void;
  /** Said after every poll, so tests (and logs at debug) know a check happened without watching the clock. */
  checked: () => void;
}

export type SourceFactory<S extends TriggerSpec> = (context: SourceContext<S>) => TriggerSource;
