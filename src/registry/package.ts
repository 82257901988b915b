import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { listLocalFiles, sha256DigestOfFile } from '../artifacts/index.js';
import { CorruptArtifactError, InvalidInputError } from '../common/errors.js';
import { formatPath } from '../common/validation.js';

/**
 * The model package format (docs/model-format.md): a folder holding the model's files and
 * `ciclo-model.json`, which names the flavor, the signature, every other file with its digest and
 * size, the metrics and the requirements. Loading a package re-hashes every file and refuses a
 * package whose files differ from the manifest in any way: changed, missing or unlisted.
 */
export const MANIFEST_FILE = 'ciclo-model.json';
export const FORMAT_VERSION = 1;

const DIGEST = /^sha256:[0-9a-f]{64}$/;
// Lowercase words joined by '-', '.' or '_': `sklearn`, `onnx`, `ml-random-forest`, `custom`.
const FLAVOR = /^[a-z0-9]+(?:[-._][a-z0-9]+)*$/;

const ColumnSchema = z.strictObject({
  name: z.string().min(1).max(250),
  /** Free text in the flavor's own vocabulary: `double`, `string`, `tensor<float32>`. */
  type: z.string().min(1).max(100),
  /** For tensors: the dimensions, -1 where any size goes. */
  shape: z.array(z.number().int().min(-1)).optional(),
  optional: z.boolean().optional(),
});

export const SignatureSchema = z.strictObject({
  inputs: z.array(ColumnSchema),
  outputs: z.array(ColumnSchema),
});

const FilePath = z
  .string()
  .min(1)
  .max(1000)
  .refine(
    (path) =>
      !path.startsWith('/') &&
      !path.includes('\\') &&
      path.split('/').every((part) => part !== '' && part !== '.' && part !== '..'),
    {
      message: "must be a relative '/'-separated path without '.', '..' or empty parts",
    },
  )
  .refine((path) => path !== MANIFEST_FILE, { message: `the manifest does not list itself` });

export const PackageFileSchema = z.strictObject({
  path: FilePath,
  digest: z.string().regex(DIGEST, 'must be "sha256:" and 64 lowercase hex characters'),
  size: z.number().int().min(0),
});

/** The fields a producer gives; `format_version` and `files` are computed by `writeManifest`. */
export const ManifestFieldsSchema = z.strictObject({
  flavor: z
    .string()
    .regex(FLAVOR, 'must be lowercase words joined by "-", "." or "_" (e.g. "sklearn", "ml-random-forest")')
    .max(100),
  signature: SignatureSchema,
  /**
   * The file the flavor's runtime loads: the `.onnx` graph, the `js` module. Optional where the flavor finds it
   * itself (an `onnx` package with one `.onnx` file).
   */
  entry: FilePath.optional(),
  metrics: z.record(z.string().min(1), z.number()).default({}),
  requirements: z.array(z.string().min(1).max(500)).default([]),
});

export const ManifestSchema = z.strictObject({
  format_version: z.literal(FORMAT_VERSION),
  ...ManifestFieldsSchema.shape,
  files: z.array(PackageFileSchema),
});

export type ModelSignature = z.output<typeof SignatureSchema>;
export type PackageFile = z.output<typeof PackageFileSchema>;
export type ModelManifest = z.output<typeof ManifestSchema>;
export type ManifestFields = z.input<typeof ManifestFieldsSchema>;

/** A verified package on disk. */
export interface ModelPackage {
  folder: string;
  manifest: ModelManifest;
}

/** What a package's files actually are, by relative path: from a folder, or from a run's artifacts. */
export type ActualFiles = ReadonlyMap<string, { digest: string; size: number }>;

/**
 * Writes `ciclo-model.json` into `folder`, listing every other file under it with its digest and
 * size. Symbolic links are refused (the package must be self-contained). Returns the manifest.
 */
export async function writeManifest(folder: string, fields: ManifestFields): Promise<ModelManifest> {
  const parsed = parseWith(ManifestFieldsSchema, fields, 'fields');
  const files: PackageFile[] = [];
  for (const { file, relativePath } of await listLocalFiles(folder)) {
    if (relativePath === MANIFEST_FILE) continue;
    const actual = await hashFile(file);
    files.push({ path: relativePath, ...actual });
  }
  const manifest: ModelManifest = { format_version: FORMAT_VERSION, ...parsed, files };
  requireListedEntry(manifest, folder);
  await writeFile(join(folder, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Reads the package in `folder`, re-hashing every file; refuses any difference from the manifest. */
export async function loadModelPackage(folder: string): Promise<ModelPackage> {
  const where = join(folder, MANIFEST_FILE);
  const text = await readFile(where, 'utf8').catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new InvalidInputError(`${folder} is not a model package: it has no ${MANIFEST_FILE}`, {
      where,
      hint: `Write the manifest with writeManifest(folder, { flavor, signature }) (docs/model-format.md).`,
    });
  });
  const manifest = parseManifest(text, where);
  const actual = new Map<string, { digest: string; size: number }>();
  for (const { file, relativePath } of await listLocalFiles(folder)) {
    if (relativePath !== MANIFEST_FILE) actual.set(relativePath, await hashFile(file));
  }
  verifyPackageFiles(manifest, actual, folder);
  return { folder, manifest };
}

/** The manifest's JSON, checked against the schema; an error names the field (`files[2].digest`). */
export function parseManifest(text: string, where: string = MANIFEST_FILE): ModelManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`${where} is not valid JSON: ${(error as Error).message}`, {
      where,
      hint: 'Write the manifest with writeManifest, or fix the JSON by hand.',
    });
  }
  if (
    typeof value === 'object' &&
    value !== null &&
    'format_version' in value &&
    value.format_version !== FORMAT_VERSION
  ) {
    throw new InvalidInputError(
      `${where}: format_version ${JSON.stringify(value.format_version)} is not supported ` +
        `(this Ciclo reads ${FORMAT_VERSION})`,
      {
        where: `${where}: format_version`,
        hint: 'Upgrade Ciclo, or write the package again with this version.',
      },
    );
  }
  const manifest = parseWith(ManifestSchema, value, where);
  requireListedEntry(manifest, where);
  const seen = new Set<string>();
  for (const [i, file] of manifest.files.entries()) {
    if (seen.has(file.path)) {
      throw new InvalidInputError(`${where}: files[${i}].path ${JSON.stringify(file.path)} is listed twice`, {
        where: `${where}: files[${i}].path`,
      });
    }
    seen.add(file.path);
  }
  return manifest;
}

/**
 * Compares the manifest with what the package holds. A changed or missing file is corrupt content
 * (CORRUPT_ARTIFACT); a file the manifest does not list is refused too (INVALID_PARAMETER_VALUE),
 * since nothing vouches for it. `where` is the package (a folder, or `run <id>: model/`).
 */
export function verifyPackageFiles(manifest: ModelManifest, actual: ActualFiles, where: string): void {
  for (const file of manifest.files) {
    const found = actual.get(file.path);
    if (found === undefined) {
      throw new CorruptArtifactError(
        `model package ${where} is incomplete: ${file.path} is listed in ${MANIFEST_FILE} but missing`,
        {
          where: file.path,
          hint: 'Copy the whole package folder, or write the manifest again if the file was removed on purpose.',
        },
      );
    }
    if (found.digest !== file.digest || found.size !== file.size) {
      throw new CorruptArtifactError(
        `model package ${where}: ${file.path} does not match ${MANIFEST_FILE} ` +
          `(expected ${file.digest}, ${file.size} bytes; found ${found.digest}, ${found.size} bytes)`,
        {
          where: file.path,
          hint: 'The file changed after the manifest was written: restore it, or write the manifest again.',
        },
      );
    }
  }
  const listed = new Set(manifest.files.map((file) => file.path));
  for (const path of [...actual.keys()].sort()) {
    if (path === MANIFEST_FILE || listed.has(path)) continue;
    throw new InvalidInputError(`model package ${where}: ${path} is not listed in ${MANIFEST_FILE}`, {
      where: path,
      hint: 'Remove the file, or write the manifest again so that it lists it.',
    });
  }
}

function requireListedEntry(manifest: ModelManifest, where: string): void {
  if (manifest.entry === undefined || manifest.files.some((file) => file.path === manifest.entry)) return;
  throw new InvalidInputError(`${where}: entry ${JSON.stringify(manifest.entry)} is not one of the package's files`, {
    where: `${where}: entry`,
    hint: 'Name a file of the package folder (a relative path), or leave entry out.',
  });
}

async function hashFile(file: string): Promise<{ digest: string; size: number }> {
  const digest = await sha256DigestOfFile(file);
  return { digest, size: (await stat(file)).size };
}

function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = formatPath('', issue.path);
  const at = path ? `${where}: ${path}` : where;
  throw new InvalidInputError(`${at}: ${issue.message}`, {
    where: at,
    hint: 'See docs/model-format.md for the manifest fields.',
  });
}
