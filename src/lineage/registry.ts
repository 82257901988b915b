import type { Kysely } from 'kysely';
import { NotFoundError } from '../common/errors.js';
import type { Schema } from '../store/index.js';
import type { RunLookup } from './run-lookup.js';
import type { LineageEdge, LineageNode, NodeKind, NodeRef, WalkDirection } from './types.js';

/** What resolvers and edge sources share during one walk: the database and a cache of run nodes. */
export interface LineageSession {
  readonly db: Kysely<Schema>;
  readonly runs: RunLookup;
}

/** Finds the node(s) a parsed node string names; throws NotFoundError when there are none. */
export interface NodeResolver {
  readonly kind: NodeKind;
  resolve(ref: NodeRef, session: LineageSession): Promise<LineageNode[]>;
  /**
   * For a kind that belongs to a project (runs, model versions, alerts and windows): the node's project, which a
   * caller must be able to read to see it, from the capability that owns it; undefined when the resource is gone.
   */
  projectOf?(node: LineageNode, db: Kysely<Schema>): Promise<string | undefined>;
}

export interface Neighbour {
  node: LineageNode;
  edge: LineageEdge;
}

export interface Neighbours {
  found: Neighbour[];
  /** A fan-out limit cut the list short. */
  truncated: boolean;
}

/**
 * The nodes one hop upstream or downstream of a node, with the edges joining them. A source answers
 * for the kinds it knows and with nothing for the others, so a capability can add edges to nodes of
 * other kinds (a registered model downstream of the run that logged it) without touching these.
 */
export interface EdgeSource {
  neighbours(node: LineageNode, direction: WalkDirection, limit: number, session: LineageSession): Promise<Neighbours>;
}

/**
 * Node kinds and edges as capabilities provide them. The pipelines and tracking data register here
 * (`builtinLineageRegistry`); the model registry adds a `model` resolver and its edge source (`addModelLineage`),
 * monitoring `alert` and `window` resolvers and theirs (`addMonitoringLineage`).
 */
export class LineageRegistry {
  readonly #resolvers = new Map<NodeKind, NodeResolver>();
  readonly #sources: EdgeSource[] = [];

  addResolver(resolver: NodeResolver): this {
    this.#resolvers.set(resolver.kind, resolver);
    return this;
  }

  addEdgeSource(source: EdgeSource): this {
    this.#sources.push(source);
    return this;
  }

  get edgeSources(): readonly EdgeSource[] {
    return this.#sources;
  }

  /** The node's project, from its kind's resolver; undefined when the kind has none or the resource is gone. */
  async projectOf(node: LineageNode, db: Kysely<Schema>): Promise<string | undefined> {
    return this.#resolvers.get(node.kind)?.projectOf?.(node, db);
  }

  async resolve(ref: NodeRef, session: LineageSession): Promise<LineageNode[]> {
    const resolver = this.#resolvers.get(ref.kind);
    if (!resolver) {
      // A kind the syntax knows but no capability provides yet: not there, rather than malformed.
      throw new NotFoundError(
        ref.kind === 'model'
          ? 'no model registry exists yet, so there is no model ' +
              `${ref.name}${ref.version === undefined ? '' : `/${ref.version}`}`
          : `no ${ref.kind} nodes are known to lineage`,
        {
          where: 'node',
          hint: 'ask about the run that produced it (<run-id>), or its artifact (sha256:<digest> or <run-id>/<path>)',
        },
      );
    }
    return resolver.resolve(ref, session);
  }
}
