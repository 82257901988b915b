import { configEnvironment } from '../common/config.js';
import { DeploymentSupervisor } from '../serving/index.js';
import type { CicloContext } from './context.js';
import { packagePath } from '../common/package-files.js';

/** The built CLI: each replica is its `ciclo serve NAME/V`. */
const CLI_PROGRAM = packagePath('dist', 'bin', 'ciclo.js');

/**
 * The supervisor `ciclo server` runs deployments with: replicas are `ciclo serve` processes over the
 * same store as the server (its variables), with authentication when the server has it.
 */
export function deploymentSupervisor(
  context: CicloContext,
  options: { auth: boolean; pollMs?: number; log?: (message: string) => void },
): DeploymentSupervisor {
  const env = {
    ...configEnvironment(context.config),
    CICLO_LOG_LEVEL: context.config.logLevel,
    CICLO_MAX_BODY_BYTES: String(context.config.maxBodyBytes),
  };
  return new DeploymentSupervisor({
    deployments: context.deployments,
    replicaSpec: (deployment, version) => ({
      program: CLI_PROGRAM,
      reference: `${deployment.modelName}/${version}`,
      ...(deployment.runtime === null ? {} : { runtime: deployment.runtime }),
      auth: options.auth,
      deployment: deployment.name,
      captureRate: deployment.captureRate,
      env,
      startTimeoutMs: 60_000,
    }),
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
}
