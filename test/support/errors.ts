import { CicloError, InvalidInputError } from '../../src/common/errors.js';

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

/** The domain error `promise` rejects with; resolving, or rejecting with anything else, fails the test. */
export async function cicloErrorOf(promise: Promise<unknown>): Promise<CicloError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error instanceof CicloError) return error;
  throw new Error(`expected a CicloError, got ${String(error)}`);
}
