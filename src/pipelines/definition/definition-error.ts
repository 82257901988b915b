import type { InvalidInputError } from '../../common/errors.js';
import { definitionProblemError, type DefinitionProblem, type SourceMap } from '../../common/yaml-source.js';

// The general pieces live in common so expectation suites report YAML errors the same way.
export {
  problemFromZod,
  zodMessages,
  type DefinitionProblem,
  type FieldPath,
  type SourceMap,
} from '../../common/yaml-source.js';

/**
 * The message always starts with the field path; `where` is the file position when the definition
 * came from a file and the field path otherwise, as `parseInput` does for JSON.
 */
export function definitionError(problem: DefinitionProblem, source?: SourceMap): InvalidInputError {
  return definitionProblemError(problem, source, 'pipeline');
}
