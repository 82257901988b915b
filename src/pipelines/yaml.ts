import { readFile } from 'node:fs/promises';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { InvalidInputError, NotFoundError } from '../common/errors.js';
import { compilePipeline } from './compile.js';
import type { FieldPath, SourceMap } from './definition-error.js';
import type { PipelineDefinition } from './definition.js';
import { builtinStepKinds, type StepKindRegistry } from './step-kinds.js';

export interface LoadOptions {
  registry?: StepKindRegistry;
}

/** Parses and compiles a `pipeline.yaml`; every error names `file:line:col`. */
export function loadPipelineYaml(text: string, fileName: string, options: LoadOptions = {}): PipelineDefinition {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${fileName}:${line}:${col}`;
  };
  const syntaxError = document.errors[0];
  if (syntaxError) {
    throw new InvalidInputError(`invalid YAML: ${syntaxError.message}`, { where: position(syntaxError.pos[0]) });
  }
  return compilePipeline(document.toJS(), {
    registry: options.registry ?? builtinStepKinds(),
    source: yamlSourceMap(document, position),
  });
}

export async function loadPipelineFile(path: string, options: LoadOptions = {}): Promise<PipelineDefinition> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new NotFoundError(`pipeline file ${path} does not exist`);
  }
  return loadPipelineYaml(text, path, options);
}

/**
 * Walks the field path through the YAML nodes. A path that ends in a field that is not there (a
 * missing required field) stops at the deepest node that is, which is the map that should hold it.
 */
function yamlSourceMap(document: Document, position: (offset: number) => string): SourceMap {
  return {
    locate(path: FieldPath, target: 'key' | 'value'): string {
      let node: unknown = document.contents;
      let located = node as Node | null;
      for (const [index, segment] of path.entries()) {
        node = isAlias(node) ? node.resolve(document) : node;
        const child = childOf(node, segment);
        if (!child) break;
        const last = index === path.length - 1;
        const preferKey = (last && target === 'key') || !child.value;
        located = (preferKey ? child.key : child.value) ?? child.key ?? child.value ?? located;
        node = child.value;
      }
      return position(located?.range?.[0] ?? 0);
    },
  };
}

function childOf(node: unknown, segment: string | number): { key: Node | null; value: Node | null } | undefined {
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment];
    return item === undefined ? undefined : { key: null, value: item as Node | null };
  }
  if (!isMap(node)) return undefined;
  const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
  return pair ? { key: pair.key as Node, value: pair.value as Node | null } : undefined;
}
