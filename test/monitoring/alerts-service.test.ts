import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifySignature } from '../../src/common/hmac-signature.js';
import { AuditLog } from '../../src/governance/index.js';
import type { ResultToJudge } from '../../src/monitoring/alerts/judge.js';
import { AlertRuleSchema, type AlertRuleInput } from '../../src/monitoring/alerts/rule.js';
import { AlertService, MAX_ATTEMPTS, RETRY_DELAYS_MS } from '../../src/monitoring/alerts/service.js';
import type { MetricValue } from '../../src/monitoring/types.js';
import { openDatabase, type MetadataDatabase } from '../../src/store/index.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const NATS_URL = 'nats://127.0.0.1:4222';
const MONITOR = { name: 'churn-drift', deployment: 'churn-prod', project: 'default' };

const rule = (input: Partial<AlertRuleInput> = {}) =>
  AlertRuleSchema.parse({ name: 'psi-high', metric: 'drift.psi', above: 0.2, ...input });

let nextId = 1;
function result(time: number, value: number | null, status: ResultToJudge['status'] = 'ok'): ResultToJudge {
  const metrics: MetricValue[] = [{ metric: 'drift.psi', feature: 'income', value }];
  return { id: nextId++, time, status, metrics, window: { start: time - 3_600_000, end: time } };
}

interface Received {
  body: string;
  signature: string | undefined;
}

/** A webhook receiver on 127.0.0.1 that answers `status` and keeps what it was sent. */
async function receiver(status = 200): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        body: Buffer.concat(chunks).toString('utf8'),
        signature: request.headers['x-ciclo-signature'] as string,
      });
      response.statusCode = status;
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

/** A port on 127.0.0.1 nothing listens on (a server bound it, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.each(DIALECTS)('alert service (%s)', (dialect) => {
  let database: TestDatabase;
  let store: MetadataDatabase;
  let audit: AuditLog;
  let clock: number;
  let rollbacks: { deployment: string; actor: string; reason: string }[];
  let failRollback: boolean;
  let servers: Server[];

  function service(env: NodeJS.ProcessEnv = {}): AlertService {
    return new AlertService({
      db: store.db,
      audit,
      env,
      now: () => clock,
      actionTimeoutMs: 5_000,
      rollback: async (deployment, actor, reason) => {
        if (failRollback) throw new Error('no version to roll back to');
        rollbacks.push({ deployment, actor, reason });
      },
    });
  }

  beforeEach(async () => {
    database = await createTestDatabase(dialect);
    store = await openDatabase(database.location);
    audit = new AuditLog(store.db);
    clock = 1_000_000;
    rollbacks = [];
    failRollback = false;
    servers = [];
  });
  afterEach(async () => {
    for (const server of servers) server.close();
    await store.close();
    await database.drop();
  });

  it('keeps each rule state and records every transition as an event with its payload and an audit entry', async () => {
    const alerts = service();
    const rules = [rule({ for: 2, severity: 'critical' }), rule({ name: 'psi-low', above: 5 })];
    expect(await alerts.evaluate(MONITOR, rules, result(1000, 0.5))).toEqual([]);
    expect(await alerts.evaluate(MONITOR, rules, result(2000, null, 'no_data'))).toEqual([]);
    const fired = await alerts.evaluate(MONITOR, rules, result(3000, 0.6));
    expect(fired.map((event) => [event.rule, event.kind])).toEqual([['psi-high', 'FIRING']]);
    expect(fired[0]!.payload).toEqual({
      monitor: 'churn-drift',
      deployment: 'churn-prod',
      rule: 'psi-high',
      metric: 'drift.psi',
      feature: 'income',
      segment: null,
      value: 0.6,
      condition: 'above',
      threshold: 0.2,
      severity: 'critical',
      state: 'FIRING',
      result_id: fired[0]!.resultId,
      time: 3000,
      window: { start: 3000 - 3_600_000, end: 3000 },
    });
    expect((await alerts.list()).map((s) => [s.rule, s.state, s.consecutive])).toEqual([
      ['psi-high', 'FIRING', 2],
      ['psi-low', 'OK', 0],
    ]);
    expect((await alerts.list({ state: 'FIRING' })).map((s) => s.rule)).toEqual(['psi-high']);
    expect(await alerts.list({ monitor: 'other' })).toEqual([]);

    const resolved = await alerts.evaluate(MONITOR, rules, result(4000, 0.1));
    expect(resolved.map((event) => [event.rule, event.kind, event.value])).toEqual([['psi-high', 'RESOLVED', 0.1]]);
    const history = await alerts.show('churn-drift', 'psi-high');
    expect(history.state).toMatchObject({ state: 'OK', consecutive: 0, since: 4000, lastFired: 3000 });
    expect(history.events.map((event) => event.kind)).toEqual(['FIRING', 'RESOLVED']);
    const audited = await audit.list({ target: { type: 'alert' } });
    expect(audited.map((entry) => [entry.action, entry.target.id, entry.actor])).toEqual([
      ['alert.fire', 'churn-drift/psi-high', 'ciclo-alerts'],
      ['alert.resolve', 'churn-drift/psi-high', 'ciclo-alerts'],
    ]);
    await expect(alerts.show('churn-drift', 'nope')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
  });

  it('acknowledges a firing alert, which still resolves by itself; one not firing is refused', async () => {
    const alerts = service();
    const rules = [rule()];
    await alerts.evaluate(MONITOR, rules, result(1000, 0.1));
    await expect(alerts.ack('churn-drift', 'psi-high', 'ana')).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(alerts.ack('churn-drift', 'ghost', 'ana')).rejects.toMatchObject({ code: 'RESOURCE_DOES_NOT_EXIST' });
    await alerts.evaluate(MONITOR, rules, result(2000, 0.9));
    clock = 2500;
    const acked = await alerts.ack('churn-drift', 'psi-high', 'ana', 'retraining');
    expect(acked).toMatchObject({
      kind: 'ACKED',
      actor: 'ana',
      payload: { state: 'ACKED', actor: 'ana', comment: 'retraining' },
    });
    expect((await alerts.list())[0]).toMatchObject({ state: 'FIRING', ackedBy: 'ana', ackedTime: 2500 });
    const [resolved] = await alerts.evaluate(MONITOR, rules, result(3000, 0.1));
    expect(resolved!.kind).toBe('RESOLVED');
    expect((await alerts.list())[0]).toMatchObject({ state: 'OK', ackedBy: null });
    const actions = (await audit.list({ action: 'alert.ack' })).map((e) => [e.actor, e.details]);
    expect(actions).toEqual([['ana', { comment: 'retraining' }]]);
  });

  it('POSTs the alert to a webhook signed with the secret, on firing and on resolving', async () => {
    const hook = await receiver();
    servers.push(hook.server);
    const alerts = service({ ALERT_SECRET: 's3cret' });
    const rules = [rule({ actions: [{ webhook: { url: hook.url, secret_env: 'ALERT_SECRET' } }] })];
    await alerts.evaluate(MONITOR, rules, result(1000, 0.9));
    await alerts.idle();
    await alerts.evaluate(MONITOR, rules, result(2000, 0.1));
    await alerts.idle();
    expect(hook.received.map((r) => (JSON.parse(r.body) as { state: string }).state)).toEqual(['FIRING', 'RESOLVED']);
    for (const { body, signature } of hook.received) {
      expect(verifySignature('s3cret', Buffer.from(body), signature)).toBe(true);
      expect(verifySignature('other', Buffer.from(body), signature)).toBe(false);
    }
    const history = await alerts.show('churn-drift', 'psi-high');
    expect(history.events.map((e) => e.actions.map((a) => [a.type, a.status, a.attempts]))).toEqual([
      [['webhook', 'DONE', 1]],
      [['webhook', 'DONE', 1]],
    ]);
  });

  it('publishes the alert on a Redis channel and a NATS subject', async () => {
    const channel = `ciclo-alerts-${randomUUID()}`;
    const subject = `ciclo.alerts.${randomUUID()}`;
    const subscriber = new Redis(REDIS_URL);
    const fromRedis: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => fromRedis.push(message));
    await subscriber.subscribe(channel);
    const nats = await connect({ servers: NATS_URL });
    const fromNats: string[] = [];
    nats.subscribe(subject, {
      callback: (_error, message) => {
        fromNats.push(message.string());
      },
    });
    await nats.flush();
    try {
      // NATS without a url: the service's natsUrl (CICLO_NATS_URL), here left to the default 127.0.0.1:4222.
      const alerts = service();
      const rules = [rule({ actions: [{ redis: { channel, url: REDIS_URL } }, { nats: { subject } }] })];
      await alerts.evaluate(MONITOR, rules, result(1000, 0.9));
      await alerts.idle();
      await waitFor('both messages', () => fromRedis.length === 1 && fromNats.length === 1);
      for (const message of [fromRedis[0]!, fromNats[0]!]) {
        expect(JSON.parse(message)).toMatchObject({
          monitor: 'churn-drift',
          rule: 'psi-high',
          state: 'FIRING',
          value: 0.9,
        });
      }
    } finally {
      subscriber.disconnect();
      await nats.close();
    }
  });

  it('retries a webhook that is down with backoff, recording each error, then FAILED; never throws', async () => {
    const port = await closedPort();
    const alerts = service();
    const rules = [rule({ actions: [{ webhook: { url: `http://127.0.0.1:${port}/hook` } }] })];
    const [fired] = await alerts.evaluate(MONITOR, rules, result(1000, 0.9));
    await alerts.idle();
    const action = async () => (await alerts.show('churn-drift', 'psi-high')).events[0]!.actions[0]!;
    expect(await action()).toMatchObject({ status: 'PENDING', attempts: 1, nextTime: clock + RETRY_DELAYS_MS[0]! });
    expect((await action()).lastError).toMatch(/fetch failed: connect ECONNREFUSED/);
    expect(await alerts.runDueActions()).toBe(0);
    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
      clock = (await action()).nextTime! - 1;
      expect(await alerts.runDueActions()).toBe(0);
      clock += 1;
      expect(await alerts.runDueActions()).toBe(1);
      const after = await action();
      expect(after.attempts).toBe(attempt);
      if (attempt < MAX_ATTEMPTS)
        expect(after).toMatchObject({ status: 'PENDING', nextTime: clock + RETRY_DELAYS_MS[attempt - 1]! });
    }
    expect(await action()).toMatchObject({ status: 'FAILED', attempts: 5, nextTime: null });
    expect((await action()).lastError).toMatch(/ECONNREFUSED/);
    clock += 24 * 3_600_000;
    expect(await alerts.runDueActions()).toBe(0);
    expect(fired!.kind).toBe('FIRING');
    expect((await alerts.list())[0]!.state).toBe('FIRING');
  });

  it("rolls the monitor's deployment back on firing (or the one the action names), never on resolving", async () => {
    const alerts = service();
    const rules = [rule({ actions: [{ rollback: {} }, { rollback: { deployment: 'churn-canary' } }] })];
    await alerts.evaluate(MONITOR, rules, result(1000, 0.9));
    await alerts.idle();
    expect(rollbacks.map((r) => [r.deployment, r.actor])).toEqual(
      expect.arrayContaining([
        ['churn-prod', 'ciclo-alerts'],
        ['churn-canary', 'ciclo-alerts'],
      ]),
    );
    expect(rollbacks[0]!.reason).toBe('alert churn-drift/psi-high: drift.psi 0.9 above 0.2');
    await alerts.evaluate(MONITOR, rules, result(2000, 0.1));
    await alerts.idle();
    expect(rollbacks).toHaveLength(2);
    expect((await alerts.show('churn-drift', 'psi-high')).events[1]!.actions).toEqual([]);
  });

  it('records a failed rollback and a webhook whose secret is not set as errors to retry', async () => {
    failRollback = true;
    const hook = await receiver();
    servers.push(hook.server);
    const alerts = service({});
    const rules = [rule({ actions: [{ rollback: {} }, { webhook: { url: hook.url, secret_env: 'MISSING_SECRET' } }] })];
    await alerts.evaluate(MONITOR, rules, result(1000, 0.9));
    await alerts.idle();
    const actions = (await alerts.show('churn-drift', 'psi-high')).events[0]!.actions;
    expect(actions.map((a) => [a.type, a.status, a.attempts, a.lastError])).toEqual([
      ['rollback', 'PENDING', 1, 'no version to roll back to'],
      ['webhook', 'PENDING', 1, "MISSING_SECRET is not set: the webhook's body cannot be signed"],
    ]);
    expect(hook.received).toEqual([]);
  });

  it("leaves the actions of an evaluation in a caller's transaction to runDueActions after the commit", async () => {
    const hook = await receiver();
    servers.push(hook.server);
    const alerts = service();
    const rules = [rule({ actions: [{ webhook: { url: hook.url } }] })];
    await store.db.transaction().execute(async (trx) => {
      await alerts.evaluate(MONITOR, rules, result(1000, 0.9), trx);
    });
    await alerts.idle();
    expect(hook.received).toEqual([]);
    expect(await alerts.runDueActions()).toBe(1);
    expect(hook.received).toHaveLength(1);
  });
});
