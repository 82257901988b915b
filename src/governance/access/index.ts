/**
 * Access control: users, API tokens, projects and roles (`users`, `api_tokens`, `projects`, `project_roles`),
 * the decision every route goes through (`authorize`) and the server hooks that apply it.
 */
export {
  ACTIONS,
  DEFAULT_PROJECT,
  ProjectNameSchema,
  ROLES,
  access,
  authorizedId,
  authorizedIds,
  projectFilter,
  requestField,
  requestedProject,
  type Action,
  type ResourceRef,
  type Role,
  type RouteAccess,
} from './route-access.js';
export {
  AccessControl,
  EVERY_PROJECT,
  parseLifetimeDays,
  stepPrincipal,
  type CreatedToken,
  type CreateTokenOptions,
  type Principal,
  type ProjectChange,
  type ProjectLookups,
  type ProjectWithMembers,
  type TokenInfo,
  type UserInfo,
} from './service.js';
/** A project by name, for the capabilities that show one. */
export { findProject } from './store.js';
export { requireProject } from './project-check.js';
export { installAccessControl, type AccessHookOptions, type RouteEntry } from './server-hooks.js';
export { FailedAuthLimiter, type FailedAuthLimits } from './failed-auth-limiter.js';
export { accessRoutes } from './routes.js';
