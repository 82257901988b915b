import type { Kysely } from 'kysely';
import type { DatasetService } from '../../data/index.js';
import type { Schema } from '../../store/index.js';
import type { TrackingService } from '../../tracking/index.js';
import type { RegistryService } from '../service.js';
import type { ModelStepTask } from './runtime.js';

/** What the `register` step works with: the orchestrator's store, opened by the step's process. */
export interface ModelStepDeps {
  db: Kysely<Schema>;
  tracking: TrackingService;
  registry: RegistryService;
  datasets: DatasetService;
  /** One line of the step's log. */
  log(line: string): void;
}

export type { ModelStepTask };
