import type { Kysely } from 'kysely';
import { datasetProject } from '../data/index.js';
import type { ProjectLookups } from '../governance/index.js';
import { projectOfMonitor } from '../monitoring/index.js';
import { projectOfModel } from '../registry/index.js';
import { projectOfDeployment } from '../serving/index.js';
import type { Schema } from '../store/index.js';
import { projectOfExperiment, projectOfExperimentNamed, projectOfRun } from '../tracking/index.js';

/**
 * Where access control finds the project of each kind of resource a route names: its owner's query (tracking for
 * experiments and runs, the registry for models, datasets for datasets, serving for deployments, monitoring for
 * monitors), so access control reads no table of theirs.
 */
export function projectLookups(db: Kysely<Schema>): ProjectLookups {
  return {
    experiment: (id) => projectOfExperiment(db, id),
    experimentNamed: (name) => projectOfExperimentNamed(db, name),
    run: (runId) => projectOfRun(db, runId),
    model: (name) => projectOfModel(db, name),
    dataset: (name) => datasetProject(db, name),
    deployment: (name) => projectOfDeployment(db, name),
    monitor: (name) => projectOfMonitor(db, name),
  };
}
