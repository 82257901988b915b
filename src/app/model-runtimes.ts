import type { CicloConfig } from '../common/config.js';
import { JsRuntime, OnnxRuntime, RuntimeRegistry } from '../serving/index.js';

/**
 * Every model runtime this installation serves with, by flavor: `onnx` (onnxruntime-node, in process)
 * and `js` (the package's own module, in process).
 */
export function modelRuntimes(_config: CicloConfig): RuntimeRegistry {
  return new RuntimeRegistry().add(new OnnxRuntime()).add(new JsRuntime());
}
