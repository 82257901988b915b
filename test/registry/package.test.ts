import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256Digest } from '../../src/artifacts/index.js';
import { CorruptArtifactError, InvalidInputError } from '../../src/common/errors.js';
import { loadModelPackage, MANIFEST_FILE, parseManifest, writeManifest } from '../../src/registry/index.js';
import { makeTempDir } from '../support/temp.js';
import { SIGNATURE, writePackage } from './support.js';

describe('model package format', () => {
  let temp: { dir: string; remove(): void };
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.remove());

  it('writes a manifest listing every other file with its digest and size, and loads it back', async () => {
    const manifest = await writePackage(temp.dir);
    expect(manifest).toEqual({
      format_version: 1,
      flavor: 'ml-random-forest',
      signature: SIGNATURE,
      metrics: { auc: 0.9 },
      requirements: ['ml-random-forest@2'],
      files: [
        { path: 'model.json', digest: sha256Digest(JSON.stringify({ trees: 'forest-1' })), size: 20 },
        { path: 'weights/w.bin', digest: sha256Digest('weights of forest-1'), size: 19 },
      ],
    });
    const onDisk = JSON.parse(readFileSync(join(temp.dir, MANIFEST_FILE), 'utf8')) as unknown;
    expect(onDisk).toEqual(manifest);
    expect((await loadModelPackage(temp.dir)).manifest).toEqual(manifest);
  });

  it('writing again replaces the manifest without listing it', async () => {
    await writePackage(temp.dir);
    const again = await writeManifest(temp.dir, { flavor: 'custom', signature: { inputs: [], outputs: [] } });
    expect(again.files.map((f) => f.path)).toEqual(['model.json', 'weights/w.bin']);
    expect(again.metrics).toEqual({});
    expect(again.requirements).toEqual([]);
  });

  it('names the entry file a runtime loads, which must be one of the files', async () => {
    await writePackage(temp.dir);
    const signature = { inputs: [], outputs: [] };
    const written = await writeManifest(temp.dir, { flavor: 'js', signature, entry: 'model.json' });
    expect((await loadModelPackage(temp.dir)).manifest.entry).toBe('model.json');
    await expect(writeManifest(temp.dir, { flavor: 'js', signature, entry: 'predict.js' })).rejects.toThrow(
      /entry "predict.js" is not one of the package's files/,
    );
    const edited = JSON.stringify({ ...written, entry: 'missing.js' });
    expect(() => parseManifest(edited)).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ where: 'ciclo-model.json: entry' }) }),
    );
  });

  it('refuses a changed byte, naming the file', async () => {
    await writePackage(temp.dir);
    const file = join(temp.dir, 'weights', 'w.bin');
    const bytes = readFileSync(file);
    bytes[0] = bytes[0]! ^ 1;
    writeFileSync(file, bytes);
    const error = await loadModelPackage(temp.dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptArtifactError);
    expect((error as CorruptArtifactError).details.where).toBe('weights/w.bin');
    expect((error as Error).message).toContain('weights/w.bin does not match ciclo-model.json');
  });

  it('refuses a missing file and an unlisted one', async () => {
    await writePackage(temp.dir);
    rmSync(join(temp.dir, 'model.json'));
    const missing = await loadModelPackage(temp.dir).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(CorruptArtifactError);
    expect((missing as CorruptArtifactError).details.where).toBe('model.json');
    expect((missing as Error).message).toContain('model.json is listed in ciclo-model.json but missing');

    await writePackage(temp.dir);
    writeFileSync(join(temp.dir, 'notes.txt'), 'extra');
    const extra = await loadModelPackage(temp.dir).catch((e: unknown) => e);
    expect(extra).toBeInstanceOf(InvalidInputError);
    expect((extra as InvalidInputError).details.where).toBe('notes.txt');
  });

  it('refuses a folder without a manifest, and bad manifests with the field path', async () => {
    await expect(loadModelPackage(temp.dir)).rejects.toThrow(/is not a model package: it has no ciclo-model.json/);
    const base = {
      format_version: 1,
      flavor: 'onnx',
      signature: { inputs: [], outputs: [] },
      metrics: {},
      requirements: [],
      files: [],
    };
    const bad = (value: unknown) => {
      try {
        parseManifest(JSON.stringify(value));
      } catch (error) {
        if (error instanceof InvalidInputError) return error.details.where;
        throw error;
      }
      throw new Error('accepted');
    };
    expect(bad({ ...base, files: [{ path: 'a', digest: 'sha256:00', size: 1 }] })).toBe(
      'ciclo-model.json: files[0].digest',
    );
    expect(bad({ ...base, files: [{ path: '../a', digest: sha256Digest('a'), size: 1 }] })).toBe(
      'ciclo-model.json: files[0].path',
    );
    expect(bad({ ...base, signature: { inputs: [{ name: 'x' }], outputs: [] } })).toBe(
      'ciclo-model.json: signature.inputs[0].type',
    );
    expect(bad({ ...base, flavor: 'Not A Flavor' })).toBe('ciclo-model.json: flavor');
    expect(bad({ ...base, format_version: 2 })).toBe('ciclo-model.json: format_version');
    expect(bad({ ...base, flavour: 'x' })).toBe('ciclo-model.json');
    const twice = { path: 'a', digest: sha256Digest('a'), size: 1 };
    expect(bad({ ...base, files: [twice, twice] })).toBe('ciclo-model.json: files[1].path');
    expect(() => parseManifest('{')).toThrow(/not valid JSON/);
    await expect(writeManifest(temp.dir, { flavor: 'x', signature: { inputs: [] } } as never)).rejects.toThrow(
      /fields: signature.outputs/,
    );
  });
});
