import { InvalidInputError } from '../common/errors.js';
import type { NodeRef } from './types.js';

/** Shown with every malformed node string: the forms `parseNodeRef` accepts. */
export const NODE_FORMS_HINT =
  'name a node as <run-id> (or run:<run-id>), sha256:<64 hex digits>, <run-id>/<artifact path>, ' +
  'dataset:<name> or dataset:<name>@<digest>, model:<name>[/<version>], alert:<alert event id> ' +
  'or window:<monitor>/<result id>';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
// Tracked run ids are 32 hex digits; runs imported from elsewhere may use other word characters.
const RUN_ID = /^[A-Za-z0-9_-]{1,64}$/;
const KIND_PREFIX = /^([a-z][a-z0-9_-]*):/;

/**
 * Reads a node string: which kind of node it names and how to find it. Only the syntax is checked
 * here; whether the node exists is the resolver's question (404), a string of no known form is 400.
 */
export function parseNodeRef(text: string): NodeRef {
  const value = text.trim();
  if (value === '') throw malformed('the node is empty');
  if (value.startsWith('sha256:')) return { kind: 'artifact', digest: digest(value) };
  const prefix = KIND_PREFIX.exec(value);
  if (prefix) {
    const rest = value.slice(prefix[0].length);
    switch (prefix[1]) {
      case 'run':
        return { kind: 'run', runId: runId(rest) };
      case 'artifact':
        return rest.startsWith('sha256:') ? { kind: 'artifact', digest: digest(rest) } : runArtifact(rest);
      case 'dataset':
        return dataset(rest);
      case 'model':
        return model(rest);
      case 'alert':
        return { kind: 'alert', alertId: rowId(rest, 'an alert event id') };
      case 'window':
        return window(rest);
      default:
        throw malformed(`'${prefix[1]}' is not a kind of lineage node (run, artifact, dataset, model, alert, window)`);
    }
  }
  return value.includes('/') ? runArtifact(value) : { kind: 'run', runId: runId(value) };
}

function digest(value: string): string {
  if (!DIGEST.test(value)) throw malformed(`'${value}' is not a full digest: sha256: and 64 lowercase hex digits`);
  return value;
}

function runId(value: string): string {
  if (!RUN_ID.test(value)) throw malformed(`'${value}' is not a run id`);
  return value;
}

function runArtifact(value: string): NodeRef {
  const slash = value.indexOf('/');
  if (slash < 0) throw malformed(`'${value}' is neither a digest nor <run-id>/<artifact path>`);
  const path = value.slice(slash + 1).replace(/\/+$/, '');
  if (path === '' || path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw malformed(`'${path}' is not an artifact path (relative, no empty, '.' or '..' parts)`);
  }
  return { kind: 'artifact', runId: runId(value.slice(0, slash)), path };
}

/** `dataset:<name>` or `dataset:<name>@<digest>`; the last `@` splits, so a name may hold one. */
function dataset(value: string): NodeRef {
  const at = value.lastIndexOf('@');
  const name = at < 0 ? value : value.slice(0, at);
  if (name === '') throw malformed('the dataset name is empty');
  if (at < 0) return { kind: 'dataset', name };
  const version = value.slice(at + 1);
  if (version === '') throw malformed(`the digest after '${name}@' is empty`);
  return { kind: 'dataset', name, digest: version };
}

function model(value: string): NodeRef {
  const slash = value.lastIndexOf('/');
  const name = slash < 0 ? value : value.slice(0, slash);
  if (name === '') throw malformed('the model name is empty');
  if (slash < 0) return { kind: 'model', name };
  const version = value.slice(slash + 1);
  if (version === '') throw malformed(`the version after '${name}/' is empty`);
  return { kind: 'model', name, version };
}

/**
 * `window:<monitor>/<result id>`: one monitor run, named like a model version (`model:<name>/<version>`). The
 * monitor is part of the name so the string says whose window it is; `#` would need escaping in a URL.
 */
function window(value: string): NodeRef {
  const slash = value.lastIndexOf('/');
  if (slash <= 0) throw malformed(`'${value}' is not <monitor>/<result id>`);
  return { kind: 'window', monitor: value.slice(0, slash), resultId: rowId(value.slice(slash + 1), 'a result id') };
}

/** The database's whole-number ids, from 1; 15 digits stay exact as a JavaScript number. */
function rowId(value: string, what: string): number {
  if (!/^[1-9]\d{0,14}$/.test(value)) throw malformed(`'${value}' is not ${what} (a whole number from 1)`);
  return Number(value);
}

function malformed(message: string): InvalidInputError {
  return new InvalidInputError(message, { where: 'node', hint: NODE_FORMS_HINT });
}
