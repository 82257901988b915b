export * from './audit/index.js';
export * from './access/index.js';
export { currentActor, withActor, type ActorScope } from './actor.js';
