import type { CicloConfig } from '../common/config.js';
import { JsRuntime, OnnxRuntime, PythonRuntime, RuntimeRegistry } from '../serving/index.js';

/** Debian's python3, the one that sees python3-sklearn and python3-numpy. */
const DEFAULT_PYTHON = '/usr/bin/python3';

/**
 * Every model runtime this installation serves with, by flavor: `onnx` (onnxruntime-node, in process),
 * `js` (the package's own module, in process) and `python` (scikit-learn pickles and MLflow sklearn
 * folders, each in a worker process of its own, started with CICLO_PYTHON).
 */
export function modelRuntimes(config: CicloConfig): RuntimeRegistry {
  return new RuntimeRegistry()
    .add(new OnnxRuntime())
    .add(new JsRuntime())
    .add(new PythonRuntime({ python: config.python ?? DEFAULT_PYTHON }));
}
