import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeManifest, type ModelManifest } from '../../src/registry/index.js';

export const SIGNATURE = {
  inputs: [
    { name: 'age', type: 'double' },
    { name: 'plan', type: 'string' },
  ],
  outputs: [{ name: 'churn', type: 'double' }],
};

/** A package folder: model.json, weights/w.bin and the manifest. */
export async function writePackage(folder: string, content = 'forest-1'): Promise<ModelManifest> {
  for (const [path, text] of [
    ['model.json', JSON.stringify({ trees: content })],
    ['weights/w.bin', `weights of ${content}`],
  ] as const) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), text);
  }
  return writeManifest(folder, { flavor: 'ml-random-forest', signature: SIGNATURE, metrics: { auc: 0.9 }, requirements: ['ml-random-forest@2'] });
}
