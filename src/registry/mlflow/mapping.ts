import { InvalidInputError } from '../../common/errors.js';
import { hasVerifiedPackage, PACKAGE_STATUS_TAG, UNVERIFIED_PACKAGE } from '../package-status.js';
import { APPROVAL_STATUS_TAG } from '../service.js';
import type { z } from 'zod';
import type { Environment, ModelVersion, RegisteredModel } from '../types.js';
import type { MlflowModelVersion, MlflowRegisteredModel } from './replies.js';

/**
 * Registry objects as MLflow's protobuf JSON. Our stages are per environment; MLflow has one
 * `current_stage` per version: a version prod runs is `Production`, else one staging runs is
 * `Staging`, else `None` (dev has no MLflow stage). The approval status travels as the read-only
 * tag `ciclo.approval_status`, and a version without a verified package carries the read-only tag
 * `ciclo.package_status` = `unverified`; every version is `READY` (registration is synchronous).
 */

export type MlflowStage = 'None' | 'Staging' | 'Production' | 'Archived';

export function currentStage(version: ModelVersion): MlflowStage {
  if (version.stages.includes('prod')) return 'Production';
  if (version.stages.includes('staging')) return 'Staging';
  return 'None';
}

/** MLflow accepts stage names in any case. */
export function parseStage(stage: string, where = 'stages'): MlflowStage {
  const found = (['None', 'Staging', 'Production', 'Archived'] as const).find(
    (s) => s.toLowerCase() === stage.toLowerCase(),
  );
  if (found === undefined) {
    throw new InvalidInputError(`invalid stage '${stage}'`, {
      where,
      hint: 'stages are None, Staging, Production and Archived',
    });
  }
  return found;
}

/**
 * A `transition-stage` as the least change of Ciclo's stages after which the version reads as
 * `stage`: Production → it runs in prod; Staging → in staging, and no longer in prod; None and
 * Archived → in neither (Ciclo has no archive: an archived version reads as None). `dev` is not an
 * MLflow stage and is never touched. Ciclo runs one version per environment, so the previous
 * holder of prod or staging is always replaced, whatever `archive_existing_versions` says.
 */
export function stageChange(stage: MlflowStage): { assign?: Environment; release: Environment[] } {
  switch (stage) {
    case 'Production':
      return { assign: 'prod', release: [] };
    case 'Staging':
      return { assign: 'staging', release: ['prod'] };
    case 'None':
    case 'Archived':
      return { release: ['prod', 'staging'] };
  }
}

/** For each stage asked (default all), the highest version in it. */
export function latestPerStage(versions: readonly ModelVersion[], stages?: readonly MlflowStage[]): ModelVersion[] {
  const latest = new Map<MlflowStage, ModelVersion>();
  for (const version of versions) {
    const stage = currentStage(version);
    if (stages !== undefined && stages.length > 0 && !stages.includes(stage)) continue;
    const seen = latest.get(stage);
    if (seen === undefined || seen.version < version.version) latest.set(stage, version);
  }
  return [...latest.values()].sort((a, b) => a.version - b.version);
}

/** `[{key, value}]` → a record; later entries win, as a later set-tag would. */
export function fromKeyValues(list: readonly { key: string; value: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, value]));
}

export function toMlflowModelVersion(version: ModelVersion): z.input<typeof MlflowModelVersion> {
  return {
    name: version.name,
    version: String(version.version),
    creation_timestamp: version.createdTime,
    last_updated_timestamp: version.updatedTime,
    user_id: version.createdBy,
    current_stage: currentStage(version),
    description: version.description ?? '',
    source: `runs:/${version.runId}/${version.source}`,
    run_id: version.runId,
    status: 'READY',
    tags: [
      ...Object.entries(version.tags).map(([key, value]) => ({ key, value })),
      { key: APPROVAL_STATUS_TAG, value: version.status },
      ...(hasVerifiedPackage(version) ? [] : [{ key: PACKAGE_STATUS_TAG, value: UNVERIFIED_PACKAGE }]),
    ],
    aliases: version.aliases,
    run_link: '',
  };
}

export function toMlflowRegisteredModel(
  model: RegisteredModel,
  latestVersions: readonly ModelVersion[],
): z.input<typeof MlflowRegisteredModel> {
  return {
    name: model.name,
    creation_timestamp: model.createdTime,
    last_updated_timestamp: model.updatedTime,
    description: model.description ?? '',
    latest_versions: latestVersions.map(toMlflowModelVersion),
    tags: Object.entries(model.tags).map(([key, value]) => ({ key, value })),
    aliases: Object.entries(model.aliases).map(([alias, version]) => ({ alias, version: String(version) })),
  };
}

/**
 * Where a version's files are among a run's artifacts, from the `source` MLflow clients send:
 * `runs:/<run>/<path>`, `mlflow-artifacts:/<experiment>/<run>/artifacts/<path>` (with or without
 * a host), or the run's artifact URI followed by the path.
 */
export function parseVersionSource(
  source: string,
  runId: string | undefined,
  runArtifactUri: string | undefined,
): { runId: string; path: string } {
  const runs = /^runs:\/+([^/]+)(?:\/(.*))?$/.exec(source);
  if (runs !== null) return { runId: runs[1]!, path: runs[2] ?? '' };
  const proxied = /^mlflow-artifacts:(?:\/\/[^/]+)?\/+([^/]+)\/([^/]+)\/artifacts(?:\/(.*))?$/.exec(source);
  if (proxied !== null) return { runId: proxied[2]!, path: proxied[3] ?? '' };
  if (runId !== undefined && runArtifactUri !== undefined) {
    const root = runArtifactUri.replace(/\/+$/, '');
    if (source === root) return { runId, path: '' };
    if (source.startsWith(`${root}/`)) return { runId, path: source.slice(root.length + 1) };
  }
  throw new InvalidInputError(`source '${source}' does not name a folder among a run's artifacts`, {
    where: 'source',
    hint: "use runs:/<run_id>/<path>, or the run's artifact_uri followed by the model's folder",
  });
}
