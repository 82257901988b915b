export {
  AUDIT_GENESIS_HASH,
  AuditLog,
  auditHash,
  type AuditEntry,
  type AuditFailureReason,
  type AuditListQuery,
  type AuditRecord,
  type AuditTarget,
  type AuditVerification,
  type AuditVerifyOptions,
} from './log.js';
export { digestOf } from './digest.js';
