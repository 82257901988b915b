import { InvalidArgumentError, type Command } from 'commander';
import { InvalidInputError } from '../common/errors.js';
import {
  DEFAULT_DEPTH,
  UPSTREAM_END,
  type EdgeType,
  type LineageDirection,
  type LineageEdge,
  type LineageGraph,
  type LineageNode,
  type WalkDirection,
} from '../lineage/index.js';
import { formatNumber, formatTime } from './format.js';
import { emit } from './output.js';
import { withLocalContext } from './local-context.js';

interface LineageOptions {
  upstream?: boolean;
  downstream?: boolean;
  depth: number;
  maxNodes?: number;
}

export function registerLineageCommand(program: Command): void {
  program
    .command('lineage')
    .description('what a run, an artifact or a dataset came from (upstream) and what used it (downstream)')
    .argument(
      '<node>',
      '<run-id>, sha256:<digest>, <run-id>/<artifact path>, dataset:<name>[@<digest>], model:<name>[/<version>], ' +
        'alert:<alert event id> or window:<monitor>/<result id>',
    )
    .option('--upstream', 'only what it came from')
    .option('--downstream', 'only what used it')
    .option('--depth <n>', 'hops to follow from the node', parseWholeNumber, DEFAULT_DEPTH)
    .option('--max-nodes <n>', 'stop after this many nodes', parseWholeNumber)
    .action(async (node: string, options: LineageOptions, command: Command) => {
      const direction = directionOf(options);
      // Always the local store: lineage reads pipeline tables no tracking server exposes to the SDK.
      const graph: LineageGraph = await withLocalContext((context) =>
        context.lineage.graph(node, {
          direction,
          depth: options.depth,
          ...(options.maxNodes === undefined ? {} : { maxNodes: options.maxNodes }),
        }),
      );
      emit(command, graph, () => renderLineage(graph));
    });
}

function directionOf(options: LineageOptions): LineageDirection {
  if (options.upstream && options.downstream) {
    throw new InvalidInputError('--upstream and --downstream exclude each other', {
      where: '--upstream',
      hint: 'give neither to see both ways',
    });
  }
  return options.upstream ? 'upstream' : options.downstream ? 'downstream' : 'both';
}

/**
 * The graph as one tree per root and direction: each node's line says how it relates to the line
 * above it. A node reached a second time is printed once more, marked, without its subtree again.
 */
export function renderLineage(graph: LineageGraph): string {
  const nodes = new Map(graph.nodes.map((node) => [node.id, node]));
  const walks: WalkDirection[] = graph.direction === 'both' ? ['upstream', 'downstream'] : [graph.direction];
  const lines: string[] = [];
  for (const rootId of graph.roots) {
    const root = nodes.get(rootId);
    if (!root) continue;
    if (lines.length > 0) lines.push('');
    lines.push(describeNode(root));
    for (const walk of walks) {
      const children = childrenBy(graph.edges, walk);
      if (walks.length > 1) lines.push(`${walk}:`);
      const shown = new Set([rootId]);
      const before = lines.length;
      renderChildren(rootId, '', walk, children, nodes, shown, lines);
      if (lines.length === before) lines.push(`└─ (nothing recorded ${walk})`);
    }
  }
  if (graph.truncated)
    lines.push(
      '',
      `… more nodes were left out (depth ${graph.depth}); ` +
        'narrow with --upstream/--downstream, --depth, or raise --max-nodes',
    );
  return lines.join('\n');
}

interface Child {
  id: string;
  edge: LineageEdge;
}

/** For each node, the nodes one hop further in this direction, in the order the walk found them. */
function childrenBy(edges: readonly LineageEdge[], walk: WalkDirection): Map<string, Child[]> {
  const children = new Map<string, Child[]>();
  for (const edge of edges) {
    const upstreamId = UPSTREAM_END[edge.type] === 'from' ? edge.from : edge.to;
    const downstreamId = upstreamId === edge.from ? edge.to : edge.from;
    const [parent, child] = walk === 'upstream' ? [downstreamId, upstreamId] : [upstreamId, downstreamId];
    const list = children.get(parent) ?? [];
    list.push({ id: child, edge });
    children.set(parent, list);
  }
  return children;
}

function renderChildren(
  parentId: string,
  prefix: string,
  walk: WalkDirection,
  children: Map<string, Child[]>,
  nodes: Map<string, LineageNode>,
  shown: Set<string>,
  lines: string[],
): void {
  const list = (children.get(parentId) ?? []).filter((child) => nodes.has(child.id));
  list.forEach((child, index) => {
    const last = index === list.length - 1;
    const node = nodes.get(child.id)!;
    const name = child.edge.name === undefined ? '' : `  [${child.edge.name}]`;
    const again = shown.has(child.id);
    lines.push(
      `${prefix}${last ? '└─' : '├─'} ${relation(child.edge.type, walk)}  ` +
        `${describeNode(node)}${name}${again ? '  (see above)' : ''}`,
    );
    if (again) return;
    shown.add(child.id);
    renderChildren(child.id, `${prefix}${last ? '   ' : '│  '}`, walk, children, nodes, shown, lines);
  });
}

/** How the child relates to its parent line, read in the direction of the tree. */
function relation(type: EdgeType, walk: WalkDirection): string {
  const upstream: Record<EdgeType, string> = {
    produced: 'produced by',
    consumed_by: 'input',
    contains: 'part of',
    cached_from: 'cached from',
    used_by: 'uses',
    fired: 'fired by',
    triggered: 'triggered by',
  };
  const downstream: Record<EdgeType, string> = {
    produced: 'output',
    consumed_by: 'consumed by',
    contains: 'contains',
    cached_from: 'reused by',
    used_by: 'used by',
    fired: 'fired',
    triggered: 'triggered',
  };
  return (walk === 'upstream' ? upstream : downstream)[type];
}

export function describeNode(node: LineageNode): string {
  switch (node.kind) {
    case 'run':
      if (node.role === 'pipeline') {
        const params = formatParams(node.params);
        return [
          `pipeline ${node.pipelineName ?? '?'}`,
          `run ${shortId(node.runId)}`,
          node.status,
          ...(params ? [`params ${params}`] : []),
        ].join('  ');
      }
      if (node.role === 'step') {
        return [
          `step ${node.stepName ?? '?'}#${node.attempt ?? '?'}`,
          node.status,
          `run ${shortId(node.runId)}`,
          ...(node.pipelineName === undefined ? [] : [`pipeline ${node.pipelineName}`]),
        ].join('  ');
      }
      return [`run ${shortId(node.runId)}`, node.runName, node.status].join('  ');
    case 'artifact':
      return `artifact ${shortDigest(node.digest)}`;
    case 'dataset':
      return `dataset ${node.name}@${shortDigest(node.digest)}`;
    case 'model':
      return `model ${node.name}${node.version === undefined ? '' : `/${node.version}`}`;
    case 'alert': {
      const series = [node.feature, node.segment].filter((part) => part !== undefined).join(' ');
      return [
        `alert ${node.alertId}`,
        `${node.monitor}/${node.rule}`,
        node.severity,
        `${node.metric}${series === '' ? '' : `[${series}]`}=${formatNumber(node.value)}`,
        formatTime(node.time),
      ].join('  ');
    }
    case 'window':
      return [
        `window ${node.monitor}/${node.resultId}`,
        ...(node.deployment === undefined ? [] : [`deployment ${node.deployment}`]),
        ...(node.model === undefined ? [] : [`model ${node.model}/${node.version ?? '?'}`]),
        `${formatTime(node.start)} .. ${formatTime(node.end)}`,
        `${node.rows} rows`,
        ...(node.status === 'ok' ? [] : [node.status]),
      ].join('  ');
  }
}

function shortId(id: string): string {
  return id.slice(0, 8);
}

/** `sha256:` and 12 hex digits: enough to tell digests apart by eye, and to grep the JSON. */
function shortDigest(digest: string): string {
  return digest.startsWith('sha256:') ? digest.slice(0, 7 + 12) : digest.slice(0, 16);
}

function formatParams(params: Record<string, unknown> | undefined): string {
  if (params === undefined) return '';
  const text = Object.entries(params)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

function parseWholeNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError('must be a whole number');
  return n;
}
