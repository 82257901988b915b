import { z } from 'zod';

/**
 * The lineage graph as JSON: the shape `ciclo lineage --json` prints (`GET /api/v1/lineage` answers
 * it with snake_case field names, wire.ts). The types are inferred from the zod schemas.
 */

export const NODE_KINDS = ['run', 'artifact', 'dataset', 'model', 'alert', 'window'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

export const LINEAGE_DIRECTIONS = ['upstream', 'downstream', 'both'] as const;
export type LineageDirection = (typeof LINEAGE_DIRECTIONS)[number];
/** One way of a walk; `both` is an upstream walk and a downstream walk from the same nodes. */
export type WalkDirection = Exclude<LineageDirection, 'both'>;

/**
 * Every edge reads as a sentence `from <type> to`: a step run *produced* an artifact, an artifact
 * was *consumed_by* a step run, a pipeline run *contains* a step run, a cached step run was
 * *cached_from* its source step run, a dataset was *used_by* a run, a monitor's window of traffic *fired* an
 * alert, an alert *triggered* a pipeline run.
 */
export const EDGE_TYPES = [
  'produced',
  'consumed_by',
  'contains',
  'cached_from',
  'used_by',
  'fired',
  'triggered',
] as const;
export type EdgeType = (typeof EDGE_TYPES)[number];

/**
 * Which end of an edge is upstream. All but one point with the flow of data; `cached_from` points
 * from the copy back to the execution whose outputs it reused, which came first.
 */
export const UPSTREAM_END: Readonly<Record<EdgeType, 'from' | 'to'>> = {
  produced: 'from',
  consumed_by: 'from',
  contains: 'from',
  cached_from: 'to',
  used_by: 'from',
  fired: 'from',
  triggered: 'from',
};

const RunRole = z.enum(['pipeline', 'step', 'run']);

export const RunNodeSchema = z.object({
  id: z.string(),
  kind: z.literal('run'),
  runId: z.string(),
  /** A pipeline run, one attempt of one of its steps, or any other tracked run. */
  role: RunRole,
  runName: z.string(),
  /** The pipeline run's or the step execution's status for those roles, the tracked run's otherwise. */
  status: z.string(),
  startTime: z.number(),
  pipelineName: z.string().optional(),
  pipelineRunId: z.string().optional(),
  stepName: z.string().optional(),
  attempt: z.number().optional(),
  /** A pipeline run's resolved params: where its raw inputs came from. */
  params: z.record(z.string(), z.unknown()).optional(),
  gitCommit: z.string().optional(),
  triggerName: z.string().optional(),
  cachedFromRunId: z.string().optional(),
});

export const ArtifactNodeSchema = z.object({
  id: z.string(),
  kind: z.literal('artifact'),
  /** `sha256:…` of a file's bytes, or of a folder's files (see src/pipelines/output-digest.ts). */
  digest: z.string(),
});

export const DatasetNodeSchema = z.object({
  id: z.string(),
  kind: z.literal('dataset'),
  name: z.string(),
  digest: z.string(),
});

/** A registered model's version, made by the model registry's resolver (src/registry/lineage.ts). */
export const ModelNodeSchema = z.object({
  id: z.string(),
  kind: z.literal('model'),
  name: z.string(),
  version: z.string().optional(),
});

/** A FIRING alert event, made by monitoring's resolver (src/monitoring/lineage.ts). */
export const AlertNodeSchema = z.object({
  id: z.string(),
  kind: z.literal('alert'),
  /** The `alert_events` row. */
  alertId: z.number(),
  monitor: z.string(),
  deployment: z.string(),
  rule: z.string(),
  metric: z.string(),
  feature: z.string().optional(),
  segment: z.string().optional(),
  /** The value that breached the rule; null when the rule fired on a value that could not be computed. */
  value: z.number().nullable(),
  severity: z.string(),
  time: z.number(),
});

/** One monitor run over a window of a deployment's captured traffic (a `monitor_results` row). */
export const WindowNodeSchema = z.object({
  id: z.string(),
  kind: z.literal('window'),
  monitor: z.string(),
  resultId: z.number(),
  /** Deployment and served version as the run recorded them; absent when the run failed before it read them. */
  deployment: z.string().optional(),
  model: z.string().optional(),
  version: z.number().optional(),
  /** The window of captured traffic, epoch milliseconds, start inclusive, end exclusive. */
  start: z.number(),
  end: z.number(),
  rows: z.number(),
  status: z.string(),
});

export const LineageNodeSchema = z.discriminatedUnion('kind', [
  RunNodeSchema,
  ArtifactNodeSchema,
  DatasetNodeSchema,
  ModelNodeSchema,
  AlertNodeSchema,
  WindowNodeSchema,
]);

export const LineageEdgeSchema = z.object({
  from: z.string(),
  to: z.string(),
  type: z.enum(EDGE_TYPES),
  /** The input or output name (`data`), or the artifact path, the edge was recorded under. */
  name: z.string().optional(),
});

export const LineageGraphSchema = z.object({
  /** The node(s) the node string named: `dataset:<name>` names every version of the dataset. */
  roots: z.array(z.string()),
  direction: z.enum(LINEAGE_DIRECTIONS),
  depth: z.number(),
  nodes: z.array(LineageNodeSchema),
  edges: z.array(LineageEdgeSchema),
  /** True when the node cap or a per-node fan-out limit left nodes out. */
  truncated: z.boolean(),
});

export type RunNode = z.infer<typeof RunNodeSchema>;
export type ArtifactNode = z.infer<typeof ArtifactNodeSchema>;
export type DatasetNode = z.infer<typeof DatasetNodeSchema>;
export type ModelNode = z.infer<typeof ModelNodeSchema>;
export type AlertNode = z.infer<typeof AlertNodeSchema>;
export type WindowNode = z.infer<typeof WindowNodeSchema>;
export type LineageNode = z.infer<typeof LineageNodeSchema>;
export type LineageEdge = z.infer<typeof LineageEdgeSchema>;
export type LineageGraph = z.infer<typeof LineageGraphSchema>;

/** A node string, parsed (`parseNodeRef`); what it names is looked up by the resolver of its kind. */
export type NodeRef =
  | { kind: 'run'; runId: string }
  | { kind: 'artifact'; digest: string }
  | { kind: 'artifact'; runId: string; path: string }
  | { kind: 'dataset'; name: string; digest?: string }
  | { kind: 'model'; name: string; version?: string }
  | { kind: 'alert'; alertId: number }
  | { kind: 'window'; monitor: string; resultId: number };

export interface GraphOptions {
  /** Default `both`. */
  direction?: LineageDirection;
  /** Hops from the root; default DEFAULT_DEPTH, at most MAX_DEPTH. */
  depth?: number;
  /** Nodes in the answer; default DEFAULT_MAX_NODES, at most MAX_NODES. */
  maxNodes?: number;
  /** The projects whose runs and models the caller may see (`readableProjects`); default all. */
  readable?: readonly string[] | 'all';
}

export const DEFAULT_DEPTH = 10;
export const MAX_DEPTH = 50;
export const DEFAULT_MAX_NODES = 500;
export const MAX_NODES = 5000;
/** Neighbours read per node and edge kind: a digest every run shares (an empty file) must not flood the walk. */
export const FAN_OUT_LIMIT = 200;

export function runNodeId(runId: string): string {
  return `run:${runId}`;
}

export function artifactNodeId(digest: string): string {
  return `artifact:${digest}`;
}

export function datasetNodeId(name: string, digest: string): string {
  return `dataset:${name}@${digest}`;
}

export function alertNodeId(alertId: number): string {
  return `alert:${alertId}`;
}

export function windowNodeId(monitor: string, resultId: number): string {
  return `window:${monitor}/${resultId}`;
}
