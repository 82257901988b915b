import { InvalidInputError } from '../common/errors.js';

const MAX_PATH_LENGTH = 1024;
// eslint-disable-next-line no-control-regex -- finding control characters in a path is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const DRIVE_PREFIX = /^[A-Za-z]:/;

/**
 * A file's logical path inside a run: relative, `/`-separated, no `.`/`..`/empty segments. Paths
 * become object keys and local file names later, so anything that could escape the run's root or
 * mean different things on different systems is refused rather than repaired.
 */
export function normalizeArtifactPath(path: string, field = 'path'): string {
  const normalized = normalize(path, field);
  if (normalized === '') {
    throw refuse(path, field, 'is empty', 'Give a relative file path such as "model/model.onnx".');
  }
  return normalized;
}

/** Like normalizeArtifactPath, but empty (or absent) means the run's root folder; for listing. */
export function normalizeArtifactDir(path?: string, field = 'path'): string {
  return path === undefined ? '' : normalize(path, field);
}

function normalize(path: string, field: string): string {
  if (path.length > MAX_PATH_LENGTH) {
    throw refuse(path, field, `is longer than ${MAX_PATH_LENGTH} characters`, 'Use shorter folder and file names.');
  }
  if (CONTROL_CHARACTERS.test(path)) {
    throw refuse(path, field, 'contains NUL or control characters', 'Remove control characters from the path.');
  }
  if (path.startsWith('/') || DRIVE_PREFIX.test(path)) {
    throw refuse(path, field, 'is absolute', 'Give a path relative to the run\'s artifact root, e.g. "plots/roc.png".');
  }
  if (path.includes('\\')) {
    throw refuse(path, field, 'contains a backslash', 'Separate folders with "/", not "\\".');
  }
  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) {
    throw refuse(path, field, 'contains a ".." segment', "Give a path that stays inside the run's artifact root.");
  }
  return segments.join('/');
}

function refuse(path: string, field: string, problem: string, hint: string): InvalidInputError {
  const shown = path.length > 80 ? `${path.slice(0, 80)}…` : path;
  return new InvalidInputError(`Artifact path ${JSON.stringify(shown)} ${problem}`, { where: field, hint });
}
