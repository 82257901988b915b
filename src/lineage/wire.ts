import { z } from 'zod';
import {
  ArtifactNodeSchema,
  DatasetNodeSchema,
  LineageEdgeSchema,
  LineageGraphSchema,
  ModelNodeSchema,
  RunNodeSchema,
  type LineageGraph,
  type LineageNode,
  type RunNode,
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

export const LineageGraphReply = LineageGraphSchema.extend({
  nodes: z.array(z.discriminatedUnion('kind', [RunNodeReply, ArtifactNodeSchema, DatasetNodeSchema, ModelNodeSchema])),
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

function nodeToWire(node: LineageNode) {
  return node.kind === 'run' ? runNodeToWire(node) : node;
}

export function graphToWire(graph: LineageGraph): z.input<typeof LineageGraphReply> {
  return { ...graph, nodes: graph.nodes.map(nodeToWire) };
}
