import { CicloError } from '../common/errors.js';

/**
 * Exit codes scripts can branch on: 2 bad input, 3 not found, 4 already exists or wrong state,
 * 5 not authenticated or not allowed, 6 the store is busy (nothing was written: run it again),
 * 7 the store is out of space (free some first), 1 anything else.
 */
export const EXIT = {
  failure: 1,
  invalidInput: 2,
  notFound: 3,
  conflict: 4,
  denied: 5,
  storeBusy: 6,
  storageFull: 7,
} as const;

export function exitCodeFor(error: unknown): number {
  if (!(error instanceof CicloError)) return EXIT.failure;
  switch (error.code) {
    case 'INVALID_PARAMETER_VALUE':
    case 'BAD_REQUEST':
    case 'MALFORMED_REQUEST':
    case 'REQUEST_TOO_LARGE':
      return EXIT.invalidInput;
    case 'RESOURCE_DOES_NOT_EXIST':
      return EXIT.notFound;
    case 'RESOURCE_ALREADY_EXISTS':
    case 'INVALID_STATE':
      return EXIT.conflict;
    case 'UNAUTHENTICATED':
    case 'PERMISSION_DENIED':
    case 'RATE_LIMITED':
      return EXIT.denied;
    case 'STORE_BUSY':
      return EXIT.storeBusy;
    case 'INSUFFICIENT_STORAGE':
      return EXIT.storageFull;
    default:
      return EXIT.failure;
  }
}
