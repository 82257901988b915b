import { InvalidArgumentError, type Command } from 'commander';
import { currentActor } from '../governance/index.js';
import {
  alertEventToWire,
  alertHistoryToWire,
  alertStateToWire,
  type AlertHistory,
  type AlertService,
  type StoredAlertState,
} from '../monitoring/index.js';
import { formatNumber, formatTime, renderFields, renderTable } from './format.js';
import { withLocalContext } from './local-context.js';
import { emit } from './output.js';

const STATES = ['OK', 'FIRING'] as const;

/**
 * `ciclo alerts`: alert rules' states and history over the local store (as `ciclo deployments`). Monitors judge
 * their results by the rules (in `ciclo server`); these commands read what they decided and acknowledge alerts.
 */
export function registerAlertsCommand(program: Command): void {
  const alerts = program
    .command('alerts')
    .description("monitors' alert rules: what is firing, their history, acknowledging");

  alerts
    .command('list')
    .description('every alert rule that has judged a result, with its state')
    .option('--monitor <name>', 'only the rules of this monitor')
    .option('--state <state>', `only rules in this state (${STATES.join(', ')})`, parseState)
    .action(async (flags: { monitor?: string; state?: (typeof STATES)[number] }, command: Command) => {
      const states = await withAlerts((service) =>
        service.list({
          ...(flags.monitor === undefined ? {} : { monitor: flags.monitor }),
          ...(flags.state === undefined ? {} : { state: flags.state }),
        }),
      );
      emit(command, states.map(alertStateToWire), () => renderStates(states));
    });

  alerts
    .command('show')
    .description("an alert rule's state and its history: firings, resolutions, acknowledgements and their actions")
    .argument('<monitor>', 'monitor name')
    .argument('<rule>', 'alert rule name')
    .action(async (monitor: string, rule: string, _flags: object, command: Command) => {
      const history = await withAlerts((service) => service.show(monitor, rule));
      emit(command, alertHistoryToWire(history), () => renderHistory(monitor, rule, history));
    });

  alerts
    .command('ack')
    .description('acknowledge a firing alert (it still resolves by itself when the metric recovers)')
    .argument('<monitor>', 'monitor name')
    .argument('<rule>', 'alert rule name')
    .option('--comment <text>', 'what is being done about it (kept in the history and the audit log)')
    .action(async (monitor: string, rule: string, flags: { comment?: string }, command: Command) => {
      const event = await withAlerts((service) => service.ack(monitor, rule, currentActor().actor, flags.comment));
      emit(command, alertEventToWire(event), () => `acknowledged ${monitor}/${rule} as ${event.actor}`);
    });
}

async function withAlerts<T>(fn: (service: AlertService) => Promise<T>): Promise<T> {
  return withLocalContext((context) => fn(context.alerts));
}

function parseState(value: string): (typeof STATES)[number] {
  const state = value.toUpperCase();
  if (!(STATES as readonly string[]).includes(state)) throw new InvalidArgumentError(`must be ${STATES.join(' or ')}`);
  return state as (typeof STATES)[number];
}

function renderStates(states: readonly StoredAlertState[]): string {
  if (states.length === 0) return 'no alerts (rules appear once their monitor has judged a result)';
  return renderTable(
    ['monitor', 'rule', 'state', 'severity', 'value', 'since', 'acked by'],
    states.map((s) => [
      s.monitor,
      s.rule,
      s.state,
      s.severity,
      formatNumber(s.lastValue),
      formatTime(s.since),
      s.ackedBy ?? '',
    ]),
  );
}

function renderHistory(monitor: string, rule: string, history: AlertHistory): string {
  const { state } = history;
  const fields = renderFields([
    ['alert', `${monitor}/${rule}`],
    ['state', state?.state ?? '-'],
    ['severity', state?.severity ?? '-'],
    ['since', formatTime(state?.since)],
    ['last value', formatNumber(state?.lastValue)],
    ['breaching windows', String(state?.consecutive ?? 0)],
    ['acked', state?.ackedBy == null ? '-' : `${state.ackedBy} at ${formatTime(state.ackedTime)}`],
  ]);
  if (history.events.length === 0) return fields;
  const events = renderTable(
    ['time', 'event', 'value', 'actor', 'actions'],
    history.events.map((e) => [
      formatTime(e.time),
      e.kind,
      formatNumber(e.value),
      e.actor,
      e.actions
        .map((a) => `${a.type} ${a.status}${a.lastError === null ? '' : ` (${a.attempts}: ${a.lastError})`}`)
        .join('; '),
    ]),
  );
  return `${fields}\n\n${events}`;
}
