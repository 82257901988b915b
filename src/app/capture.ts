import type { ModelVersion } from '../registry/index.js';
import { ParquetCaptureSink, RequestCapture } from '../serving/index.js';
import type { CicloContext } from './context.js';

/** The model version tag listing more sensitive columns, comma-separated (the dataset tags name the rest). */
export const SENSITIVE_COLUMNS_TAG = 'sensitive_columns';

/**
 * The columns a capture masks for `version`: those its training datasets tag sensitive (the datasets
 * in its lineage, by digest) and those its `sensitive_columns` tag names. A dataset that can no longer
 * be read masks nothing of its own, which the log says; the tag still applies.
 */
export async function sensitiveColumns(
  context: CicloContext,
  version: ModelVersion,
  warn: (message: string) => void = () => {},
): Promise<Set<string>> {
  const columns = new Set(
    (version.tags[SENSITIVE_COLUMNS_TAG] ?? '')
      .split(',')
      .map((column) => column.trim())
      .filter((column) => column !== ''),
  );
  for (const dataset of version.lineage.datasets) {
    try {
      const shown = await context.datasets.show(`${dataset.name}@${dataset.digest}`);
      for (const column of shown.schema) if (column.sensitive) columns.add(column.name);
    } catch (error) {
      warn(`dataset ${dataset.name}@${dataset.digest}: ${(error as Error).message}`);
    }
  }
  return columns;
}

/** Capture into hourly Parquet files of the context's artifact store. */
export function openRequestCapture(
  context: CicloContext,
  options: {
    deployment: string;
    sampleRate: number;
    sensitive: ReadonlySet<string>;
    onError?: (error: unknown) => void;
  },
): { capture: RequestCapture; close(): Promise<void> } {
  const sink = new ParquetCaptureSink(context.captures);
  const capture = new RequestCapture({ sink, metrics: context.metrics, ...options });
  return {
    capture,
    close: async () => {
      await capture.close();
      await sink.close();
    },
  };
}
