import type { Kysely } from 'kysely';
import { InvalidStateError, NotFoundError } from '../../common/errors.js';
import type { AuditLog } from '../../governance/index.js';
import { inTransaction, type Schema } from '../../store/index.js';
import { ALERT_ACTOR, performAction, type ActionDeps, type RollbackAction } from './actions.js';
import { initialState, judge, type Judgement, type ResultToJudge } from './judge.js';
import { actionType, thresholdOf, type AlertRule } from './rule.js';
import * as store from './store.js';
import type { AlertActionRecord, AlertEvent, AlertPayload, StateFilter, StoredAlertState } from './store.js';

/** The monitor a result belongs to. */
export interface MonitorRef {
  name: string;
  deployment: string;
  project: string;
}

export interface AlertServiceDeps {
  db: Kysely<Schema>;
  audit?: AuditLog;
  /** CICLO_NATS_URL / CICLO_REDIS_URL: where nats and redis actions publish when they name no url. */
  natsUrl?: string;
  redisUrl?: string;
  /** Where webhook actions read their `secret_env`; default process.env. */
  env?: NodeJS.ProcessEnv;
  rollback?: RollbackAction;
  /** Epoch millis; tests move it to reach a retry's time. */
  now?: () => number;
  /** How long one attempt of an action may take (default 10 s). */
  actionTimeoutMs?: number;
  /**
   * Told of every failed attempt (the server logs it), and of a failed run of due actions started by an
   * evaluation (without an action): a failure never leaves the service otherwise.
   */
  onActionError?: (error: unknown, action?: AlertActionRecord) => void;
}

/** The wait before attempt 2, 3, 4 and 5; a fifth failure marks the action FAILED. */
export const RETRY_DELAYS_MS: readonly number[] = [5_000, 30_000, 120_000, 600_000];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** An attempt in hand holds its action this long; one whose process died is taken again after it. */
const ATTEMPT_LEASE_MS = 15 * 60_000;
const DUE_BATCH = 100;

export interface AlertHistory {
  state: StoredAlertState | null;
  /** Oldest first, each with its actions' outcomes. */
  events: (AlertEvent & { actions: AlertActionRecord[] })[];
}

/**
 * Alert rules over monitor results: each rule's state (OK, FIRING), its history of events and the actions an event
 * queues (webhook, NATS, Redis, rollback), attempted right after the evaluation commits and retried with backoff by
 * `runDueActions`. A FIRING event queues every action of the rule; a RESOLVED one the messages only (a rollback is
 * never undone by an alert).
 */
export class AlertService {
  readonly #db: Kysely<Schema>;
  readonly #audit: AuditLog | undefined;
  readonly #now: () => number;
  readonly #actionDeps: ActionDeps;
  readonly #onActionError: (error: unknown, action?: AlertActionRecord) => void;
  readonly #running = new Set<Promise<unknown>>();

  constructor(deps: AlertServiceDeps) {
    this.#db = deps.db;
    this.#audit = deps.audit;
    this.#now = deps.now ?? Date.now;
    this.#onActionError = deps.onActionError ?? (() => undefined);
    this.#actionDeps = {
      env: deps.env ?? process.env,
      timeoutMs: deps.actionTimeoutMs ?? 10_000,
      ...(deps.natsUrl === undefined ? {} : { natsUrl: deps.natsUrl }),
      ...(deps.redisUrl === undefined ? {} : { redisUrl: deps.redisUrl }),
      ...(deps.rollback === undefined ? {} : { rollback: deps.rollback }),
    };
  }

  /**
   * Judges one result by each rule: states, events and queued actions in one transaction (the caller's, when it
   * hands one in). Without a caller's transaction the queued actions start as soon as it commits, in the background:
   * an action never delays or fails monitoring. With one, they wait for `runDueActions` after the caller's commit.
   */
  async evaluate(
    monitor: MonitorRef,
    rules: readonly AlertRule[],
    result: ResultToJudge,
    trx?: Kysely<Schema>,
  ): Promise<AlertEvent[]> {
    const events = await inTransaction(trx ?? this.#db, async (t) => {
      const changed: AlertEvent[] = [];
      for (const rule of rules) {
        const previous = (await store.readState(t, monitor.name, rule.name)) ?? initialState(result.time);
        const judgement = judge(rule, previous, result);
        if (judgement === undefined) continue;
        await store.writeState(t, {
          ...judgement.next,
          monitor: monitor.name,
          rule: rule.name,
          severity: rule.severity,
        });
        if (judgement.transition === undefined) continue;
        const event = await store.insertEvent(t, eventOf(monitor, rule, result, judgement, judgement.transition));
        await store.insertActions(t, queuedActions(rule, event, this.#now()));
        changed.push(event);
      }
      // Last in the transaction: the audit chain's head stays locked from the append to the commit.
      for (const event of changed) {
        await this.#audit?.append(
          {
            actor: ALERT_ACTOR,
            action: event.kind === 'FIRING' ? 'alert.fire' : 'alert.resolve',
            target: { type: 'alert', id: `${event.monitor}/${event.rule}` },
            details: { value: event.value, severity: event.severity, result_id: event.resultId },
          },
          t,
        );
      }
      return changed;
    });
    if (trx === undefined && events.length > 0) this.#startDueActions();
    return events;
  }

  /** Rules' current states, by monitor then rule. */
  async list(filter: StateFilter = {}): Promise<StoredAlertState[]> {
    return store.listStates(this.#db, filter);
  }

  /** A rule's state and its whole history; NOT_FOUND when the rule has never been judged. */
  async show(monitor: string, rule: string): Promise<AlertHistory> {
    const [state, events] = await Promise.all([
      store.readState(this.#db, monitor, rule),
      store.listEvents(this.#db, monitor, rule),
    ]);
    if (state === undefined && events.length === 0) throw notJudged(monitor, rule);
    const actions = await store.actionsOfEvents(
      this.#db,
      events.map((event) => event.id),
    );
    return {
      state: state ?? null,
      events: events.map((event) => ({ ...event, actions: actions.filter((action) => action.eventId === event.id) })),
    };
  }

  /**
   * Someone has seen the firing alert: an ACKED event and the state's `acked_by`. The alert still resolves by
   * itself when a window stops breaching; acknowledging an alert that is not firing is refused.
   */
  async ack(monitor: string, rule: string, actor: string, comment?: string): Promise<AlertEvent> {
    const time = this.#now();
    return this.#db.transaction().execute(async (t) => {
      const state = await store.readState(t, monitor, rule);
      if (state === undefined) throw notJudged(monitor, rule);
      if (state.state !== 'FIRING') {
        throw new InvalidStateError(`alert ${monitor}/${rule} is not firing: there is nothing to acknowledge`, {
          hint: `\`ciclo alerts show ${monitor} ${rule}\` shows its history`,
        });
      }
      const fired = (await store.listEvents(t, monitor, rule)).findLast((event) => event.kind === 'FIRING');
      await store.writeState(t, { ...state, ackedBy: actor, ackedTime: time });
      const payload: AlertPayload = {
        ...fired!.payload,
        state: 'ACKED',
        time,
        actor,
        ...(comment === undefined ? {} : { comment }),
      };
      const event = await store.insertEvent(t, {
        monitor,
        rule,
        kind: 'ACKED',
        severity: state.severity,
        time,
        actor,
        resultId: null,
        value: state.lastValue,
        payload,
      });
      await this.#audit?.append(
        {
          actor,
          action: 'alert.ack',
          target: { type: 'alert', id: `${monitor}/${rule}` },
          details: comment === undefined ? null : { comment },
        },
        t,
      );
      return event;
    });
  }

  /**
   * Attempts every PENDING action whose time has come; answers how many were attempted. A failed attempt is
   * recorded with its error and tried again after the next delay of RETRY_DELAYS_MS, the last one leaves it
   * FAILED; none throws out of here.
   */
  async runDueActions(): Promise<number> {
    const now = this.#now();
    const due = await store.dueActions(this.#db, now, DUE_BATCH);
    const attempted = await Promise.all(
      due.map(async (action) => {
        if (!(await store.claimAction(this.#db, action.id, action.nextTime!, now + ATTEMPT_LEASE_MS))) return 0;
        await this.#attempt(action);
        return 1;
      }),
    );
    return attempted.reduce<number>((sum, one) => sum + one, 0);
  }

  /** Resolves once the actions started by evaluations have been attempted (tests; closing the service). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  async #attempt(action: AlertActionRecord & { payload: AlertPayload }): Promise<void> {
    const attempts = action.attempts + 1;
    let error: unknown;
    try {
      await performAction(action.action, action.payload, this.#actionDeps);
    } catch (caught) {
      error = caught;
      this.#onActionError(caught, action);
    }
    const now = this.#now();
    const outcome =
      error === undefined
        ? { status: 'DONE' as const, nextTime: null, lastError: null }
        : attempts >= MAX_ATTEMPTS
          ? { status: 'FAILED' as const, nextTime: null, lastError: messageOf(error) }
          : { status: 'PENDING' as const, nextTime: now + RETRY_DELAYS_MS[attempts - 1]!, lastError: messageOf(error) };
    await store.recordAttempt(this.#db, action.id, { ...outcome, attempts, now });
  }

  #startDueActions(): void {
    const running = this.runDueActions().catch((error: unknown) => this.#onActionError(error));
    this.#running.add(running);
    void running.finally(() => this.#running.delete(running));
  }
}

function eventOf(
  monitor: MonitorRef,
  rule: AlertRule,
  result: ResultToJudge,
  judgement: Judgement,
  kind: 'FIRING' | 'RESOLVED',
): Omit<AlertEvent, 'id'> {
  const { value, feature, segment } = judgement.observation;
  const payload: AlertPayload = {
    monitor: monitor.name,
    deployment: monitor.deployment,
    rule: rule.name,
    metric: rule.metric,
    feature,
    segment,
    value,
    ...thresholdOf(rule),
    severity: rule.severity,
    state: kind,
    result_id: result.id,
    time: result.time,
    window: result.window ?? null,
  };
  return {
    monitor: monitor.name,
    rule: rule.name,
    kind,
    severity: rule.severity,
    time: result.time,
    actor: ALERT_ACTOR,
    resultId: result.id,
    value,
    payload,
  };
}

function queuedActions(rule: AlertRule, event: AlertEvent, now: number) {
  return rule.actions.flatMap((action, actionIndex) => {
    const type = actionType(action);
    if (event.kind === 'RESOLVED' && type === 'rollback') return [];
    return [{ eventId: event.id, actionIndex, action, type, now }];
  });
}

function notJudged(monitor: string, rule: string): NotFoundError {
  return new NotFoundError(`no alert ${monitor}/${rule}: the rule has not judged a result yet`, {
    hint: '`ciclo alerts list` shows every alert rule that has',
  });
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${message}${cause}`.slice(0, 2000);
}
