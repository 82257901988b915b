import { parse } from 'yaml';
import { InvalidInputError } from '../../common/errors.js';
import { SignatureSchema, type ModelSignature } from '../package.js';

/**
 * MLflow's own model folder: an `MLmodel` YAML file naming the flavors and, optionally, the signature
 * (each side a JSON string of column or tensor specs). MLflow clients log models so and register
 * that folder; we read the flavor and signature from it, and the files' digests come from the run's
 * artifacts, which the blob store already verifies on every read.
 */
export const MLMODEL_FILE = 'MLmodel';

export interface MlmodelSummary {
  /**
   * `mlflow:<flavor>`: the first flavor other than `python_function` (MLflow writes that one for every model), else
   * `mlflow:python_function`.
   */
  flavor: string;
  signature: ModelSignature;
}

export function parseMlmodel(text: string, where: string): MlmodelSummary {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw invalid(`${where} is not valid YAML: ${(error as Error).message}`, where);
  }
  if (typeof document !== 'object' || document === null) throw invalid(`${where} is not an MLmodel document`, where);
  const { flavors, signature } = document as { flavors?: unknown; signature?: unknown };
  if (typeof flavors !== 'object' || flavors === null || Object.keys(flavors).length === 0) {
    throw invalid(`${where} names no flavors`, where);
  }
  const names = Object.keys(flavors);
  const flavor = names.find((name) => name !== 'python_function') ?? names[0]!;
  return { flavor: `mlflow:${flavor}`, signature: signatureOf(signature, where) };
}

interface MlflowSpec {
  name?: string;
  type?: string;
  required?: boolean;
  'tensor-spec'?: { dtype?: string; shape?: number[] };
}

function signatureOf(signature: unknown, where: string): ModelSignature {
  if (signature === undefined || signature === null) return { inputs: [], outputs: [] };
  const { inputs, outputs } = signature as { inputs?: unknown; outputs?: unknown };
  const converted = {
    inputs: columnsOf(inputs, `${where}: signature.inputs`, 'input'),
    outputs: columnsOf(outputs, `${where}: signature.outputs`, 'output'),
  };
  const parsed = SignatureSchema.safeParse(converted);
  if (!parsed.success)
    throw invalid(`${where}: the signature cannot be read (${parsed.error.issues[0]!.message})`, where);
  return parsed.data;
}

function columnsOf(side: unknown, where: string, prefix: string): ModelSignature['inputs'] {
  if (side === undefined || side === null || side === '') return [];
  let specs: unknown;
  try {
    specs = typeof side === 'string' ? JSON.parse(side) : side;
  } catch {
    throw invalid(`${where} is not a JSON list of column specs`, where);
  }
  if (!Array.isArray(specs)) throw invalid(`${where} is not a list of column specs`, where);
  return (specs as MlflowSpec[]).map((spec, i) => {
    const tensor = spec['tensor-spec'];
    return {
      name: spec.name ?? `${prefix}_${i}`,
      type:
        spec.type === 'tensor' && tensor !== undefined
          ? `tensor<${tensor.dtype ?? 'unknown'}>`
          : (spec.type ?? 'unknown'),
      ...(tensor?.shape !== undefined ? { shape: tensor.shape } : {}),
      ...(spec.required === false ? { optional: true } : {}),
    };
  });
}

function invalid(message: string, where: string): InvalidInputError {
  return new InvalidInputError(message, {
    where,
    hint:
      'Log the model with an MLflow client (it writes MLmodel), ' +
      'or as a Ciclo package with ciclo-model.json (docs/model-format.md).',
  });
}
