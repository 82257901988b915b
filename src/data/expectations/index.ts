/**
 * Expectations: YAML suites of data checks, run as one aggregate SQL scan over a dataset, and their reports.
 * Used by `ciclo data validate` and the `validate` step kind.
 */
export {
  EXPECTATION_KINDS,
  loadSuiteFile,
  loadSuiteYaml,
  parseSuite,
  type Bound,
  type Expectation,
  type ExpectationKind,
  type SetValue,
  type Severity,
  type Suite,
} from './suite.js';
export {
  MASK,
  SAMPLE_LIMIT,
  runSuite,
  type ExpectationResult,
  type QueryEngine,
  type SuiteInput,
  type SuiteReport,
} from './run.js';
export { canonicalType } from './checks.js';
export { renderReportJson, renderReportText } from './render.js';
