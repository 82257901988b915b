import type {
  DatasetField,
  ExperimentOrderField,
  NumericExperimentField,
  NumericRunField,
  RunAttribute,
  RunOrderField,
  StringExperimentField,
  StringRunField,
} from './ast.js';
import type { IdentifierToken } from './lexer.js';
import { syntaxError, type SearchText } from './syntax-error.js';

/**
 * What each identifier means in runs and experiments searches: entity prefixes, attribute names,
 * and which fields compare as numbers. Prefixes and attribute names are case-insensitive; keys
 * (metric, param and tag names) are taken exactly as written.
 */

/** A filter field with the kind of value it compares against. */
export type ResolvedField<N, S> = { type: 'numeric'; field: N } | { type: 'string'; field: S };

type Entity = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';

const RUN_ENTITIES: Record<string, Entity> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
};

const RUN_ATTRIBUTES: Record<string, RunAttribute> = {
  run_id: 'run_id',
  run_name: 'run_name',
  status: 'status',
  user_id: 'user_id',
  artifact_uri: 'artifact_uri',
  start_time: 'start_time',
  end_time: 'end_time',
  created: 'start_time',
};

const DATASET_FIELDS: Record<string, DatasetField> = { name: 'name', digest: 'digest', context: 'context' };

const RUN_ENTITY_HINT = 'start the field with metrics., params., tags., attributes. or datasets., as in metrics.auc';
const RUN_ATTRIBUTE_LIST = 'status, run_name, run_id, user_id, start_time, end_time, artifact_uri and created';

export function resolveRunFilterField(
  token: IdentifierToken,
  source: SearchText,
): ResolvedField<NumericRunField, StringRunField> {
  const entity = runEntity(token, source);
  switch (entity) {
    case 'metric':
      return { type: 'numeric', field: { entity, key: requireKey(token, source) } };
    case 'param':
    case 'tag':
      return { type: 'string', field: { entity, key: requireKey(token, source) } };
    case 'dataset':
      return { type: 'string', field: { entity, name: datasetField(token, source) } };
    case 'attribute': {
      const name = runAttribute(token, source);
      return name === 'start_time' || name === 'end_time'
        ? { type: 'numeric', field: { entity, name } }
        : { type: 'string', field: { entity, name } };
    }
  }
}

export function resolveRunOrderField(token: IdentifierToken, source: SearchText): RunOrderField {
  const entity = runEntity(token, source);
  switch (entity) {
    case 'metric':
    case 'param':
    case 'tag':
      return { entity, key: requireKey(token, source) };
    case 'attribute':
      return { entity, name: runAttribute(token, source) };
    case 'dataset':
      throw syntaxError(
        source,
        token.column,
        'runs cannot be ordered by a dataset field',
        'order by a metric, param, tag or attribute, as in metrics.auc DESC',
      );
  }
}

const EXPERIMENT_ATTRIBUTE_PREFIXES = new Set(['attribute', 'attributes', 'attr']);
const EXPERIMENT_TAG_PREFIXES = new Set(['tag', 'tags']);

export function resolveExperimentFilterField(
  token: IdentifierToken,
  source: SearchText,
): ResolvedField<NumericExperimentField, StringExperimentField> {
  const prefix = token.prefix?.toLowerCase();
  const hint = "filter experiments by name, creation_time, last_update_time or tags.<key>, as in name LIKE 'churn%'";
  if (prefix !== undefined && EXPERIMENT_TAG_PREFIXES.has(prefix)) {
    return { type: 'string', field: { entity: 'tag', key: requireKey(token, source) } };
  }
  if (prefix !== undefined && !EXPERIMENT_ATTRIBUTE_PREFIXES.has(prefix)) {
    throw syntaxError(source, token.column, `unknown entity '${token.prefix}' in '${token.text}'`, hint);
  }
  const name = token.name.toLowerCase();
  if (name === 'name') return { type: 'string', field: { entity: 'attribute', name } };
  if (name === 'creation_time' || name === 'last_update_time')
    return { type: 'numeric', field: { entity: 'attribute', name } };
  throw syntaxError(source, token.nameColumn, `experiments have no searchable attribute '${token.name}'`, hint);
}

export function resolveExperimentOrderField(token: IdentifierToken, source: SearchText): ExperimentOrderField {
  const prefix = token.prefix?.toLowerCase();
  const name = token.name.toLowerCase();
  const attribute = prefix === undefined || EXPERIMENT_ATTRIBUTE_PREFIXES.has(prefix);
  if (
    attribute &&
    (name === 'name' || name === 'experiment_id' || name === 'creation_time' || name === 'last_update_time')
  ) {
    return { entity: 'attribute', name };
  }
  throw syntaxError(
    source,
    token.column,
    `experiments cannot be ordered by '${token.text}'`,
    'order experiments by name, experiment_id, creation_time or last_update_time',
  );
}

function runEntity(token: IdentifierToken, source: SearchText): Entity {
  if (token.prefix === undefined) return 'attribute';
  const entity = RUN_ENTITIES[token.prefix.toLowerCase()];
  if (!entity)
    throw syntaxError(source, token.column, `unknown entity '${token.prefix}' in '${token.text}'`, RUN_ENTITY_HINT);
  return entity;
}

function runAttribute(token: IdentifierToken, source: SearchText): RunAttribute {
  const attribute = RUN_ATTRIBUTES[token.name.toLowerCase()];
  if (attribute) return attribute;
  const hint =
    token.prefix === undefined
      ? `attributes are ${RUN_ATTRIBUTE_LIST}; ` +
        `for a metric, param or tag write metrics.${token.name}, params.${token.name} or tags.${token.name}`
      : `attributes are ${RUN_ATTRIBUTE_LIST}`;
  throw syntaxError(source, token.nameColumn, `unknown run attribute '${token.name}'`, hint);
}

function datasetField(token: IdentifierToken, source: SearchText): DatasetField {
  const field = DATASET_FIELDS[token.name.toLowerCase()];
  if (field) return field;
  throw syntaxError(
    source,
    token.nameColumn,
    `unknown dataset field '${token.name}'`,
    "datasets can be searched by name, digest and context, as in datasets.digest = '…'",
  );
}

function requireKey(token: IdentifierToken, source: SearchText): string {
  if (token.name !== '') return token.name;
  throw syntaxError(
    source,
    token.nameColumn,
    `'${token.text}' has an empty key`,
    `name the key inside the quotes, as in ${token.prefix}."my key"`,
  );
}
