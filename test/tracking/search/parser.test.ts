import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/common/errors.js';
import { parseExperimentFilter, parseRunFilter } from '../../../src/tracking/search/index.js';

/** The InvalidInputError a parse throws, for assertions on its details. */
function parseError(parse: () => unknown): InvalidInputError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    return error as InvalidInputError;
  }
  throw new Error('expected the filter to be rejected');
}

function runFilterError(filter: string): InvalidInputError {
  return parseError(() => parseRunFilter(filter));
}

describe('parseRunFilter', () => {
  it('parses metric, param and tag conditions joined by AND', () => {
    expect(parseRunFilter("metrics.auc > 0.9 and params.model = 'gbt' and tags.team = 'risk'")).toEqual({
      conditions: [
        { kind: 'number', field: { entity: 'metric', key: 'auc' }, comparator: '>', value: 0.9, column: 1 },
        { kind: 'string', field: { entity: 'param', key: 'model' }, comparator: '=', value: 'gbt', column: 23 },
        { kind: 'string', field: { entity: 'tag', key: 'team' }, comparator: '=', value: 'risk', column: 48 },
      ],
    });
  });

  it('treats an empty or blank filter as no conditions', () => {
    expect(parseRunFilter(undefined)).toEqual({ conditions: [] });
    expect(parseRunFilter('')).toEqual({ conditions: [] });
    expect(parseRunFilter('  \n ')).toEqual({ conditions: [] });
  });

  it('parses IN and NOT IN lists on string attributes', () => {
    expect(parseRunFilter("attributes.status IN ('FINISHED', 'FAILED')").conditions).toEqual([
      {
        kind: 'list',
        field: { entity: 'attribute', name: 'status' },
        comparator: 'IN',
        values: ['FINISHED', 'FAILED'],
        column: 1,
      },
    ]);
    expect(parseRunFilter("run_id not in ('a')").conditions[0]).toMatchObject({
      kind: 'list',
      comparator: 'NOT IN',
      values: ['a'],
    });
  });

  it('reads keys quoted with double quotes or backticks, and dotted keys without quotes', () => {
    expect(parseRunFilter(`tags."mlflow.source.git.commit" = 'abc'`).conditions[0]!.field).toEqual({
      entity: 'tag',
      key: 'mlflow.source.git.commit',
    });
    expect(parseRunFilter('metrics.`val loss` < 1').conditions[0]).toMatchObject({
      kind: 'number',
      field: { entity: 'metric', key: 'val loss' },
      comparator: '<',
      value: 1,
    });
    expect(parseRunFilter("tags.mlflow.source.type = 'LOCAL'").conditions[0]!.field).toEqual({
      entity: 'tag',
      key: 'mlflow.source.type',
    });
    expect(parseRunFilter('metrics.`a``b` > 0').conditions[0]!.field).toEqual({ entity: 'metric', key: 'a`b' });
  });

  it('parses LIKE and ILIKE patterns on attributes and params', () => {
    expect(parseRunFilter("run_name LIKE 'base%'").conditions[0]).toEqual({
      kind: 'string',
      field: { entity: 'attribute', name: 'run_name' },
      comparator: 'LIKE',
      value: 'base%',
      column: 1,
    });
    expect(parseRunFilter("params.lr ILIKE '%E-3'").conditions[0]).toMatchObject({
      comparator: 'ILIKE',
      value: '%E-3',
    });
  });

  it('parses dataset name, digest and context', () => {
    expect(
      parseRunFilter("datasets.digest = 'sha256:0f3a' and datasets.context = 'training' and dataset.name IN ('churn')")
        .conditions,
    ).toEqual([
      {
        kind: 'string',
        field: { entity: 'dataset', name: 'digest' },
        comparator: '=',
        value: 'sha256:0f3a',
        column: 1,
      },
      { kind: 'string', field: { entity: 'dataset', name: 'context' }, comparator: '=', value: 'training', column: 37 },
      { kind: 'list', field: { entity: 'dataset', name: 'name' }, comparator: 'IN', values: ['churn'], column: 71 },
    ]);
  });

  it('accepts every entity alias and bare attribute names, created meaning start_time', () => {
    const filter =
      "metric.a > 1 AND param.b = 'x' And tag.c = 'y' and attribute.status = 'RUNNING' and attr.user_id = 'ana' " +
      "and run.run_id = 'r' and created > 5 and end_time <= 9 and artifact_uri LIKE 's3:%' and START_TIME >= 1";
    expect(parseRunFilter(filter).conditions.map((c) => c.field)).toEqual([
      { entity: 'metric', key: 'a' },
      { entity: 'param', key: 'b' },
      { entity: 'tag', key: 'c' },
      { entity: 'attribute', name: 'status' },
      { entity: 'attribute', name: 'user_id' },
      { entity: 'attribute', name: 'run_id' },
      { entity: 'attribute', name: 'start_time' },
      { entity: 'attribute', name: 'end_time' },
      { entity: 'attribute', name: 'artifact_uri' },
      { entity: 'attribute', name: 'start_time' },
    ]);
  });

  it('reads single- and double-quoted strings with escaped quotes', () => {
    const values = (filter: string) =>
      parseRunFilter(filter).conditions.map((c) => (c.kind === 'string' ? c.value : undefined));
    expect(
      values(`params.a = 'it''s' and params.b = 'it\\'s' and params.c = "say ""hi""" and params.d = "a\\"b"`),
    ).toEqual(["it's", "it's", 'say "hi"', 'a"b']);
    expect(values(`params.a = 'C:\\\\dir' and params.b = '50\\%' and params.c = ''`)).toEqual(['C:\\dir', '50\\%', '']);
  });

  it('reads negative, fractional and exponent numbers', () => {
    const values = parseRunFilter(
      'metrics.a > -1 and metrics.b < 1.5e-3 and metrics.c >= -2E+2 and metrics.d != .5 and metrics.e = 7.',
    ).conditions.map((c) => (c.kind === 'number' ? c.value : undefined));
    expect(values).toEqual([-1, 0.0015, -200, 0.5, 7]);
  });

  it('parses comparators written without spaces', () => {
    expect(parseRunFilter("metrics.auc>=0.9 and params.model!='gbt'").conditions).toMatchObject([
      { comparator: '>=', value: 0.9 },
      { comparator: '!=', value: 'gbt' },
    ]);
  });

  describe('rejects', () => {
    it('OR, saying that only AND is supported, at its column', () => {
      const error = runFilterError("metrics.auc > 0.9 or params.model = 'gbt'");
      expect(error.code).toBe('INVALID_PARAMETER_VALUE');
      expect(error.message).toContain('only AND');
      expect(error.message).toContain('column 19');
      expect(error.details.where).toBe('filter column 19');
      expect(error.details.hint).toContain('IN');
    });

    it('shows the filter with a caret under the column', () => {
      const error = runFilterError("metrics.auc > 0.9 or params.model = 'gbt'");
      expect(error.message.split('\n').slice(1)).toEqual([
        "  metrics.auc > 0.9 or params.model = 'gbt'",
        '                    ^',
      ]);
    });

    it('an unclosed quote at the column where the string opens', () => {
      const error = runFilterError("params.model = 'gbt and metrics.auc > 1");
      expect(error.details.where).toBe('filter column 16');
      expect(error.message).toContain('unclosed string');
    });

    it('an unclosed quoted key', () => {
      expect(runFilterError('metrics.`val loss < 1').details.where).toBe('filter column 9');
    });

    it('an unknown entity', () => {
      const error = runFilterError('metricz.auc > 1');
      expect(error.message).toContain("unknown entity 'metricz'");
      expect(error.details.where).toBe('filter column 1');
      expect(error.details.hint).toContain('metrics.');
    });

    it('an unknown attribute, pointing at its name', () => {
      const error = runFilterError("attributes.colour = 'red'");
      expect(error.message).toContain("unknown run attribute 'colour'");
      expect(error.details.where).toBe('filter column 12');
      expect(runFilterError('auc > 0.9').details.hint).toContain('metrics.auc');
    });

    it('an unknown dataset field', () => {
      expect(runFilterError("datasets.size = '1'").details.where).toBe('filter column 10');
    });

    it('a comparator the field type does not support', () => {
      const onParam = runFilterError("params.lr > '0.1'");
      expect(onParam.details.where).toBe('filter column 11');
      expect(onParam.message).toContain('params.lr is a string');
      expect(runFilterError("metrics.auc LIKE '0.9%'").details.where).toBe('filter column 13');
      expect(runFilterError("start_time IN ('1')").details.where).toBe('filter column 12');
      expect(runFilterError("tags.team < 'x'").message).toContain('compares with =, !=, LIKE, ILIKE, IN, NOT IN');
    });

    it('a number for a string field, suggesting the quoted value', () => {
      const error = runFilterError('params.lr = 0.01');
      expect(error.details.where).toBe('filter column 13');
      expect(error.details.hint).toBe("quote the value: params.lr = '0.01'");
      expect(runFilterError("attributes.status IN ('FAILED', 3)").details.where).toBe('filter column 33');
    });

    it('a string for a metric, suggesting the bare number', () => {
      const error = runFilterError("metrics.auc > '0.9'");
      expect(error.details.where).toBe('filter column 15');
      expect(error.details.hint).toBe('write the number without quotes: metrics.auc > 0.9');
      expect(runFilterError("created > 'yesterday'").details.where).toBe('filter column 11');
    });

    it('an unquoted key with a space, suggesting backticks', () => {
      const error = runFilterError('metrics.val loss < 1');
      expect(error.details.where).toBe('filter column 13');
      expect(error.details.hint).toContain('metrics.`val loss`');
    });

    it('an unquoted key with special characters, suggesting quotes', () => {
      const error = runFilterError("params.model-type = 'x'");
      expect(error.details.where).toBe('filter column 13');
      expect(error.details.hint).toContain('params."model-type"');
    });

    it('a missing value, comparator or condition', () => {
      expect(runFilterError('metrics.auc >').details.where).toBe('filter column 14');
      expect(runFilterError('metrics.auc').details.where).toBe('filter column 12');
      expect(runFilterError('metrics.auc > 1 and').details.where).toBe('filter column 20');
      expect(runFilterError('and metrics.auc > 1').details.where).toBe('filter column 1');
      expect(runFilterError("metrics.auc > 1 params.a = 'b'").details.where).toBe('filter column 17');
      expect(runFilterError('metrics. > 1').details.where).toBe('filter column 9');
    });

    it('== and <>, naming the comparator to use', () => {
      expect(runFilterError("params.a == 'b'").details.hint).toContain('single =');
      expect(runFilterError("params.a <> 'b'").details.hint).toContain('!=');
    });

    it('malformed IN lists', () => {
      expect(runFilterError("status IN 'FAILED'").details.where).toBe('filter column 11');
      expect(runFilterError('status IN ()').message).toContain('empty');
      expect(runFilterError("status IN ('a', 'b'").details.where).toBe('filter column 20');
      expect(runFilterError("status IN ('a',)").details.where).toBe('filter column 16');
      expect(runFilterError("status NOT LIKE 'a'").details.where).toBe('filter column 12');
    });

    it('parentheses around conditions', () => {
      expect(runFilterError('(metrics.a > 1)').message).toContain('parentheses');
    });

    it('unexpected characters and statement separators', () => {
      const error = runFilterError("params.a = 'b'; DROP TABLE runs");
      expect(error.message).toContain("unexpected character ';'");
      expect(error.details.where).toBe('filter column 15');
      expect(runFilterError('params.a = `b`').details.where).toBe('filter column 12');
      expect(runFilterError("params.a = 'b\u0000'").message).toContain('NUL');
    });

    it('malformed and out-of-range numbers', () => {
      expect(runFilterError('metrics.a > 1.2.3').details.where).toBe('filter column 16');
      expect(runFilterError('metrics.a > 1e999').message).toContain('out of range');
      expect(runFilterError('metrics.a > - 1').details.where).toBe('filter column 13');
    });

    it('a LIKE pattern ending in the escape character', () => {
      expect(runFilterError(`params.a LIKE 'abc\\\\'`).message).toContain('escape character');
      expect(parseRunFilter(`params.a LIKE 'abc\\\\\\\\'`).conditions[0]).toMatchObject({ value: 'abc\\\\' });
    });

    it('an empty quoted key', () => {
      expect(runFilterError(`tags."" = 'x'`).details.where).toBe('filter column 7');
    });
  });
});

describe('parseExperimentFilter', () => {
  it('parses name, times and tags', () => {
    expect(
      parseExperimentFilter(
        "name LIKE 'churn%' and attributes.name != 'x' and creation_time > 5 and " +
          "last_update_time <= 9 and tags.team ILIKE 'r%'",
      ),
    ).toEqual({
      conditions: [
        {
          kind: 'string',
          field: { entity: 'attribute', name: 'name' },
          comparator: 'LIKE',
          value: 'churn%',
          column: 1,
        },
        { kind: 'string', field: { entity: 'attribute', name: 'name' }, comparator: '!=', value: 'x', column: 24 },
        {
          kind: 'number',
          field: { entity: 'attribute', name: 'creation_time' },
          comparator: '>',
          value: 5,
          column: 51,
        },
        {
          kind: 'number',
          field: { entity: 'attribute', name: 'last_update_time' },
          comparator: '<=',
          value: 9,
          column: 73,
        },
        { kind: 'string', field: { entity: 'tag', key: 'team' }, comparator: 'ILIKE', value: 'r%', column: 99 },
      ],
    });
  });

  it('rejects run fields, IN lists and numeric comparators on strings', () => {
    const error = parseError(() => parseExperimentFilter("status = 'FAILED'"));
    expect(error.message).toContain("no searchable attribute 'status'");
    expect(error.details.where).toBe('filter column 1');
    expect(parseError(() => parseExperimentFilter('metrics.auc > 1')).details.where).toBe('filter column 1');
    expect(parseError(() => parseExperimentFilter("name IN ('a')")).details.where).toBe('filter column 6');
    expect(parseError(() => parseExperimentFilter("tags.x > 'a'")).details.where).toBe('filter column 8');
    expect(parseError(() => parseExperimentFilter("creation_time > '5'")).details.where).toBe('filter column 17');
  });
});
