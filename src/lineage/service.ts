import type { Kysely } from 'kysely';
import { InvalidInputError, NotFoundError } from '../common/errors.js';
import type { Schema } from '../store/index.js';
import { builtinLineageRegistry } from './builtin.js';
import { parseNodeRef } from './node-ref.js';
import type { LineageRegistry, LineageSession } from './registry.js';
import { RunLookup } from './run-lookup.js';
import { hasProject, Visibility } from './visibility.js';
import {
  DEFAULT_DEPTH,
  DEFAULT_MAX_NODES,
  FAN_OUT_LIMIT,
  LINEAGE_DIRECTIONS,
  MAX_DEPTH,
  MAX_NODES,
  type GraphOptions,
  type LineageEdge,
  type LineageGraph,
  type LineageNode,
  type WalkDirection,
} from './types.js';

/**
 * Upstream and downstream of a run, an artifact or a dataset, from what the scheduler and tracking
 * already recorded. A walk is breadth-first, one hop per level, bounded by depth and a node cap.
 */
export class LineageService {
  readonly #db: Kysely<Schema>;
  readonly registry: LineageRegistry;

  constructor(db: Kysely<Schema>, registry: LineageRegistry = builtinLineageRegistry()) {
    this.#db = db;
    this.registry = registry;
  }

  /**
   * `both` is an upstream walk and a downstream walk from the same root, not a walk that turns
   * around: turning around at a shared input would pull in every sibling that read it.
   */
  async graph(node: string, options: GraphOptions = {}): Promise<LineageGraph> {
    const direction = options.direction ?? 'both';
    if (!(LINEAGE_DIRECTIONS as readonly string[]).includes(direction)) {
      throw new InvalidInputError(`direction must be one of ${LINEAGE_DIRECTIONS.join(', ')}`, { where: 'direction' });
    }
    const depth = bounded(options.depth, DEFAULT_DEPTH, 0, MAX_DEPTH, 'depth');
    const maxNodes = bounded(options.maxNodes, DEFAULT_MAX_NODES, 1, MAX_NODES, 'maxNodes');
    const ref = parseNodeRef(node);
    const session: LineageSession = { db: this.#db, runs: new RunLookup(this.#db) };
    const visibility = new Visibility(this.#db, this.registry, options.readable ?? 'all');
    const roots = await this.#visibleRoots(await this.registry.resolve(ref, session), node, visibility, session);

    const builder = new GraphBuilder(maxNodes);
    for (const root of roots) builder.addNode(root);
    const walks: WalkDirection[] = direction === 'both' ? ['upstream', 'downstream'] : [direction];
    for (const walk of walks) await this.#walk(roots, walk, depth, builder, session, visibility);
    const shown = visibility.prune(builder.nodes(), builder.edges());
    // Roots were judged on their own (the route checks run and model roots, #visibleRoots content roots).
    const kept = new Set([...roots, ...shown.nodes].map((n) => n.id));
    const nodes = builder.nodes().filter((n) => kept.has(n.id));
    return {
      roots: roots.map((root) => root.id),
      direction,
      depth,
      nodes,
      edges: shown.edges,
      truncated: builder.truncated,
    };
  }

  /**
   * The roots the caller may see. A run or model version root in a project the caller cannot read
   * is refused by the route before this, an alert or window root here (the route cannot tell its
   * monitor); an artifact or dataset root is shown only when a node with a project the caller may
   * see is joined to it. Both answer as not found otherwise.
   */
  async #visibleRoots(
    roots: LineageNode[],
    node: string,
    visibility: Visibility,
    session: LineageSession,
  ): Promise<LineageNode[]> {
    if (visibility.everything) return roots;
    const visible: LineageNode[] = [];
    for (const root of roots) {
      if (hasProject(root) ? await visibility.admits(root) : await this.#joinedToVisible(root, visibility, session))
        visible.push(root);
    }
    if (visible.length === 0)
      throw new NotFoundError(`no run or model you may read is joined to ${node}`, { where: 'node' });
    return visible;
  }

  async #joinedToVisible(content: LineageNode, visibility: Visibility, session: LineageSession): Promise<boolean> {
    for (const direction of ['upstream', 'downstream'] as const) {
      for (const source of this.registry.edgeSources) {
        const { found } = await source.neighbours(content, direction, FAN_OUT_LIMIT, session);
        for (const { node } of found) if (hasProject(node) && (await visibility.admits(node))) return true;
      }
    }
    return false;
  }

  async #walk(
    roots: LineageNode[],
    direction: WalkDirection,
    depth: number,
    builder: GraphBuilder,
    session: LineageSession,
    visibility: Visibility,
  ): Promise<void> {
    const seen = new Set(roots.map((root) => root.id));
    let frontier = roots;
    for (let level = 0; level < depth && frontier.length > 0; level += 1) {
      const next: LineageNode[] = [];
      for (const node of frontier) {
        for (const source of this.registry.edgeSources) {
          const { found, truncated } = await source.neighbours(node, direction, FAN_OUT_LIMIT, session);
          if (truncated) builder.truncated = true;
          for (const { node: neighbour, edge } of found) {
            // A node the caller may not see is neither shown nor walked through.
            if (!(await visibility.admits(neighbour))) continue;
            if (!builder.addNode(neighbour)) continue;
            builder.addEdge(edge);
            if (!seen.has(neighbour.id)) {
              seen.add(neighbour.id);
              next.push(neighbour);
            }
          }
        }
        if (builder.full) {
          // Nodes still to expand may lead to more than the cap allows: say the answer is partial.
          builder.truncated = true;
          return;
        }
      }
      frontier = next;
    }
  }
}

/** Nodes in discovery order, each once; an edge only between nodes that made it in. */
class GraphBuilder {
  readonly #maxNodes: number;
  readonly #nodes = new Map<string, LineageNode>();
  readonly #edges = new Map<string, LineageEdge>();
  truncated = false;

  constructor(maxNodes: number) {
    this.#maxNodes = maxNodes;
  }

  get full(): boolean {
    return this.#nodes.size >= this.#maxNodes;
  }

  /** False when the node is not in the graph and there is no room left for it. */
  addNode(node: LineageNode): boolean {
    if (this.#nodes.has(node.id)) return true;
    if (this.full) {
      this.truncated = true;
      return false;
    }
    this.#nodes.set(node.id, node);
    return true;
  }

  addEdge(edge: LineageEdge): void {
    const key = `${edge.from}\u0000${edge.type}\u0000${edge.to}`;
    if (!this.#edges.has(key)) this.#edges.set(key, edge);
  }

  nodes(): LineageNode[] {
    return [...this.#nodes.values()];
  }

  edges(): LineageEdge[] {
    return [...this.#edges.values()];
  }
}

function bounded(value: number | undefined, fallback: number, min: number, max: number, where: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidInputError(`${where} must be a whole number from ${min} to ${max}`, { where });
  }
  return value;
}
