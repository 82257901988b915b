import { InvalidInputError } from '../common/errors.js';

/** `NAME`, `NAME@3` or `NAME@sha256:…`: how every command and route names a dataset version. */
export type DatasetReference =
  | { name: string; kind: 'latest' }
  | { name: string; kind: 'version'; version: number }
  | { name: string; kind: 'digest'; digest: string };

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,199}$/;
const REFERENCE_HINT = 'a dataset is named NAME (its latest version), NAME@3 or NAME@sha256:<64 hex>';

export function checkDatasetName(name: string): string {
  if (!NAME.test(name)) {
    throw new InvalidInputError(`invalid dataset name ${JSON.stringify(name.slice(0, 100))}`, {
      where: 'name',
      hint: 'letters, digits, _ . - (at most 200), starting with a letter, digit or _',
    });
  }
  return name;
}

export function parseDatasetReference(reference: string): DatasetReference {
  const at = reference.indexOf('@');
  if (at < 0) return { name: checkDatasetName(reference), kind: 'latest' };
  const name = checkDatasetName(reference.slice(0, at));
  const rest = reference.slice(at + 1);
  if (/^sha256:[0-9a-f]{64}$/.test(rest)) return { name, kind: 'digest', digest: rest };
  if (/^[1-9]\d{0,8}$/.test(rest)) return { name, kind: 'version', version: Number(rest) };
  throw new InvalidInputError(`invalid dataset reference ${JSON.stringify(reference.slice(0, 100))}`, {
    where: reference,
    hint: REFERENCE_HINT,
  });
}

/** A version number given on its own (`data diff NAME 1 2`, the REST path), or `sha256:…`. */
export function parseVersionSelector(name: string, selector: string): DatasetReference {
  return parseDatasetReference(`${name}@${selector.replace(/^v(?=\d)/, '')}`);
}
