import { Cron } from 'croner';
import type { AlertService } from '../alerts/service.js';
import type { Monitor, MonitorService } from './service.js';

export interface MonitorSchedulerOptions {
  monitors: MonitorService;
  alerts: AlertService;
  /** How often the stored monitors are read again, so one applied or changed while the server runs is picked up. */
  refreshMs?: number;
  /** How often alert actions due for a retry are attempted. */
  actionsMs?: number;
  /** A run or a refresh that failed: the server logs it and goes on. */
  onError?: (error: unknown, monitor?: string) => void;
}

interface Scheduled {
  job: Cron;
  /** The definition it was scheduled from: a changed one is scheduled again. */
  updatedTime: number;
}

/**
 * What `ciclo server` runs for monitoring: each stored monitor with a `schedule` on its cron (croner, `protect`:
 * a tick is skipped while the previous run of that monitor is still going, never queued), and the alert actions
 * due for a retry. Monitors are read from the store every `refreshMs`, so `ciclo monitor apply` from another
 * process takes effect without a restart.
 */
export class MonitorScheduler {
  readonly #options: MonitorSchedulerOptions;
  readonly #scheduled = new Map<string, Scheduled>();
  #refreshTimer: NodeJS.Timeout | undefined;
  #actionsTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: MonitorSchedulerOptions) {
    this.#options = options;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.#refreshTimer = setInterval(() => void this.refresh(), this.#options.refreshMs ?? 30_000);
    this.#actionsTimer = setInterval(() => void this.#runDueActions(), this.#options.actionsMs ?? 5_000);
    this.#refreshTimer.unref();
    this.#actionsTimer.unref();
  }

  /** The names of the monitors on a schedule now. */
  scheduled(): string[] {
    return [...this.#scheduled.keys()].sort();
  }

  async refresh(): Promise<void> {
    if (this.#stopped) return;
    let monitors: Monitor[];
    try {
      monitors = await this.#options.monitors.list();
    } catch (error) {
      this.#options.onError?.(error);
      return;
    }
    const wanted = new Map(monitors.filter((monitor) => monitor.parsed.schedule !== undefined).map((m) => [m.name, m]));
    for (const [name, scheduled] of this.#scheduled) {
      if (wanted.get(name)?.updatedTime === scheduled.updatedTime) continue;
      scheduled.job.stop();
      this.#scheduled.delete(name);
    }
    for (const [name, monitor] of wanted) {
      if (this.#scheduled.has(name)) continue;
      const { schedule, timezone } = monitor.parsed;
      const job = new Cron(schedule!, { protect: true, unref: true, ...(timezone ? { timezone } : {}) }, async () => {
        try {
          await this.#options.monitors.run(name);
        } catch (error) {
          this.#options.onError?.(error, name);
        }
      });
      this.#scheduled.set(name, { job, updatedTime: monitor.updatedTime });
    }
  }

  async #runDueActions(): Promise<void> {
    try {
      await this.#options.alerts.runDueActions();
    } catch (error) {
      this.#options.onError?.(error);
    }
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#refreshTimer);
    clearInterval(this.#actionsTimer);
    for (const scheduled of this.#scheduled.values()) scheduled.job.stop();
    this.#scheduled.clear();
  }
}
