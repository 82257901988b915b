/** One import between two files, as dependency-cruiser resolved it (paths relative to the checked root). */
export interface ImportEdge {
  from: string;
  to: string;
}

/** A top-level folder of src/ importing another that imports it back, directly or through others. */
export interface FolderCycleViolation {
  /** The importing folder, `src/NAME`. */
  from: string;
  /** The imported folder, `src/NAME`. */
  to: string;
  /** The folders of the cycle this edge closes, starting and ending with the importing folder. */
  cycle: string[];
  /** The imports that make up the edge. */
  imports: ImportEdge[];
}

/**
 * The folder a file belongs to: its top-level folder of src/, except that governance/approvals counts on its own,
 * as it is imported on its own (approvals sit above the registry, access control and audit below it).
 */
const TOP_LEVEL_FOLDER = /^src\/(governance\/approvals|[^/]+)\//;

function topLevelFolder(path: string): string | undefined {
  const name = TOP_LEVEL_FOLDER.exec(path)?.[1];
  return name === undefined ? undefined : `src/${name}`;
}

/**
 * Every edge between top-level folders of src/ that lies on a cycle. A folder is judged whole (src/data/steps
 * belongs to data), so two folders that import each other through unrelated files form a cycle too.
 */
export function findFolderCycles(imports: readonly ImportEdge[]): FolderCycleViolation[] {
  const edges = new Map<string, Map<string, ImportEdge[]>>();
  for (const edge of imports) {
    const from = topLevelFolder(edge.from);
    const to = topLevelFolder(edge.to);
    if (from === undefined || to === undefined || from === to) continue;
    const targets = edges.get(from) ?? new Map<string, ImportEdge[]>();
    edges.set(from, targets);
    targets.set(to, [...(targets.get(to) ?? []), edge]);
  }
  const violations: FolderCycleViolation[] = [];
  for (const [from, targets] of edges) {
    for (const [to, edgeImports] of targets) {
      const back = shortestPath(edges, to, from);
      if (back) violations.push({ from, to, cycle: [from, ...back], imports: edgeImports });
    }
  }
  return violations;
}

/** The folders from `start` to `goal` along the fewest imports (breadth first), or undefined when unreachable. */
function shortestPath(
  graph: ReadonlyMap<string, ReadonlyMap<string, unknown>>,
  start: string,
  goal: string,
): string[] | undefined {
  const cameFrom = new Map<string, string | undefined>([[start, undefined]]);
  const queue = [start];
  for (let folder = queue.shift(); folder !== undefined; folder = queue.shift()) {
    if (folder === goal) {
      const path: string[] = [];
      for (let step: string | undefined = folder; step !== undefined; step = cameFrom.get(step)) path.unshift(step);
      return path;
    }
    for (const next of graph.get(folder)?.keys() ?? []) {
      if (!cameFrom.has(next)) {
        cameFrom.set(next, folder);
        queue.push(next);
      }
    }
  }
  return undefined;
}
