import { InvalidStateError } from '../common/errors.js';
import type { ApprovedVersion, DeployOutcome } from '../governance/approvals/index.js';
import type { CreateDeploymentOptions, DeploymentService } from '../serving/index.js';

/**
 * Continuous delivery: what an approval policy's `on_approve.deploy` does, handed to the approvals as
 * their deploy hook (approvals know no deployment; serving knows no policy). For each entry, the
 * deployment `<model>-<env>` (or the entry's `name`):
 * - does not exist → it is created, following the `on_approve` alias (or pinned to the version: always
 *   so for an entry a person approved, so that later versions wait for a person too);
 * - serves another model → the entry fails (a policy cannot take over another model's deployment);
 * - follows the alias the approval just moved → nothing to do: `ciclo server` rolls the version out;
 * - is pinned (or follows another alias) → it is promoted to the version.
 * A failed entry is reported in the outcome; the approval stands.
 */
export function deployOnApproval(deployments: DeploymentService) {
  return async (approved: ApprovedVersion): Promise<DeployOutcome[]> => {
    const outcomes: DeployOutcome[] = [];
    for (const entry of approved.deploy) {
      const name = entry.name ?? `${approved.name}-${entry.env}`;
      try {
        outcomes.push({ env: entry.env, deployment: name, ...(await deployOne(deployments, approved, entry, name)) });
      } catch (error) {
        outcomes.push({ env: entry.env, deployment: name, action: 'failed', message: (error as Error).message });
      }
    }
    return outcomes;
  };
}

async function deployOne(
  deployments: DeploymentService,
  approved: ApprovedVersion,
  entry: ApprovedVersion['deploy'][number],
  name: string,
): Promise<Pick<DeployOutcome, 'action' | 'message'>> {
  const existing = await deployments.list().then((all) => all.find((deployment) => deployment.name === name));
  if (existing === undefined) {
    const options = {
      name,
      model:
        approved.alias === undefined ? `${approved.name}/${approved.version}` : `${approved.name}@${approved.alias}`,
      environment: entry.env,
      ...(entry.strategy === undefined ? {} : { strategy: entry.strategy }),
      ...(entry.replicas === undefined ? {} : { replicas: entry.replicas }),
      ...(entry.runtime === undefined ? {} : { runtime: entry.runtime }),
    } as CreateDeploymentOptions;
    await deployments.create(options);
    return { action: 'created' };
  }
  if (existing.modelName !== approved.name) {
    throw new InvalidStateError(`deployment '${name}' serves ${existing.model}, not a version of ${approved.name}`, {
      where: name,
      hint: "Name another deployment in the policy's on_approve.deploy entry (`name:`).",
    });
  }
  if (existing.alias !== null && existing.alias === approved.alias) {
    const named = (await deployments.desiredVersion(existing)).version;
    return { action: 'follows-alias', message: `${existing.model} names version ${named}` };
  }
  await deployments.promote(name, approved.version, `approved: on_approve.deploy to ${entry.env}`);
  return { action: 'promoted' };
}
