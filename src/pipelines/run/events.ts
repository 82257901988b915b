import type { PipelineRunStatus, StepExecutionStatus } from './run-store.js';

/** What a driver reports as a run moves, for live progress (`ciclo pipeline run`, quickstart). */
export type PipelineEvent =
  | { type: 'run'; pipelineRunId: string; status: PipelineRunStatus }
  | {
      type: 'step';
      pipelineRunId: string;
      stepName: string;
      attempt: number;
      status: StepExecutionStatus;
      /** The tracked run of the attempt (or, for CACHED, of the reused execution). */
      runId?: string;
      cachedFromRunId?: string;
      durationMs?: number;
      exitCode?: number | null;
      error?: string;
      /** For a retry that waits: when it will start. */
      nextAttemptAt?: number;
      /** Something the step did that it should not have, which did not fail it. */
      warning?: string;
    };

export type PipelineEventListener = (event: PipelineEvent) => void;

/** What a step event says beyond which step and attempt it is about. */
export type StepEventDetails = Omit<
  Extract<PipelineEvent, { type: 'step' }>,
  'type' | 'pipelineRunId' | 'stepName' | 'attempt'
>;
