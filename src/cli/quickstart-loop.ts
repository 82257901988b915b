import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import type { CicloContext } from '../app/context.js';
import { deploymentSupervisor } from '../app/deployments.js';
import { InvalidStateError } from '../common/errors.js';
import type { MetricValue } from '../monitoring/index.js';
import { parseParamAssignments, type LoadedPipeline } from '../pipelines/index.js';
import type { DeploymentEvent } from '../serving/index.js';
import { formatNumber } from './format.js';
import { printText, wantsJson } from './output.js';
import { packagePath } from '../common/package-files.js';

const EXAMPLES = packagePath('examples', 'churn') + '/';
const TRAFFIC = path.join(EXAMPLES, 'traffic');
const MONITOR = path.join(EXAMPLES, 'monitor.yaml');
const DEPLOYMENT = 'churn-staging';
/** Rows per scoring request: the traffic is sent as many small requests, as callers do. */
const ROWS_PER_REQUEST = 20;
const WAIT_MS = { ready: 90_000, capture: 30_000, retrain: 240_000, rollout: 120_000 };

/** One line of what the loop did, with the ids to look it up by. */
export interface LoopStep {
  step: string;
  detail: string;
  ids: Record<string, string | number>;
}

export interface LoopOutcome {
  steps: LoopStep[];
  /** The version serving churn-staging at the end, and the champion before the loop. */
  champion: { before: number; after: number };
  /** The drift alert fired and started a retraining run. */
  retrained: boolean;
  promoted: boolean;
}

interface TrafficRow {
  features: Record<string, string | number>;
  churned: number;
  ageBand: string;
}

/**
 * `ciclo quickstart --loop`: the closed loop on the embedded store, in this process. After the churn pipeline has
 * made churn@champion and deployed it to staging, a server with the deployment supervisor and the churn pipeline's
 * triggers runs here; the newer market's customers (examples/churn/traffic) are sent to churn-staging and their
 * outcomes as feedback; the monitor (examples/churn/monitor.yaml) compares the captured traffic with the
 * champion's baseline and its drift alert fires; the alert starts the churn pipeline on the newer data; its gate
 * compares the challenger with the champion; approved, it goes out as a canary while traffic flows, and is promoted.
 */
export async function runClosedLoop(
  context: CicloContext,
  command: Command,
  options: { challenger: readonly string[] },
): Promise<LoopOutcome> {
  const steps: LoopStep[] = [];
  const say = (step: LoopStep) => {
    steps.push(step);
    if (wantsJson(command)) return;
    const ids = Object.entries(step.ids).map(([key, value]) => `${key} ${value}`);
    printText(`\n[loop] ${step.step}: ${step.detail}${ids.length === 0 ? '' : `\n       ${ids.join(' · ')}`}`);
  };
  const { startServer } = await import('../server/index.js');
  const { TriggerRuntime } = await import('../triggers/index.js');
  const supervisor = deploymentSupervisor(context, { auth: false, pollMs: 250, log: () => undefined });
  const server = await startServer({ context, host: '127.0.0.1', port: 0, supervisor });
  context.pipelines.setStepTrackingUri(server.url);
  const ended = new Map<string, string>();
  const fired: string[] = [];
  const triggers = new TriggerRuntime({
    pipelines: context.pipelines,
    db: context.database.db,
    config: context.config,
    onEvent: (event) => {
      if (event.type === 'fired' && event.result.outcome !== 'dropped') fired.push(event.result.pipelineRunId);
      if (event.type === 'run-ended') ended.set(event.pipelineRunId, event.status);
    },
  });
  try {
    supervisor.start();
    const champion = await context.registry.resolve('churn@champion');
    const serving = await waitFor('churn-staging to serve churn@champion', WAIT_MS.ready, async () => {
      const deployment = await context.deployments.show(DEPLOYMENT);
      const serves = deployment.servingVersion === champion.version && deployment.state === 'READY';
      // The record may say READY from an earlier server: wait for this process's replica too.
      const replica = supervisor.replicas(DEPLOYMENT).some((entry) => entry.version === champion.version);
      return serves && replica ? deployment : undefined;
    });
    const base = `${server.url}/serve/${DEPLOYMENT}`;
    say({
      step: 'serve',
      detail: `${DEPLOYMENT} serves churn/${champion.version} (churn@champion) at ${base}/invocations`,
      ids: { deployment: serving.name, version: champion.version },
    });

    const trafficRunId = await context.pipelines.start(await context.pipelines.load(TRAFFIC));
    const trafficStatus = await context.pipelines.drive(trafficRunId);
    if (trafficStatus !== 'SUCCEEDED') throw new InvalidStateError(`the traffic pipeline ended ${trafficStatus}`);
    const traffic = await trafficRows(context, trafficRunId);
    const applied = await context.monitors.apply(
      await readFile(MONITOR, 'utf8'),
      path.relative(process.cwd(), MONITOR),
    );
    say({
      step: 'monitor',
      detail: `monitor ${applied.name} watches ${applied.deployment}: the last 2,000 rows against the baseline`,
      ids: { monitor: applied.name },
    });

    const sentAt = Date.now();
    const sent = await sendTraffic(base, traffic, { feedback: true });
    say({
      step: 'traffic',
      detail:
        `${formatNumber(sent.rows)} customers of the newer market in ${sent.requests} requests ` +
        `(monthly charges up 30%, more month-to-month contracts), then what each did as feedback`,
      ids: { 'traffic pipeline run': trafficRunId, 'first request': sent.firstRequestId },
    });
    await waitFor('the captured traffic to be written', WAIT_MS.capture, async () => {
      const files = (await context.captures.files(DEPLOYMENT)).filter((file) => file.createdTime >= sentAt);
      return files.reduce((rows, file) => rows + file.rows, 0) >= sent.rows ? true : undefined;
    });

    triggers.add(await withChallengerParams(context, options.challenger));
    await triggers.start();
    const run = await context.monitors.run(applied.name);
    const firing = run.alerts.find((alert) => alert.kind === 'FIRING' && alert.rule === 'monthly-charges-drift');
    say({
      step: 'drift',
      detail: `${describeDrift(run.metrics)}; ${firing === undefined ? 'no alert' : `alert ${firing.rule} FIRING`}`,
      ids: { 'monitor result': run.id, ...(firing === undefined ? {} : { alert: firing.id }) },
    });
    if (firing === undefined) {
      // A second loop over the same store: the champion was trained on this market already (or the alert is in
      // its cooldown), so there is nothing to retrain.
      say({ step: 'done', detail: `no drift alert against churn/${champion.version}: nothing to retrain`, ids: {} });
      return {
        steps,
        champion: { before: champion.version, after: champion.version },
        retrained: false,
        promoted: false,
      };
    }

    const retrainRunId = await waitFor('the alert to start the churn pipeline', WAIT_MS.capture, async () => fired[0]);
    say({
      step: 'retrain',
      detail: 'the alert started the churn pipeline on the newer market (trigger retrain-on-drift)',
      ids: { 'pipeline run': retrainRunId, alert: firing.id },
    });
    // Keep traffic flowing while the run trains: a canary is judged on the requests it gets.
    const background = keepSending(base, traffic);
    const status = await waitFor('the retraining run to end', WAIT_MS.retrain, async () => ended.get(retrainRunId));
    const decision = await gateDecision(context, retrainRunId);
    say({
      step: 'gate',
      detail:
        decision === undefined
          ? `the retraining run ended ${status} before its gate decided`
          : `churn/${decision.version} ${decision.status}` +
            (decision.failed.length === 0 ? ' (every gate passed)' : ` (failed: ${decision.failed.join(', ')})`),
      ids: { 'pipeline run': retrainRunId, ...(decision === undefined ? {} : { version: decision.version }) },
    });
    let after = champion.version;
    if (decision?.status === 'approved') {
      const rolledOut = await waitFor(`churn/${decision.version} to be rolled out`, WAIT_MS.rollout, async () => {
        const deployment = await context.deployments.show(DEPLOYMENT);
        const done = deployment.candidateVersion === null && deployment.state !== 'UPDATING';
        return done && deployment.servingVersion !== champion.version ? deployment : undefined;
      }).catch(() => undefined);
      after = (await context.deployments.show(DEPLOYMENT)).servingVersion ?? champion.version;
      const history = (await context.deployments.history(DEPLOYMENT)).filter((event) => event.time >= run.time);
      say({
        step: 'rollout',
        detail:
          rolledOut === undefined
            ? `churn/${decision.version} did not finish its canary: ${DEPLOYMENT} serves churn/${after}`
            : `${history.map(describeEvent).join('; ')}: ${DEPLOYMENT} serves churn/${after}`,
        ids: { deployment: DEPLOYMENT, version: after },
      });
    }
    await background.stop();
    say({
      step: 'lineage',
      detail: `npx ciclo lineage model:churn/${after} shows the alert and the traffic window behind it`,
      ids: {},
    });
    return {
      steps,
      champion: { before: champion.version, after },
      retrained: true,
      promoted: after !== champion.version,
    };
  } finally {
    await triggers.stop();
    await server.close();
    await supervisor.stop();
  }
}

/** The churn pipeline with `--challenger` params over its retrain trigger's own. */
async function withChallengerParams(context: CicloContext, assignments: readonly string[]): Promise<LoadedPipeline> {
  const loaded = await context.pipelines.load(EXAMPLES);
  if (assignments.length === 0) return loaded;
  const params = parseParamAssignments(loaded.definition, [...assignments]);
  const triggers = (loaded.definition.triggers ?? []).map((trigger) => ({
    ...trigger,
    params: { ...trigger.params, ...params },
  }));
  return { ...loaded, definition: { ...loaded.definition, triggers } };
}

async function trafficRows(context: CicloContext, pipelineRunId: string): Promise<TrafficRow[]> {
  const file = path.join(context.pipelines.scheduler.stepFolder(pipelineRunId, 'clean'), 'outputs', 'data');
  const [head, ...lines] = (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
  const header = head!.split(',');
  const numeric = new Set(['tenure_months', 'monthly_charges', 'total_charges', 'support_calls']);
  return lines.map((line) => {
    const cells = line.split(',');
    const record = Object.fromEntries(header.map((name, index) => [name, cells[index] ?? '']));
    const features: Record<string, string | number> = {};
    for (const name of [
      'tenure_months',
      'monthly_charges',
      'total_charges',
      'support_calls',
      'contract',
      'payment_method',
      'internet_service',
      'age_band',
    ]) {
      features[name] = numeric.has(name) ? Number(record[name]) : record[name]!;
    }
    return { features, churned: Number(record.churned), ageBand: record.age_band! };
  });
}

async function sendTraffic(
  base: string,
  rows: readonly TrafficRow[],
  options: { feedback: boolean },
): Promise<{ rows: number; requests: number; firstRequestId: string }> {
  let requests = 0;
  let firstRequestId = '';
  for (let start = 0; start < rows.length; start += ROWS_PER_REQUEST) {
    const batch = rows.slice(start, start + ROWS_PER_REQUEST);
    const answer = await fetch(`${base}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dataframe_records: batch.map((row) => row.features) }),
    });
    if (!answer.ok) throw new InvalidStateError(`scoring answered ${answer.status}: ${await answer.text()}`);
    await answer.arrayBuffer();
    const requestId = answer.headers.get('x-request-id') ?? '';
    firstRequestId ||= requestId;
    requests++;
    if (!options.feedback) continue;
    const feedback = await fetch(`${base}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request_id: requestId, label: batch.map((row) => row.churned) }),
    });
    if (!feedback.ok) throw new InvalidStateError(`feedback answered ${feedback.status}: ${await feedback.text()}`);
    await feedback.arrayBuffer();
  }
  return { rows: rows.length, requests, firstRequestId };
}

/** Sends the traffic again and again (without feedback) until stopped; failed requests are counted, not fatal. */
function keepSending(base: string, rows: readonly TrafficRow[]): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await sendTraffic(base, rows.slice(0, 200), { feedback: false }).catch(() => undefined);
      await sleep(100);
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new InvalidStateError(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

interface GateDecision {
  version: number;
  status: 'pending' | 'approved' | 'rejected';
  failed: string[];
}

async function gateDecision(context: CicloContext, pipelineRunId: string): Promise<GateDecision | undefined> {
  const file = path.join(context.pipelines.scheduler.stepFolder(pipelineRunId, 'gate'), 'outputs', 'decision');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as GateDecision);
}

/** `canary of 2 (error rate 0.0%, p99 within 3×) → serve 1 → 2`: what the supervisor recorded. */
function describeEvent(event: DeploymentEvent): string {
  const judgements = Array.isArray(event.details.judgements) ? (event.details.judgements as { reason?: string }[]) : [];
  const strategy = typeof event.details.strategy === 'string' ? `${event.details.strategy} ` : '';
  const judged = judgements.map((judgement) => judgement.reason ?? '').filter((reason) => reason !== '');
  return (
    `${strategy}${event.action} ${event.fromVersion ?? '-'} → ${event.toVersion ?? '-'}` +
    (judged.length === 0 ? '' : ` (judged: ${judged.join('; ')})`)
  );
}

function describeDrift(metrics: readonly MetricValue[]): string {
  const value = (metric: string, feature: string) =>
    metrics.find((entry) => entry.metric === metric && entry.feature === feature)?.value ?? null;
  const parts = [
    `PSI monthly_charges ${formatNumber(value('drift.psi', 'monthly_charges'))}`,
    `Jensen–Shannon contract ${formatNumber(value('drift.jensen_shannon', 'contract'))}`,
    `PSI churn_score ${formatNumber(value('prediction_drift.psi', 'churn_score'))}`,
  ];
  const auc = metrics.find((entry) => entry.metric === 'model.auc' && entry.segment === undefined)?.value ?? null;
  return `${parts.join(', ')}, AUC from feedback ${formatNumber(auc)}`;
}
