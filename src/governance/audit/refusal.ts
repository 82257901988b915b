import { CicloError } from '../../common/errors.js';
import type { AuditLog, AuditTarget } from './log.js';

/** A governed action someone attempted and was refused: what, on what, and by whom when known. */
export interface RefusedAttempt {
  /** The action that was refused (`model.approve`, `token.create`, `role.grant`); `.refused` is appended. */
  action: string;
  target: AuditTarget;
  /** Defaults to the actor scope; the route-level check runs before the scope is set, so it passes the token's user. */
  actor?: string;
  requestId?: string;
}

/**
 * Records a refused attempt as its own audit row `<action>.refused`, with the error code and reason
 * in its details. It runs in a transaction of its own: the refused change's transaction rolls back,
 * and the refusal must outlive it.
 */
export async function recordRefusal(audit: AuditLog, attempt: RefusedAttempt, error: CicloError): Promise<void> {
  await audit.append({
    action: `${attempt.action}.refused`,
    target: attempt.target,
    ...(attempt.actor === undefined ? {} : { actor: attempt.actor }),
    ...(attempt.requestId === undefined ? {} : { requestId: attempt.requestId }),
    details: { error_code: error.code, reason: error.message },
  });
}

/**
 * Runs a governed action; when a rule refuses it (PERMISSION_DENIED: not allowed; INVALID_STATE: a
 * rule such as failed gates or a disabled user), records the refusal and rethrows. Bad input and
 * unknown resources are not refusals of the action and are not recorded.
 */
export async function auditRefusals<T>(
  audit: AuditLog | undefined,
  attempt: RefusedAttempt,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (
      audit !== undefined &&
      error instanceof CicloError &&
      (error.code === 'PERMISSION_DENIED' || error.code === 'INVALID_STATE')
    ) {
      await recordRefusal(audit, attempt, error);
    }
    throw error;
  }
}
