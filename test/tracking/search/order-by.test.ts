import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/common/errors.js';
import { parseExperimentOrderBy, parseRunOrderBy } from '../../../src/tracking/search/index.js';

function orderByError(parse: () => unknown): InvalidInputError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected order_by to be rejected');
}

describe('parseRunOrderBy', () => {
  it('parses fields with an optional, case-insensitive direction', () => {
    expect(
      parseRunOrderBy([
        'metrics.auc DESC',
        'params.lr',
        'attributes.start_time ASC',
        'run_name',
        'tags.x desc',
        'metrics.`val loss` asc',
      ]),
    ).toEqual([
      { field: { entity: 'metric', key: 'auc' }, direction: 'DESC' },
      { field: { entity: 'param', key: 'lr' }, direction: 'ASC' },
      { field: { entity: 'attribute', name: 'start_time' }, direction: 'ASC' },
      { field: { entity: 'attribute', name: 'run_name' }, direction: 'ASC' },
      { field: { entity: 'tag', key: 'x' }, direction: 'DESC' },
      { field: { entity: 'metric', key: 'val loss' }, direction: 'ASC' },
    ]);
  });

  it('reads bare attributes, created as start_time, and quoted keys', () => {
    expect(parseRunOrderBy(['start_time'])).toEqual([
      { field: { entity: 'attribute', name: 'start_time' }, direction: 'ASC' },
    ]);
    expect(parseRunOrderBy(['created DESC', 'tags."mlflow.user"'])).toEqual([
      { field: { entity: 'attribute', name: 'start_time' }, direction: 'DESC' },
      { field: { entity: 'tag', key: 'mlflow.user' }, direction: 'ASC' },
    ]);
    expect(parseRunOrderBy(undefined)).toEqual([]);
  });

  it('rejects an unknown direction at its column, naming the entry', () => {
    const error = orderByError(() => parseRunOrderBy(['metrics.auc DESC', 'metrics.loss DOWN']));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.details.where).toBe('order_by[1]');
    expect(error.message).toContain('column 14');
    expect(error.message.split('\n').slice(1)).toEqual(['  metrics.loss DOWN', '               ^']);
  });

  it('rejects unknown entities and attributes, datasets, extra words and empty entries', () => {
    expect(orderByError(() => parseRunOrderBy(['metricz.auc'])).details.where).toBe('order_by[0]');
    expect(orderByError(() => parseRunOrderBy(['params.a', 'colour'])).details.where).toBe('order_by[1]');
    expect(orderByError(() => parseRunOrderBy(['datasets.name'])).message).toContain('dataset');
    expect(orderByError(() => parseRunOrderBy(['metrics.auc DESC NULLS'])).message).toContain('column 18');
    expect(orderByError(() => parseRunOrderBy(['metrics.val loss'])).details.hint).toContain('`val loss`');
    expect(orderByError(() => parseRunOrderBy([''])).message).toContain('expected a field');
    expect(orderByError(() => parseRunOrderBy(["'auc'"])).message).toContain('expected a field');
  });

  it('rejects the same field twice', () => {
    const error = orderByError(() => parseRunOrderBy(['metrics.auc', 'params.a', 'metric.auc DESC']));
    expect(error.details.where).toBe('order_by[2]');
    expect(error.message).toContain('order_by[0]');
  });
});

describe('parseExperimentOrderBy', () => {
  it('parses the orderable attributes', () => {
    expect(
      parseExperimentOrderBy(['name', 'experiment_id DESC', 'attributes.creation_time asc', 'last_update_time DESC']),
    ).toEqual([
      { field: { entity: 'attribute', name: 'name' }, direction: 'ASC' },
      { field: { entity: 'attribute', name: 'experiment_id' }, direction: 'DESC' },
      { field: { entity: 'attribute', name: 'creation_time' }, direction: 'ASC' },
      { field: { entity: 'attribute', name: 'last_update_time' }, direction: 'DESC' },
    ]);
  });

  it('rejects tags and run fields', () => {
    expect(orderByError(() => parseExperimentOrderBy(['tags.team'])).details.hint).toContain('creation_time');
    expect(orderByError(() => parseExperimentOrderBy(['name', 'status'])).details.where).toBe('order_by[1]');
  });
});
