/**
 * The audit log: an append-only hash chain (`audit_log`, `audit_head`), keyed with CICLO_AUDIT_KEY when set,
 * that every capability appends its changes to inside their transactions; verify and signed checkpoints.
 */
export { AuditLog, type AuditEntry, type AuditListQuery, type AuditRecord, type AuditTarget } from './log.js';
export { AUDIT_GENESIS_HASH, auditHash } from './hash.js';
export { auditKeyring, type AuditKeyring } from './keyring.js';
export {
  type AuditAnchor,
  type AuditFailureReason,
  type AuditProblem,
  type AuditVerification,
  type AuditVerifyOptions,
} from './verify.js';
export { digestOf } from './digest.js';
export { createCheckpoint, readCheckpoint, sendCheckpoint, type AuditCheckpoint } from './checkpoint.js';
export { auditRefusals, recordRefusal, type RefusedAttempt } from './refusal.js';
