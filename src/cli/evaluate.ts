import type { Command } from 'commander';
import { evaluateFile, DataEngine } from '../data/index.js';
import { EvaluationConfigSchema, reportMetrics, type EvaluationReport } from '../evaluation/index.js';
import { parseInput } from '../common/validation.js';
import { formatNumber, renderTable } from './format.js';
import { emit } from './output.js';

interface EvaluateOptions {
  label: string;
  score: string;
  task: string;
  champion?: string;
  sensitive?: string;
  threshold?: string;
}

/** `ciclo evaluate FILE`: the evaluation a pipeline's `evaluate` step runs, on a predictions file. */
export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate')
    .description(
      'metrics, per-group fairness and a champion comparison for a file of predictions (CSV, Parquet, JSON Lines)',
    )
    .argument('<predictions>', 'a file with a label column and a score column')
    .requiredOption('--label <column>', 'the true value (0/1 for classification)')
    .requiredOption('--score <column>', "the model's output: probability of the positive class, or the predicted value")
    .option('--task <task>', 'classification or regression', 'classification')
    .option('--champion <column>', "the champion's output on the same rows, to compare with")
    .option('--sensitive <columns>', 'comma-separated sensitive attributes (fairness per group)')
    .option('--threshold <p>', 'a score at or above it is predicted positive (default 0.5)')
    .action(async (file: string, options: EvaluateOptions, command: Command) => {
      const config = parseInput(
        EvaluationConfigSchema,
        {
          task: options.task,
          label: options.label,
          score: options.score,
          ...(options.champion === undefined ? {} : { champion: options.champion }),
          sensitive: (options.sensitive ?? '')
            .split(',')
            .map((column) => column.trim())
            .filter(Boolean),
          ...(options.threshold === undefined ? {} : { threshold: Number(options.threshold) }),
        },
        '--',
      );
      const engine = await DataEngine.open();
      let report: EvaluationReport;
      try {
        report = await evaluateFile(engine, file, config);
      } finally {
        engine.close();
      }
      emit(command, report, () => renderEvaluation(report));
    });
}

function renderEvaluation(report: EvaluationReport): string {
  const metrics = reportMetrics(report);
  const rows = Object.entries(metrics).map(([key, value]) => [key, formatNumber(value)]);
  return renderTable(['metric', 'value'], rows, ['left', 'right']);
}
