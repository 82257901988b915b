/**
 * The run and experiment filter language: lexer, parser to a typed AST, and the Kysely query it compiles to,
 * with page tokens.
 */
export type * from './ast.js';
export {
  searchExperimentIds,
  type SearchExperimentsRequest,
  type SearchExperimentsResult,
} from './experiment-query.js';
export { parseExperimentOrderBy, parseRunOrderBy } from './order-by.js';
export { decodePageToken, encodePageToken, type PageCursor } from './page-token.js';
export { MAX_RESULTS_DEFAULT, MAX_RESULTS_LIMIT } from './paging.js';
export { parseExperimentFilter, parseRunFilter } from './parser.js';
export { searchRunIds, type SearchRunsRequest, type SearchRunsResult } from './run-query.js';
export type { ViewType } from './sql-terms.js';
