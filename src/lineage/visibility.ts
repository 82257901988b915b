import type { Kysely } from 'kysely';
import type { Schema } from '../store/index.js';
import type { LineageRegistry } from './registry.js';
import type { LineageEdge, LineageNode } from './types.js';

/**
 * Kinds that belong to a project: runs (their experiment's), model versions (their model's), alerts and monitor
 * windows (their monitor's). A node of another kind is content, shown only next to one of these.
 */
export function hasProject(node: LineageNode): boolean {
  return node.kind === 'run' || node.kind === 'model' || node.kind === 'alert' || node.kind === 'window';
}

/**
 * What a caller may see of a graph. Runs, model versions, alerts and monitor windows belong to a project and are
 * shown only where the caller may read; an alert or window whose monitor is gone has no project and is hidden.
 * Artifacts and logged datasets are content, known by digest, with no project of their own: one is shown only when
 * it is joined to a node the caller may see, since that is where the caller could have read it.
 * A hidden node is not expanded, so nothing beyond it is reached through it.
 */
export class Visibility {
  readonly #db: Kysely<Schema>;
  readonly #registry: LineageRegistry;
  readonly #readable: ReadonlySet<string> | 'all';
  readonly #projects = new Map<string, Promise<string | undefined>>();

  /** `registry` answers the project of a run or a model version, through the capability that owns it. */
  constructor(db: Kysely<Schema>, registry: LineageRegistry, readable: readonly string[] | 'all') {
    this.#db = db;
    this.#registry = registry;
    this.#readable = readable === 'all' ? 'all' : new Set(readable);
  }

  get everything(): boolean {
    return this.#readable === 'all';
  }

  /** Whether the node may be shown and walked from; content nodes wait for `prune`. */
  async admits(node: LineageNode): Promise<boolean> {
    if (this.#readable === 'all') return true;
    switch (node.kind) {
      case 'run':
        return this.#readableProject(`run:${node.runId}`, () => this.#registry.projectOf(node, this.#db));
      case 'model':
        return this.#readableProject(`model:${node.name}`, () => this.#registry.projectOf(node, this.#db));
      case 'alert':
      case 'window':
        // Both are judged by their monitor's project, asked once per monitor.
        return this.#readableProject(`monitor:${node.monitor}`, () => this.#registry.projectOf(node, this.#db));
      case 'artifact':
      case 'dataset':
        return true;
    }
  }

  /**
   * Drops content nodes (artifacts, datasets) that no shown node with a project is joined to, and
   * their edges. With everything readable the graph is left as it is.
   */
  prune(nodes: LineageNode[], edges: LineageEdge[]): { nodes: LineageNode[]; edges: LineageEdge[] } {
    if (this.#readable === 'all') return { nodes, edges };
    const owners = new Set(nodes.filter(hasProject).map((node) => node.id));
    const joined = new Set<string>();
    for (const edge of edges) {
      if (owners.has(edge.from)) joined.add(edge.to);
      if (owners.has(edge.to)) joined.add(edge.from);
    }
    const kept = nodes.filter((node) => owners.has(node.id) || joined.has(node.id));
    const keptIds = new Set(kept.map((node) => node.id));
    return { nodes: kept, edges: edges.filter((edge) => keptIds.has(edge.from) && keptIds.has(edge.to)) };
  }

  async #readableProject(key: string, lookup: () => Promise<string | undefined>): Promise<boolean> {
    let project = this.#projects.get(key);
    if (project === undefined) {
      project = lookup();
      this.#projects.set(key, project);
    }
    const found = await project;
    return found !== undefined && this.#readable !== 'all' && this.#readable.has(found);
  }
}
