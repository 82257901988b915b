import type { GuardedStrategy } from './types.js';

/** Answers seen in one window of a rollout, for one version. */
export class WindowStats {
  static readonly MAX_LATENCIES = 20_000;
  requests = 0;
  errors = 0;
  readonly #latencies: number[] = [];

  record(status: number, latencyMs: number): void {
    this.requests++;
    if (status >= 500) this.errors++;
    // Past the cap the window keeps its first answers: enough for a p99, bounded in memory.
    if (this.#latencies.length < WindowStats.MAX_LATENCIES) this.#latencies.push(latencyMs);
  }

  get errorRate(): number {
    return this.requests === 0 ? 0 : this.errors / this.requests;
  }

  get p99(): number | undefined {
    if (this.#latencies.length === 0) return undefined;
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
  }

  summary(): { requests: number; error_rate: number; p99_ms: number | null } {
    const p99 = this.p99;
    return {
      requests: this.requests,
      error_rate: round(this.errorRate),
      p99_ms: p99 === undefined ? null : round(p99),
    };
  }
}

/** Below this a p99 difference is the machine's noise, not the model's. */
const P99_NOISE_MS = 5;

export interface Judgement {
  passed: boolean;
  /** Why, for the history and the deployment's message. */
  reason: string;
  current: ReturnType<WindowStats['summary']>;
  candidate: ReturnType<WindowStats['summary']>;
}

/** The candidate against the current version over one window, by the strategy's thresholds (types.ts). */
export function judge(strategy: GuardedStrategy, current: WindowStats, candidate: WindowStats): Judgement {
  const summaries = { current: current.summary(), candidate: candidate.summary() };
  if (candidate.requests < strategy.min_requests) {
    return {
      passed: true,
      reason: `${candidate.requests} requests, fewer than ${strategy.min_requests}: not judged`,
      ...summaries,
    };
  }
  const allowed = current.errorRate + strategy.max_error_rate;
  if (candidate.errorRate > allowed) {
    return {
      passed: false,
      reason: `error rate ${pct(candidate.errorRate)} against ${pct(current.errorRate)} (allowed ${pct(allowed)})`,
      ...summaries,
    };
  }
  const [ours, theirs] = [candidate.p99, current.p99];
  if (
    ours !== undefined &&
    theirs !== undefined &&
    ours > theirs * strategy.max_p99_ratio &&
    ours > theirs + P99_NOISE_MS
  ) {
    return {
      passed: false,
      reason: `p99 ${ours.toFixed(1)} ms against ${theirs.toFixed(1)} ms (allowed ${strategy.max_p99_ratio}×)`,
      ...summaries,
    };
  }
  return {
    passed: true,
    reason: `error rate ${pct(candidate.errorRate)}, p99 within ${strategy.max_p99_ratio}×`,
    ...summaries,
  };
}

function pct(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
