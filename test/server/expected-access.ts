/**
 * Who may call each route, written down here by hand, independently of the routes' own
 * declarations: the authorization matrix compares what the server does against this table, so
 * lowering a declaration (a delete that only needs `read`) fails it. A route missing here fails too.
 *
 * - `public`: anyone, without a token.
 * - `own`: any authenticated caller: the caller's own account, or a listing filtered to what the caller may read.
 * - `read` … `admin`: that role or higher in the project of the resource the request names
 *   (the matrix names resources of `alpha`, or of `default` when it names none).
 * - `server`: only a role on every project (`*`): users, projects, the audit log.
 */
export type ExpectedAccess = 'public' | 'own' | 'read' | 'write' | 'approve' | 'admin' | 'server';

const NATIVE: Record<string, ExpectedAccess> = {
  'GET /api/v1/openapi.json': 'public',
  'GET /api/v1/health': 'public',
  'GET /metrics': 'server',

  'POST /api/v1/deployments': 'write',
  'GET /api/v1/deployments': 'own',
  'GET /api/v1/deployments/:name': 'read',
  'GET /api/v1/deployments/:name/history': 'read',
  'POST /api/v1/deployments/:name/promote': 'write',
  'POST /api/v1/deployments/:name/rollback': 'write',
  'DELETE /api/v1/deployments/:name': 'write',
  'POST /api/v1/triggers/:name/fire': 'public',

  'POST /api/v1/experiments': 'write',
  'GET /api/v1/experiments': 'own',
  'GET /api/v1/experiments/:experimentId': 'read',
  'GET /api/v1/experiments/by-name/:name': 'read',
  'PUT /api/v1/experiments/by-name/:name': 'write',
  'PATCH /api/v1/experiments/:experimentId': 'write',
  'PUT /api/v1/experiments/:experimentId/tags/:key': 'write',
  'DELETE /api/v1/experiments/:experimentId': 'write',
  'POST /api/v1/experiments/:experimentId/restore': 'write',
  'PUT /api/v1/experiments/:experimentId/project': 'admin',

  'POST /api/v1/runs': 'write',
  'GET /api/v1/runs/:runId': 'read',
  'PATCH /api/v1/runs/:runId': 'write',
  'DELETE /api/v1/runs/:runId': 'write',
  'POST /api/v1/runs/:runId/restore': 'write',
  'POST /api/v1/runs/search': 'read',
  'POST /api/v1/runs/:runId/batch': 'write',
  'PUT /api/v1/runs/:runId/tags/:key': 'write',
  'DELETE /api/v1/runs/:runId/tags/:key': 'write',
  'POST /api/v1/runs/:runId/inputs': 'write',
  'GET /api/v1/runs/:runId/metrics/:key/history': 'read',
  'GET /api/v1/runs/:runId/artifacts': 'read',
  'PUT /api/v1/runs/:runId/artifacts/*': 'write',
  'GET /api/v1/runs/:runId/artifacts/*': 'read',

  'GET /api/v1/lineage': 'read',

  'GET /api/v1/datasets': 'own',
  'GET /api/v1/datasets/:name': 'read',
  'GET /api/v1/datasets/:name/versions': 'read',
  'GET /api/v1/datasets/:name/versions/:version': 'read',
  'PUT /api/v1/datasets/:name/project': 'admin',
  'POST /api/v1/features/online': 'read',

  'GET /api/v1/models': 'own',
  'POST /api/v1/models': 'write',
  'GET /api/v1/model-versions': 'own',
  'GET /api/v1/models/:name': 'read',
  'PATCH /api/v1/models/:name': 'write',
  'DELETE /api/v1/models/:name': 'write',
  'PUT /api/v1/models/:name/project': 'admin',
  'GET /api/v1/models/:name/versions': 'read',
  'POST /api/v1/models/:name/versions': 'write',
  'GET /api/v1/models/:name/versions/:version': 'read',
  'PATCH /api/v1/models/:name/versions/:version': 'write',
  'DELETE /api/v1/models/:name/versions/:version': 'write',
  'GET /api/v1/models/:name/aliases/:alias': 'read',
  'PUT /api/v1/models/:name/aliases/:alias': 'write',
  'DELETE /api/v1/models/:name/aliases/:alias': 'write',
  'PUT /api/v1/models/:name/stages/:environment': 'write',
  'PUT /api/v1/models/:name/tags/:key': 'write',
  'DELETE /api/v1/models/:name/tags/:key': 'write',
  'PUT /api/v1/models/:name/versions/:version/tags/:key': 'write',
  'DELETE /api/v1/models/:name/versions/:version/tags/:key': 'write',

  'POST /api/v1/models/:name/versions/:version/approve': 'approve',
  'POST /api/v1/models/:name/versions/:version/deploy-approvals': 'approve',
  'POST /api/v1/models/:name/versions/:version/reject': 'approve',
  'GET /api/v1/models/:name/versions/:version/approvals': 'read',
  'GET /api/v1/models/:name/versions/:version/gates': 'read',
  // Evaluating gates stores the result that approval reads.
  'POST /api/v1/models/:name/versions/:version/gates': 'write',
  'GET /api/v1/models/:name/policy': 'read',
  'PUT /api/v1/models/:name/policy': 'admin',

  'GET /api/v1/auth/whoami': 'own',
  'GET /api/v1/users': 'server',
  'POST /api/v1/users': 'server',
  'PATCH /api/v1/users/:name': 'server',
  'GET /api/v1/tokens': 'own',
  'POST /api/v1/tokens': 'own',
  'DELETE /api/v1/tokens/:id': 'own',
  'GET /api/v1/projects': 'own',
  'POST /api/v1/projects': 'server',
  'GET /api/v1/projects/:project/members': 'read',
  'PUT /api/v1/projects/:project/members/:user': 'admin',
  'DELETE /api/v1/projects/:project/members/:user': 'admin',
  'GET /api/v1/audit': 'server',
  'GET /api/v1/audit/verify': 'server',
  'POST /api/v1/audit/checkpoint': 'server',
};

/** MLflow's routes, the same under /api/2.0 and its web UI's /ajax-api/2.0 twin. */
const MLFLOW: Record<string, ExpectedAccess> = {
  'POST mlflow/experiments/create': 'write',
  'GET mlflow/experiments/get': 'read',
  'GET mlflow/experiments/get-by-name': 'read',
  'POST mlflow/experiments/search': 'own',
  'GET mlflow/experiments/search': 'own',
  'POST mlflow/experiments/update': 'write',
  'POST mlflow/experiments/delete': 'write',
  'POST mlflow/experiments/restore': 'write',
  'POST mlflow/experiments/set-experiment-tag': 'write',
  'POST mlflow/runs/create': 'write',
  'GET mlflow/runs/get': 'read',
  'POST mlflow/runs/update': 'write',
  'POST mlflow/runs/delete': 'write',
  'POST mlflow/runs/restore': 'write',
  'POST mlflow/runs/search': 'read',
  'POST mlflow/runs/log-metric': 'write',
  'POST mlflow/runs/log-parameter': 'write',
  'POST mlflow/runs/set-tag': 'write',
  'POST mlflow/runs/delete-tag': 'write',
  'POST mlflow/runs/log-batch': 'write',
  'POST mlflow/runs/log-inputs': 'write',
  'GET mlflow/metrics/get-history': 'read',
  'GET mlflow/artifacts/list': 'read',
  'PUT mlflow-artifacts/artifacts/*': 'write',
  'GET mlflow-artifacts/artifacts/*': 'read',
  'GET mlflow-artifacts/artifacts': 'read',
  'POST mlflow/registered-models/create': 'write',
  'GET mlflow/registered-models/get': 'read',
  'GET mlflow/registered-models/search': 'own',
  'POST mlflow/registered-models/search': 'own',
  'POST mlflow/registered-models/rename': 'write',
  'PATCH mlflow/registered-models/update': 'write',
  'DELETE mlflow/registered-models/delete': 'write',
  'POST mlflow/registered-models/get-latest-versions': 'read',
  'GET mlflow/registered-models/get-latest-versions': 'read',
  'POST mlflow/registered-models/set-tag': 'write',
  'DELETE mlflow/registered-models/delete-tag': 'write',
  'POST mlflow/registered-models/alias': 'write',
  'DELETE mlflow/registered-models/alias': 'write',
  'GET mlflow/registered-models/alias': 'read',
  'POST mlflow/model-versions/create': 'write',
  'GET mlflow/model-versions/get': 'read',
  'GET mlflow/model-versions/search': 'own',
  'POST mlflow/model-versions/search': 'own',
  'PATCH mlflow/model-versions/update': 'write',
  'DELETE mlflow/model-versions/delete': 'write',
  'POST mlflow/model-versions/set-tag': 'write',
  'DELETE mlflow/model-versions/delete-tag': 'write',
  'GET mlflow/model-versions/get-download-uri': 'read',
  'POST mlflow/model-versions/transition-stage': 'write',
};

/** The expected access of a route of the server's table, or undefined when this table does not know it. */
export function expectedAccess(method: string, url: string): ExpectedAccess | undefined {
  const mlflow = /^\/(?:api|ajax-api)\/2\.0\/(.*)$/.exec(url);
  return mlflow ? MLFLOW[`${method} ${mlflow[1]}`] : NATIVE[`${method} ${url}`];
}
