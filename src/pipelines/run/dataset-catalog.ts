/**
 * The seam between pipelines and registered datasets (the data capability implements it): steps
 * read dataset versions as inputs and can register their outputs as new versions.
 */
export interface DatasetCatalog {
  /**
   * `NAME`, `NAME@3` or `NAME@sha256:…` → `NAME@<version>`: what a run records, so it reads the same data when resumed
   * or reproduced.
   */
  pin(reference: string): Promise<string>;
  /**
   * Copies the version's files under `folder` (by their registered relative paths) and returns the
   * path a step reads: the file itself for a one-file version, else the folder.
   */
  materialize(reference: string, folder: string): Promise<string>;
  /**
   * Registers a step output as a new version of `name` (or finds the identical one) in the
   * pipeline's `project`; returns `NAME@<version>`. A dataset of that name in another project is refused.
   */
  register(
    name: string,
    path: string,
    options?: { sensitive?: readonly string[]; project?: string },
  ): Promise<{ reference: string; created: boolean }>;
  /** Records the version as a dataset input of a tracked run. */
  logInput(runId: string, reference: string): Promise<void>;
}
