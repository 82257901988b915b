import { constants } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { makePrivateDir } from '../common/private-files.js';
import type { DatasetCatalog } from '../pipelines/index.js';
import type { DatasetService } from './service.js';
import { inputFiles } from './steps/input-files.js';

/**
 * Datasets as pipelines see them (`datasets.NAME@v` inputs, `register:` outputs), over the dataset
 * service. Inputs are copied out of the blob store (a reflink where the file system has them)
 * rather than linked, so a step that writes to its input cannot change a stored version.
 */
export class PipelineDatasetCatalog implements DatasetCatalog {
  readonly #datasets: DatasetService;

  constructor(datasets: DatasetService) {
    this.#datasets = datasets;
  }

  async pin(reference: string): Promise<string> {
    const version = await this.#datasets.show(reference);
    return `${version.name}@${version.version}`;
  }

  async materialize(reference: string, folder: string): Promise<string> {
    const { detail, version: resolved } = await this.#datasets.resolveWithDetail(reference);
    await rm(folder, { recursive: true, force: true });
    const targets = detail.files.map((file) => path.join(folder, ...file.path.split('/')));
    for (const [index, target] of targets.entries()) {
      await makePrivateDir(path.dirname(target));
      // The copy takes the blob's mode (0600), as copyFile keeps the source's.
      await copyFile(resolved.files[index]!, target, constants.COPYFILE_FICLONE);
    }
    return targets.length === 1 ? targets[0]! : folder;
  }

  /**
   * Step outputs are named by the output (`outputs/data`), without the extension registration reads
   * the format from: the format is sniffed from the content and the files staged under names that
   * carry it.
   */
  async register(
    name: string,
    output: string,
    options: { sensitive?: readonly string[]; project?: string } = {},
  ): Promise<{ reference: string; created: boolean }> {
    const { files, format } = await inputFiles(output);
    const staging = await mkdtemp(path.join(tmpdir(), 'ciclo-register-'));
    try {
      const base = files.length === 1 && files[0] === output ? path.dirname(output) : output;
      for (const file of files) {
        const relative = path.relative(base, file);
        const target = path.join(staging, relative.endsWith(`.${format}`) ? relative : `${relative}.${format}`);
        await mkdir(path.dirname(target), { recursive: true });
        await copyFile(file, target, constants.COPYFILE_FICLONE);
      }
      const source =
        files.length === 1 && files[0] === output ? path.join(staging, (await readdir(staging))[0]!) : staging;
      const { version, created } = await this.#datasets.register(name, source, {
        ...(options.sensitive === undefined ? {} : { sensitive: options.sensitive }),
        ...(options.project === undefined ? {} : { project: options.project }),
      });
      return { reference: `${version.name}@${version.version}`, created };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async logInput(runId: string, reference: string): Promise<void> {
    await this.#datasets.logInput(runId, reference);
  }
}
