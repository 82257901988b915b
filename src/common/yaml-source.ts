import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { InvalidInputError } from './errors.js';
import { formatPath } from './validation.js';

/**
 * What every YAML-written definition (pipelines, expectation suites) shares: parse with positions,
 * map a field path back to `file:line:col`, and turn a zod issue into one problem with its path.
 */

export type FieldPath = readonly (string | number)[];

/** One thing wrong with a definition, found before anything runs. */
export interface DefinitionProblem {
  path: FieldPath;
  message: string;
  hint?: string;
  /** Point at the key rather than its value (an unknown field, a bad record key). */
  atKey?: boolean;
}

/** Maps a field path back to where it was written, as `file:line:col`. */
export interface SourceMap {
  locate(path: FieldPath, target: 'key' | 'value'): string;
}

/**
 * The message always starts with the field path (`subject` when the path is empty); `where` is the
 * file position when the definition came from a file and the field path otherwise, as `parseInput`
 * does for JSON.
 */
export function definitionProblemError(
  problem: DefinitionProblem,
  source: SourceMap | undefined,
  subject: string,
): InvalidInputError {
  const field = formatPath('', problem.path);
  const where = source ? source.locate(problem.path, problem.atKey ? 'key' : 'value') : field;
  const details = { where, ...(problem.hint ? { hint: problem.hint } : {}) };
  return new InvalidInputError(`${field || subject}: ${problem.message}`, details);
}

export function problemFromZod(issue: z.core.$ZodIssue, prefix: FieldPath = []): DefinitionProblem {
  const path = [...prefix, ...(issue.path as (string | number)[])];
  if (issue.code === 'unrecognized_keys') {
    return { path: [...path, issue.keys[0]!], message: `unknown field "${issue.keys[0]}"`, atKey: true };
  }
  if (issue.code === 'invalid_key') {
    return { path, message: `invalid name: ${issue.issues[0]?.message ?? issue.message}`, atKey: true };
  }
  return { path, message: issue.message };
}

/** Per-parse error map: a missing field says so instead of "received undefined". */
export function zodMessages(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type' && issue.input === undefined) return `missing required field (${issue.expected})`;
  return undefined;
}

/**
 * Parses YAML text into plain values plus the map from field paths to positions; a syntax error
 * is an InvalidInputError at its `file:line:col`.
 */
export function parseYamlWithSource(text: string, fileName: string): { value: unknown; source: SourceMap } {
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
  return { value: document.toJS(), source: yamlSourceMap(document, position) };
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
