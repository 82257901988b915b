import type { DatasetService } from '../../data/index.js';
import type { PipelineService } from '../../pipelines/index.js';
import type { TrackingService } from '../../tracking/index.js';
import type { RegistryService } from '../service.js';
import type { ModelStepTask } from './runtime.js';

/** What the `register` step works with: the orchestrator's store, opened by the step's process. */
export interface ModelStepDeps {
  /** The pipeline run the step belongs to: its other steps' runs, whose metrics and datasets it copies. */
  pipelines: Pick<PipelineService, 'upstreamStepRuns' | 'completedStepRuns'>;
  tracking: TrackingService;
  registry: RegistryService;
  datasets: DatasetService;
  /** One line of the step's log. */
  log(line: string): void;
}

export type { ModelStepTask };
