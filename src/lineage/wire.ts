import { z } from 'zod';
import {
  AlertNodeSchema,
  ArtifactNodeSchema,
  DatasetNodeSchema,
  LineageEdgeSchema,
  LineageGraphSchema,
  ModelNodeSchema,
  RunNodeSchema,
  WindowNodeSchema,
  type AlertNode,
  type LineageGraph,
  type LineageNode,
  type RunNode,
  type WindowNode,
} from './types.js';

/**
 * `GET /api/v1/lineage`'s answer: the graph `ciclo lineage --json` prints, with snake_case field
 * names (docs/rest-api.md), translated here and nowhere else. A pipeline run's params are data and
 * keep their names.
 */

const RunNodeReply = z.object({
  id: z.string(),
  kind: z.literal('run'),
  run_id: z.string(),
  role: RunNodeSchema.shape.role,
  run_name: z.string(),
  status: z.string(),
  start_time: z.number(),
  pipeline_name: z.string().optional(),
  pipeline_run_id: z.string().optional(),
  step_name: z.string().optional(),
  attempt: z.number().optional(),
  params: RunNodeSchema.shape.params,
  git_commit: z.string().optional(),
  trigger_name: z.string().optional(),
  cached_from_run_id: z.string().optional(),
});

const AlertNodeReply = z.object({
  id: z.string(),
  kind: z.literal('alert'),
  alert_id: z.number(),
  monitor: z.string(),
  deployment: z.string(),
  rule: z.string(),
  metric: z.string(),
  feature: z.string().optional(),
  segment: z.string().optional(),
  value: AlertNodeSchema.shape.value,
  severity: z.string(),
  time: z.number(),
});

const WindowNodeReply = z.object({
  id: z.string(),
  kind: z.literal('window'),
  monitor: z.string(),
  result_id: z.number(),
  deployment: z.string().optional(),
  model: z.string().optional(),
  version: z.number().optional(),
  start: WindowNodeSchema.shape.start,
  end: WindowNodeSchema.shape.end,
  rows: z.number(),
  status: z.string(),
});

export const LineageGraphReply = LineageGraphSchema.extend({
  nodes: z.array(
    z.discriminatedUnion('kind', [
      RunNodeReply,
      ArtifactNodeSchema,
      DatasetNodeSchema,
      ModelNodeSchema,
      AlertNodeReply,
      WindowNodeReply,
    ]),
  ),
  edges: z.array(LineageEdgeSchema),
});

/** Fields a node does not have stay undefined, which JSON leaves out. */
function runNodeToWire(node: RunNode): z.input<typeof RunNodeReply> {
  return {
    id: node.id,
    kind: node.kind,
    run_id: node.runId,
    role: node.role,
    run_name: node.runName,
    status: node.status,
    start_time: node.startTime,
    pipeline_name: node.pipelineName,
    pipeline_run_id: node.pipelineRunId,
    step_name: node.stepName,
    attempt: node.attempt,
    params: node.params,
    git_commit: node.gitCommit,
    trigger_name: node.triggerName,
    cached_from_run_id: node.cachedFromRunId,
  };
}

function alertNodeToWire(node: AlertNode): z.input<typeof AlertNodeReply> {
  return {
    id: node.id,
    kind: node.kind,
    alert_id: node.alertId,
    monitor: node.monitor,
    deployment: node.deployment,
    rule: node.rule,
    metric: node.metric,
    feature: node.feature,
    segment: node.segment,
    value: node.value,
    severity: node.severity,
    time: node.time,
  };
}

function windowNodeToWire(node: WindowNode): z.input<typeof WindowNodeReply> {
  return {
    id: node.id,
    kind: node.kind,
    monitor: node.monitor,
    result_id: node.resultId,
    deployment: node.deployment,
    model: node.model,
    version: node.version,
    start: node.start,
    end: node.end,
    rows: node.rows,
    status: node.status,
  };
}

function nodeToWire(node: LineageNode) {
  switch (node.kind) {
    case 'run':
      return runNodeToWire(node);
    case 'alert':
      return alertNodeToWire(node);
    case 'window':
      return windowNodeToWire(node);
    default:
      return node;
  }
}

export function graphToWire(graph: LineageGraph): z.input<typeof LineageGraphReply> {
  return { ...graph, nodes: graph.nodes.map(nodeToWire) };
}
