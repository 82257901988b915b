import type { Kysely, Selectable } from 'kysely';
import type { ModelApprovalsTable, ModelGateResultsTable, ModelPoliciesTable, Schema } from '../../store/index.js';
import type { GateResult } from './gates.js';
import type { ApprovalRecord, GateEvaluation } from './types.js';

/** The approvals' queries; the rules are in service.ts. */

type Db = Kysely<Schema>;

export type PolicyRow = Selectable<ModelPoliciesTable>;

export async function findPolicy(db: Db, name: string): Promise<PolicyRow | undefined> {
  return db.selectFrom('model_policies').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function upsertPolicy(db: Db, row: PolicyRow): Promise<void> {
  await db
    .insertInto('model_policies')
    .values(row)
    .onConflict((c) =>
      c
        .column('name')
        .doUpdateSet({ policy: row.policy, digest: row.digest, set_by: row.set_by, set_time: row.set_time }),
    )
    .execute();
}

export async function insertApproval(db: Db, approval: ApprovalRecord): Promise<void> {
  await db
    .insertInto('model_approvals')
    .values({
      name: approval.name,
      version: approval.version,
      decision: approval.decision,
      actor: approval.actor,
      comment: approval.comment,
      decided_time: approval.time,
      automatic: approval.automatic ? 1 : 0,
      policy_digest: approval.policyDigest,
      gate_result_id: approval.gateResultId,
    })
    .execute();
}

export async function listApprovals(db: Db, name: string, version: number): Promise<ApprovalRecord[]> {
  const rows = await db
    .selectFrom('model_approvals')
    .selectAll()
    .where('name', '=', name)
    .where('version', '=', version)
    .orderBy('decided_time')
    .execute();
  return rows.map(toApproval);
}

export async function insertGateResult(db: Db, evaluation: GateEvaluation): Promise<void> {
  await db
    .insertInto('model_gate_results')
    .values({
      id: evaluation.id,
      name: evaluation.name,
      version: evaluation.version,
      policy_source: evaluation.policySource,
      policy_digest: evaluation.policyDigest,
      evaluated_by: evaluation.evaluatedBy,
      evaluated_time: evaluation.evaluatedTime,
      passed: evaluation.passed ? 1 : 0,
      results: JSON.stringify(evaluation.results),
    })
    .execute();
}

/**
 * Every evaluation of the version, oldest first (ties in time by insertion are broken by id, which is random: rare
 * enough).
 */
export async function listGateResults(db: Db, name: string, version: number): Promise<GateEvaluation[]> {
  const rows = await db
    .selectFrom('model_gate_results')
    .selectAll()
    .where('name', '=', name)
    .where('version', '=', version)
    .orderBy('evaluated_time')
    .orderBy('id')
    .execute();
  return rows.map(toGateEvaluation);
}

export async function latestGateResult(db: Db, name: string, version: number): Promise<GateEvaluation | undefined> {
  const row = await db
    .selectFrom('model_gate_results')
    .selectAll()
    .where('name', '=', name)
    .where('version', '=', version)
    .orderBy('evaluated_time', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row === undefined ? undefined : toGateEvaluation(row);
}

function toApproval(row: Selectable<ModelApprovalsTable>): ApprovalRecord {
  return {
    name: row.name,
    version: Number(row.version),
    decision: row.decision,
    actor: row.actor,
    comment: row.comment,
    time: Number(row.decided_time),
    automatic: Number(row.automatic) === 1,
    policyDigest: row.policy_digest,
    gateResultId: row.gate_result_id,
  };
}

function toGateEvaluation(row: Selectable<ModelGateResultsTable>): GateEvaluation {
  return {
    id: row.id,
    name: row.name,
    version: Number(row.version),
    policySource: row.policy_source,
    policyDigest: row.policy_digest,
    evaluatedBy: row.evaluated_by,
    evaluatedTime: Number(row.evaluated_time),
    passed: Number(row.passed) === 1,
    results: JSON.parse(row.results) as GateResult[],
  };
}

export async function listPolicies(db: Db): Promise<PolicyRow[]> {
  return db.selectFrom('model_policies').selectAll().orderBy('name').execute();
}

export async function deletePolicy(db: Db, name: string): Promise<number> {
  const result = await db.deleteFrom('model_policies').where('name', '=', name).executeTakeFirst();
  return Number(result.numDeletedRows);
}
