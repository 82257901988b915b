/**
 * Governance: who acts (the actor scope), access control (users, tokens, projects, roles, route declarations)
 * and the audit hash chain; approvals live in `./approvals` and are imported from there.
 */
export * from './audit/index.js';
export * from './access/index.js';
export { currentActor, withActor, type ActorScope } from './actor.js';
