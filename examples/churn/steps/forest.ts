/**
 * A random forest of CART classification trees, after scikit-learn's RandomForestClassifier: each
 * tree grows on a bootstrap sample of the rows, each node splits on the best of `maxFeatures`
 * randomly drawn features (Gini impurity, the exact best threshold), and a leaf holds the share of
 * class 1 among its bootstrap samples. The forest's probability is the mean of the trees' leaves.
 *
 * Features are rounded to float32 before training, and a row takes the left branch when
 * `fround(value) <= threshold`: that is how onnxruntime's TreeEnsembleClassifier (float32 inputs
 * and thresholds, BRANCH_LEQ) walks the same trees, so the exported graph scores as this code does.
 */
import { mulberry32 } from './common.js';

export interface ForestParams {
  trees: number;
  maxDepth: number;
  /** A node with fewer samples than this is a leaf. */
  minSamplesSplit: number;
  /** No split leaves fewer samples than this on either side. */
  minSamplesLeaf: number;
  /** Features drawn per node; default ⌊√features⌋, scikit-learn's `max_features='sqrt'`. */
  maxFeatures?: number;
  seed: number;
}

/**
 * One tree as flat arrays indexed by node, the root at 0, every child after its parent. A leaf has
 * feature, left and right -1. `value` is the node's class-1 share (what a leaf predicts).
 */
export interface Tree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

export interface Forest {
  /** How many values a row has. */
  features: number;
  trees: Tree[];
}

/** Training rows by feature: float32 columns (see the module comment) and 0/1 labels. */
interface Samples {
  columns: Float32Array[];
  labels: Uint8Array;
}

interface Growth {
  samples: Samples;
  params: Required<ForestParams>;
  random: () => number;
}

interface Split {
  feature: number;
  threshold: number;
  /** Sum over both sides of samples × Gini impurity, halved: lower is better. */
  impurity: number;
}

export function trainForest(x: readonly (readonly number[])[], y: readonly number[], params: ForestParams): Forest {
  const features = x[0]?.length ?? 0;
  const checked = checkParams(params, features);
  const samples = toSamples(x, y, features);
  // One stream for the whole forest: the same seed always draws the same samples and features.
  const random = mulberry32(checked.seed);
  const trees: Tree[] = [];
  for (let t = 0; t < checked.trees; t++) {
    const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
    grow(tree, bootstrap(y.length, random), 0, { samples, params: checked, random });
    trees.push(tree);
  }
  return { features, trees };
}

/** The class-1 probability of `row`: the mean of the trees' leaf values. */
export function forestProbability(forest: Forest, row: readonly number[]): number {
  let sum = 0;
  for (const tree of forest.trees) sum += treeProbability(tree, row);
  return sum / forest.trees.length;
}

export function treeProbability(tree: Tree, row: readonly number[]): number {
  let node = 0;
  for (let feature = tree.feature[0]!; feature >= 0; feature = tree.feature[node]!) {
    // Both sides as float32, as onnxruntime compares them (NaN goes right there too).
    const left = Math.fround(row[feature]!) <= Math.fround(tree.threshold[node]!);
    node = left ? tree.left[node]! : tree.right[node]!;
  }
  return tree.value[node]!;
}

function checkParams(params: ForestParams, features: number): Required<ForestParams> {
  const maxFeatures = params.maxFeatures ?? Math.max(1, Math.floor(Math.sqrt(features)));
  const atLeast = (name: string, value: number, low: number) => {
    if (!Number.isInteger(value) || value < low) throw new Error(`forest: ${name} must be an integer ≥ ${low}`);
  };
  atLeast('trees', params.trees, 1);
  atLeast('maxDepth', params.maxDepth, 1);
  atLeast('minSamplesSplit', params.minSamplesSplit, 2);
  atLeast('minSamplesLeaf', params.minSamplesLeaf, 1);
  atLeast('maxFeatures', maxFeatures, 1);
  if (maxFeatures > features) throw new Error(`forest: maxFeatures ${maxFeatures} exceeds the ${features} features`);
  return { ...params, maxFeatures };
}

function toSamples(x: readonly (readonly number[])[], y: readonly number[], features: number): Samples {
  if (x.length === 0 || x.length !== y.length) throw new Error(`forest: ${x.length} rows for ${y.length} labels`);
  const columns = Array.from({ length: features }, () => new Float32Array(x.length));
  x.forEach((row, i) => {
    if (row.length !== features) throw new Error(`forest: row ${i} has ${row.length} values, not ${features}`);
    row.forEach((value, f) => (columns[f]![i] = value));
  });
  const labels = Uint8Array.from(y, (label, i) => {
    if (label !== 0 && label !== 1) throw new Error(`forest: label ${i} is ${label}, not 0 or 1`);
    return label;
  });
  return { columns, labels };
}

/** n draws with replacement: a row drawn twice counts twice, in impurities and in leaf values. */
function bootstrap(n: number, random: () => number): Int32Array {
  return Int32Array.from({ length: n }, () => Math.floor(random() * n));
}

/** Adds the node for `rows` and, when it splits, its subtrees (depth first); returns its index. */
function grow(tree: Tree, rows: Int32Array, depth: number, growth: Growth): number {
  const ones = countOnes(growth.samples.labels, rows);
  const node = tree.value.push(ones / rows.length) - 1;
  tree.feature.push(-1);
  tree.threshold.push(0);
  tree.left.push(-1);
  tree.right.push(-1);
  const { maxDepth, minSamplesSplit, minSamplesLeaf } = growth.params;
  const pure = ones === 0 || ones === rows.length;
  if (pure || depth >= maxDepth || rows.length < minSamplesSplit || rows.length < 2 * minSamplesLeaf) return node;
  const split = bestSplit(rows, ones, growth);
  if (split === undefined) return node;

  const column = growth.samples.columns[split.feature]!;
  tree.feature[node] = split.feature;
  tree.threshold[node] = split.threshold;
  tree.left[node] = grow(
    tree,
    rows.filter((row) => column[row]! <= split.threshold),
    depth + 1,
    growth,
  );
  tree.right[node] = grow(
    tree,
    rows.filter((row) => column[row]! > split.threshold),
    depth + 1,
    growth,
  );
  return node;
}

function countOnes(labels: Uint8Array, rows: Int32Array): number {
  let ones = 0;
  for (const row of rows) ones += labels[row]!;
  return ones;
}

/**
 * The best split over `maxFeatures` features drawn without replacement. As in scikit-learn, a
 * feature constant in the node counts as drawn, but drawing goes on past `maxFeatures` until one
 * feature could split; ties keep the feature drawn first. Undefined when no feature can split.
 */
function bestSplit(rows: Int32Array, ones: number, growth: Growth): Split | undefined {
  const { samples, params, random } = growth;
  const order = samples.columns.map((_, f) => f);
  let best: Split | undefined;
  for (let drawn = 0; drawn < order.length && (drawn < params.maxFeatures || best === undefined); drawn++) {
    const pick = drawn + Math.floor(random() * (order.length - drawn));
    [order[drawn], order[pick]] = [order[pick]!, order[drawn]!];
    const feature = order[drawn]!;
    const [zeros, positives] = sortedValuesByClass(samples, feature, rows, ones);
    const split = bestThreshold(zeros, positives, params.minSamplesLeaf);
    if (split !== undefined && (best === undefined || split.impurity < best.impurity)) best = { feature, ...split };
  }
  return best;
}

/**
 * The node's values of one feature, sorted, split by class. Sorting the two classes apart lets the
 * engine's numeric sort of typed arrays do the O(n log n) work with no comparator; a merge then
 * walks them in value order (see bestThreshold), which is all the split search needs.
 */
function sortedValuesByClass(
  samples: Samples,
  feature: number,
  rows: Int32Array,
  ones: number,
): [Float32Array, Float32Array] {
  const column = samples.columns[feature]!;
  const zeros = new Float32Array(rows.length - ones);
  const positives = new Float32Array(ones);
  let z = 0;
  let p = 0;
  for (const row of rows) {
    if (samples.labels[row] === 1) positives[p++] = column[row]!;
    else zeros[z++] = column[row]!;
  }
  return [zeros.sort(), positives.sort()];
}

/**
 * The threshold with the lowest weighted Gini impurity, tried between each pair of distinct
 * neighbouring values (rows with equal values never part) that leaves `minLeaf` samples a side.
 */
function bestThreshold(
  zeros: Float32Array,
  ones: Float32Array,
  minLeaf: number,
): { threshold: number; impurity: number } | undefined {
  const total = zeros.length + ones.length;
  let best: { threshold: number; impurity: number } | undefined;
  let z = 0;
  let o = 0;
  while (z + o < total) {
    const value = Math.min(zeros[z] ?? Infinity, ones[o] ?? Infinity);
    while (zeros[z] === value) z++;
    while (ones[o] === value) o++;
    const left = z + o;
    if (left === total) break;
    if (left < minLeaf || total - left < minLeaf) continue;
    const impurity = giniMass(z, o) + giniMass(zeros.length - z, ones.length - o);
    if (best === undefined || impurity < best.impurity) {
      best = { threshold: midpoint(value, Math.min(zeros[z] ?? Infinity, ones[o] ?? Infinity)), impurity };
    }
  }
  return best;
}

/** Samples × Gini impurity of a side, halved: n · 2p(1−p) / 2 = zeros · ones / n. */
function giniMass(zeros: number, ones: number): number {
  return (zeros * ones) / (zeros + ones);
}

/**
 * Halfway between two neighbouring float32 values, as scikit-learn places thresholds, but as a
 * float32 itself so that onnxruntime reads the very threshold trained. Rounding may land on the
 * upper value; then the lower one is used, as scikit-learn does, so `value <= threshold` still
 * parts the two.
 */
function midpoint(low: number, high: number): number {
  const middle = Math.fround(low / 2 + high / 2);
  return middle < high ? middle : low;
}
