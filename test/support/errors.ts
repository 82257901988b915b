import { InvalidInputError } from '../../src/common/errors.js';

/** The InvalidInputError `run` throws; any other outcome fails the test. */
export function invalidInputOf(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('expected an InvalidInputError, but nothing was thrown');
}
