import { z } from 'zod';
import type { Deployment, DeploymentEvent } from './types.js';

/** Deployments and their history in the `/api/v1` convention (snake_case). */
export const DeploymentReply = z.object({
  name: z.string(),
  project: z.string(),
  environment: z.string(),
  model: z.string().describe('as created: NAME@alias (followed) or NAME/VERSION (pinned)'),
  model_name: z.string(),
  alias: z.string().nullable(),
  pinned_version: z.number().nullable(),
  runtime: z.string().nullable(),
  replicas: z.number(),
  strategy: z.object({ type: z.string() }).passthrough(),
  capture_rate: z.number(),
  state: z.string(),
  message: z.string().nullable(),
  serving_version: z.number().nullable(),
  candidate_version: z.number().nullable(),
  endpoint: z.string().describe('the path the server answers scoring requests on'),
  replica_urls: z.array(z.string()).describe('each replica on its own loopback port (only where a server runs it)'),
  created_by: z.string(),
  created_time: z.number(),
  updated_time: z.number(),
});

export const DeploymentEventReply = z.object({
  time: z.number(),
  actor: z.string(),
  action: z.string(),
  from_version: z.number().nullable(),
  to_version: z.number().nullable(),
  reason: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});

export function deploymentToWire(deployment: Deployment, replicaUrls: string[] = []): z.output<typeof DeploymentReply> {
  return {
    name: deployment.name,
    project: deployment.project,
    environment: deployment.environment,
    model: deployment.model,
    model_name: deployment.modelName,
    alias: deployment.alias,
    pinned_version: deployment.pinnedVersion,
    runtime: deployment.runtime,
    replicas: deployment.replicas,
    strategy: deployment.strategy,
    capture_rate: deployment.captureRate,
    state: deployment.state,
    message: deployment.message,
    serving_version: deployment.servingVersion,
    candidate_version: deployment.candidateVersion,
    endpoint: `/serve/${deployment.name}`,
    replica_urls: replicaUrls,
    created_by: deployment.createdBy,
    created_time: deployment.createdTime,
    updated_time: deployment.updatedTime,
  };
}

export function eventToWire(event: DeploymentEvent): z.output<typeof DeploymentEventReply> {
  return {
    time: event.time,
    actor: event.actor,
    action: event.action,
    from_version: event.fromVersion,
    to_version: event.toVersion,
    reason: event.reason,
    details: event.details,
  };
}
