/**
 * The churn model as an ONNX graph that takes the raw columns, so a runtime serves it with no code
 * of ours: one graph input per column of the package's signature ([N, 1]: double for numbers,
 * string for categories); each number Cast to float, each category one-hot encoded by ai.onnx.ml's
 * OneHotEncoder (an unknown category gives all zeros, as `encodeRow` does); the features
 * concatenated in the encoding's order into ai.onnx.ml's TreeEnsembleClassifier; its class-1
 * probability column Cast back to double as the one output `churn_score`, [N, 1] like the inputs.
 */
import { writeFile } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import type { Column, Encoding } from './features.js';
import type { Forest } from './forest.js';
import type { ModelFile } from './model.js';

const { onnx } = onnxProto;
type Node = onnxProto.onnx.INodeProto;
type Attribute = onnxProto.onnx.IAttributeProto;
type ValueInfo = onnxProto.onnx.IValueInfoProto;

const { FLOAT, DOUBLE, STRING, INT64 } = onnx.TensorProto.DataType;
const { FLOATS, INT, INTS, STRING: ONE_STRING, STRINGS } = onnx.AttributeProto.AttributeType;
const ML = 'ai.onnx.ml';
/**
 * Opset 17 runs on onnxruntime 1.12 and later. ai.onnx.ml 3 for TreeEnsembleClassifier: from 5 on
 * it is deprecated (TreeEnsemble replaces it) and onnxruntime refuses a graph that uses it there.
 */
const OPSETS = [
  { domain: '', version: 17 },
  { domain: ML, version: 3 },
];
export const SCORE_OUTPUT = 'churn_score';

/** The graph's bytes; the same model always gives the same bytes. */
export function onnxModel(model: ModelFile): Uint8Array {
  const encoders = encodeColumns(model.encoding);
  const graph: onnxProto.onnx.IGraphProto = {
    name: 'churn',
    input: encoders.inputs,
    output: [tensorInfo(SCORE_OUTPUT, DOUBLE)],
    initializer: [int64Tensor('class_1', [1]), int64Tensor('class_1_end', [2]), int64Tensor('columns_axis', [1])],
    node: [
      ...encoders.nodes,
      node('Concat', encoders.features, ['features'], [int('axis', 1)]),
      treeEnsemble(model.forest, 'features', ['label', 'probabilities']),
      node('Slice', ['probabilities', 'class_1', 'class_1_end', 'columns_axis'], ['churn_probability']),
      node('Cast', ['churn_probability'], [SCORE_OUTPUT], [int('to', DOUBLE)]),
    ],
  };
  return onnx.ModelProto.encode({
    irVersion: 8,
    producerName: 'ciclo-example-churn',
    opsetImport: OPSETS,
    graph,
  }).finish();
}

export async function writeOnnx(file: string, model: ModelFile): Promise<void> {
  await writeFile(file, onnxModel(model));
}

/** The graph inputs and the nodes that turn them into the float feature blocks `features` ([N, k] each). */
interface Encoders {
  inputs: ValueInfo[];
  nodes: Node[];
  features: string[];
}

/** A numeric feature, or a run of one-hot features of one column (their categories in order). */
type FeatureGroup = { column: Column; categories?: string[] };

/**
 * One graph input per column and its encoder, in the encoding's order, so the concatenated
 * features line up with `encodeRow`'s: a number is Cast to float; a category goes through
 * OneHotEncoder, which appends the category axis ([N, 1] → [N, 1, k]), and Flatten makes that [N, k].
 */
function encodeColumns(encoding: Encoding): Encoders {
  const encoders: Encoders = { inputs: [], nodes: [], features: [] };
  for (const { column, categories } of featureGroups(encoding)) {
    if (encoders.inputs.some((input) => input.name === column))
      throw new Error(`the encoding uses column ${column} in two places; the graph takes each column once`);
    if (categories === undefined) {
      encoders.inputs.push(tensorInfo(column, DOUBLE));
      encoders.nodes.push(node('Cast', [column], [`${column}_float`], [int('to', FLOAT)]));
      encoders.features.push(`${column}_float`);
      continue;
    }
    const encoded = `${column}_one_hot`;
    encoders.inputs.push(tensorInfo(column, STRING));
    encoders.nodes.push(
      node('OneHotEncoder', [column], [encoded], [strings('cats_strings', categories), int('zeros', 1)], ML),
      node('Flatten', [encoded], [`${encoded}_flat`], [int('axis', 1)]),
    );
    encoders.features.push(`${encoded}_flat`);
  }
  return encoders;
}

function featureGroups(encoding: Encoding): FeatureGroup[] {
  const groups: FeatureGroup[] = [];
  let previous: FeatureGroup | undefined;
  for (const feature of encoding.features) {
    if (feature.kind === 'one-hot' && previous?.categories !== undefined && previous.column === feature.column) {
      previous.categories.push(feature.value);
      continue;
    }
    previous = { column: feature.column, ...(feature.kind === 'one-hot' ? { categories: [feature.value] } : {}) };
    groups.push(previous);
  }
  return groups;
}

/**
 * The forest as one TreeEnsembleClassifier giving both classes' probabilities [N, 2]. A row takes
 * the true (left) branch when `feature <= threshold` (BRANCH_LEQ, in float32: forest.ts trains its
 * thresholds so). Each leaf gives both classes a weight, (1 − p)/T and p/T, so each output is a
 * plain sum over the trees: with class-1 weights only, onnxruntime would take its binary case,
 * which derives class 0 from class 1 by rules of its own.
 */
function treeEnsemble(forest: Forest, input: string, outputs: [string, string]): Node {
  const settings = [ints('classlabels_int64s', [0, 1]), string('post_transform', 'NONE')];
  return node(
    'TreeEnsembleClassifier',
    [input],
    outputs,
    [...treeNodes(forest), ...leafWeights(forest), ...settings],
    ML,
  );
}

/** Every node of every tree, as the operator's parallel arrays; a leaf's feature and threshold are unused. */
function treeNodes(forest: Forest): Attribute[] {
  const at = { tree: [] as number[], node: [] as number[], feature: [] as number[], threshold: [] as number[] };
  const branch = { mode: [] as string[], left: [] as number[], right: [] as number[] };
  forest.trees.forEach((tree, t) => {
    tree.feature.forEach((feature, id) => {
      const leaf = feature < 0;
      at.tree.push(t);
      at.node.push(id);
      at.feature.push(leaf ? 0 : feature);
      at.threshold.push(leaf ? 0 : tree.threshold[id]!);
      branch.mode.push(leaf ? 'LEAF' : 'BRANCH_LEQ');
      branch.left.push(leaf ? 0 : tree.left[id]!);
      branch.right.push(leaf ? 0 : tree.right[id]!);
    });
  });
  return [
    ints('nodes_treeids', at.tree),
    ints('nodes_nodeids', at.node),
    ints('nodes_featureids', at.feature),
    floats('nodes_values', at.threshold),
    strings('nodes_modes', branch.mode),
    ints('nodes_truenodeids', branch.left),
    ints('nodes_falsenodeids', branch.right),
  ];
}

function leafWeights(forest: Forest): Attribute[] {
  const at = { tree: [] as number[], node: [] as number[], class: [] as number[], weight: [] as number[] };
  const share = 1 / forest.trees.length;
  forest.trees.forEach((tree, t) => {
    tree.feature.forEach((feature, id) => {
      if (feature >= 0) return;
      const p = tree.value[id]!;
      at.tree.push(t, t);
      at.node.push(id, id);
      at.class.push(0, 1);
      at.weight.push((1 - p) * share, p * share);
    });
  });
  return [
    ints('class_treeids', at.tree),
    ints('class_nodeids', at.node),
    ints('class_ids', at.class),
    floats('class_weights', at.weight),
  ];
}

function node(opType: string, input: string[], output: string[], attribute: Attribute[] = [], domain = ''): Node {
  return { opType, domain, input, output, attribute, name: output[0]! };
}

/** A tensor [N, 1]: N rows, named by the symbolic dimension so any batch size goes. */
function tensorInfo(name: string, elemType: number): ValueInfo {
  return { name, type: { tensorType: { elemType, shape: { dim: [{ dimParam: 'N' }, { dimValue: 1 }] } } } };
}

function int64Tensor(name: string, values: number[]): onnxProto.onnx.ITensorProto {
  return { name, dataType: INT64, dims: [values.length], int64Data: values };
}

const text = new TextEncoder();

function int(name: string, i: number): Attribute {
  return { name, type: INT, i };
}

function ints(name: string, values: number[]): Attribute {
  return { name, type: INTS, ints: values };
}

function floats(name: string, values: number[]): Attribute {
  return { name, type: FLOATS, floats: values };
}

function string(name: string, value: string): Attribute {
  return { name, type: ONE_STRING, s: text.encode(value) };
}

function strings(name: string, values: readonly string[]): Attribute {
  return { name, type: STRINGS, strings: values.map((value) => text.encode(value)) };
}
