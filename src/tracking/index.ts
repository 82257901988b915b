export { TrackingService } from './service.js';
export { captureCodeVersion, codeVersionTags, type CodeVersion } from './code-version.js';
export { captureEnvironment, environmentTags, type RuntimeEnvironment } from './environment.js';
export * from './types.js';
