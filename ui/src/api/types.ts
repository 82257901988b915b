/**
 * The API's shapes, from the server's own wire schemas (type-only: nothing of the server is bundled), so a
 * field renamed on the server breaks this build rather than the page.
 */
export type {
  WireArtifactEntry as ArtifactEntry,
  WireExperiment as Experiment,
  WireMetric as Metric,
  WirePage as Page,
  WireRun as Run,
} from '../../../src/tracking/native-wire.js';

/** The one error shape of every `/api/v1` route (docs/rest-api.md; src/http/errors.ts). */
export type { ErrorBody } from '../../../src/http/index.js';

/**
 * `GET /api/v1/auth/whoami`: the fields the UI reads. The route's schema is declared inline in
 * src/governance/access/routes.ts and not exported, so this is checked at run time (api/whoami.ts).
 */
export interface Whoami {
  user: string;
  authenticated: boolean;
  scopes: string[];
  roles: { project: string; role: string }[];
}

import type { toWireModel, toWireVersion } from '../../../src/registry/routes.js';
/** A registered model and a version as the registry's routes write them (their own mapping functions). */
export type Model = ReturnType<typeof toWireModel>;
export type ModelVersion = ReturnType<typeof toWireVersion>;
