/**
 * Serving: registered versions loaded by model runtimes (onnx, js, python) and scored over MLflow's
 * scoring protocol and the Open Inference Protocol v2, with every request checked against the signature.
 */
export type { Cell, Frame, Scalar } from './frame.js';
export { frameOf, frameToRecords } from './frame.js';
export { RuntimeRegistry, type LoadedModel, type ModelRuntime, type ServablePackage } from './runtime.js';
export { OnnxRuntime } from './runtimes/onnx.js';
export { JsRuntime } from './runtimes/js.js';
export { DEFAULT_BATCHING, ServedModel, type ServeOptions, type ServedVersion } from './served-model.js';
export type { BatchingOptions } from './batcher.js';
export { ServingMetrics } from './metrics.js';
export { ModelLoader, type LoadOptions, type ModelLoaderDeps } from './model-loader.js';
export { scoringRoutes, type ScoringRouteOptions } from './scoring-routes.js';
