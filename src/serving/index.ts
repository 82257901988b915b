/**
 * Serving: registered versions loaded by model runtimes (onnx, js, python) and scored over MLflow's
 * scoring protocol and the Open Inference Protocol v2, with every request checked against the signature.
 */
export type { Cell, Frame, Scalar } from './frame.js';
export { frameOf, frameToRecords } from './frame.js';
export { RuntimeRegistry, type LoadedModel, type ModelRuntime, type ServablePackage } from './runtime.js';
export { OnnxRuntime } from './runtimes/onnx.js';
export { PythonRuntime, type PythonRuntimeOptions } from './runtimes/python.js';
/** The project of a deployment, which access control judges its routes by. */
export { projectOfDeployment } from './deployments/store.js';
export { JsRuntime } from './runtimes/js.js';
export { DEFAULT_BATCHING, ServedModel, type ServeOptions, type ServedVersion } from './served-model.js';
export type { BatchingOptions } from './batcher.js';
export { ServingMetrics } from './metrics.js';
export { ModelLoader, type LoadOptions, type ModelLoaderDeps } from './model-loader.js';
export { scoringRoutes, type ScoringRouteOptions } from './scoring-routes.js';
export { DeploymentService, type DeploymentServiceDeps } from './deployments/service.js';
export { DeploymentSupervisor, type SupervisorDeps } from './deployments/supervisor.js';
export type { ReplicaSpec } from './deployments/replica.js';
export { deploymentRoutes, type DeploymentRouteOptions } from './deployments/routes.js';
export { proxyRoutes, type ProxyRouteOptions } from './deployments/proxy-routes.js';
export { deploymentToWire, eventToWire } from './deployments/wire.js';
export type { CreateDeploymentOptions, Deployment, DeploymentEvent } from './deployments/types.js';
export { CreateDeploymentSchema, DeploymentNameSchema } from './deployments/types.js';
export {
  MASKED,
  RequestCapture,
  type CaptureOptions,
  type CapturedRequest,
  type CapturedRow,
  type CaptureSink,
  type EncodedRequest,
} from './capture/capture.js';
export { CaptureBlobReferences, CaptureStore, type CaptureFile, type Feedback } from './capture/capture-store.js';
export { ParquetCaptureSink } from './capture/parquet-sink.js';
