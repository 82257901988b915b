import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../src/common/errors.js';
import { definePipeline, loadPipelineYaml, step } from '../../src/pipelines/index.js';
import { invalidInputOf } from '../support/errors.js';
import { stepKinds } from '../../src/app/step-kinds.js';

function yamlError(lines: string[]): InvalidInputError {
  // Every kind an installation has, as `ciclo pipeline run` compiles with.
  return invalidInputOf(() => loadPipelineYaml(lines.join('\n'), 'pipeline.yaml', { registry: stepKinds() }));
}

const HEAD = [
  'name: demo', //                                   1
  'params:', //                                      2
  '  lr: { type: number, default: 0.01 }', //        3
  'steps:', //                                       4
  '  - name: prepare', //                            5
  '    kind: command', //                            6
  '    command: ./prepare.sh', //                    7
  '    outputs: { table: { type: dataset } }', //    8
  '  - name: train', //                              9
];
const TRAIN = [...HEAD, '    kind: command', '    command: ./train.sh']; // 10, 11

interface Case {
  title: string;
  lines: string[];
  path: string;
  message: string;
  where: string;
  hint?: string;
}

const cases: Case[] = [
  {
    title: 'sensitive columns on an output that is not registered',
    lines: [...TRAIN, '    outputs: { model: { type: file, sensitive: [age] } }'],
    path: 'steps[1].outputs.model.sensitive',
    message: 'sensitive needs register: only a registered dataset version tags columns',
    where: 'pipeline.yaml:12:48',
  },
  {
    title: 'a field of the wrong shape',
    lines: [...TRAIN, '    retries: -1'],
    path: 'steps[1].retries',
    message: 'Too small: expected number to be >=0',
    where: 'pipeline.yaml:12:14',
  },
  {
    title: 'a misspelt field of a kind',
    lines: [...HEAD, '    kind: command', '    comand: ./train.sh', '    command: ./train.sh'],
    path: 'steps[1].comand',
    message: 'unknown field "comand"',
    where: 'pipeline.yaml:11:5',
  },
  {
    title: 'a misspelt pipeline field',
    lines: ['name: demo', 'parallelsm: 2', 'steps: [{ name: a, kind: command, command: x }]'],
    path: 'parallelsm',
    message: 'unknown field "parallelsm"',
    where: 'pipeline.yaml:2:1',
  },
  {
    title: 'a missing required field, at the step that lacks it',
    lines: [...HEAD, '    command: ./train.sh'],
    path: 'steps[1].kind',
    message: 'missing required field (string)',
    where: 'pipeline.yaml:9:5',
  },
  {
    title: 'a step name that is not an identifier',
    lines: [...HEAD.slice(0, 8), '  - name: train model', '    kind: command', '    command: ./train.sh'],
    path: 'steps[1].name',
    message: 'must start with a letter or _ and contain only letters, digits, _ and -',
    where: 'pipeline.yaml:9:11',
  },
  {
    title: 'an input that is not a reference',
    lines: [...TRAIN, '    inputs: { table: prepare.table }'],
    path: 'steps[1].inputs.table',
    message:
      '"prepare.table" is not a reference; ' +
      'write steps.<step>.outputs.<output>, params.<name> or datasets.<name>[@<version>]',
    where: 'pipeline.yaml:12:22',
  },
  {
    title: 'a timeout that is not a duration',
    lines: [...TRAIN, '    timeout: 5 minutes'],
    path: 'steps[1].timeout',
    message: '"5 minutes" is not a duration; write e.g. 500ms, 30s, 5m or 1h',
    where: 'pipeline.yaml:12:14',
  },
  {
    title: 'a duplicate step name',
    lines: [...HEAD.slice(0, 8), '  - name: prepare', '    kind: command', '    command: ./again.sh'],
    path: 'steps[1].name',
    message: 'duplicate step name "prepare"; steps[0] already has it',
    where: 'pipeline.yaml:9:11',
    hint: 'give every step a unique name',
  },
  {
    title: 'an input from a step that does not exist',
    lines: [...TRAIN, '    inputs:', '      table: steps.prep.outputs.table'],
    path: 'steps[1].inputs.table',
    message: 'unknown step "prep"',
    where: 'pipeline.yaml:13:14',
    hint: 'steps in this pipeline: prepare, train',
  },
  {
    title: 'a dependsOn naming a step that does not exist',
    lines: [...TRAIN, '    dependsOn: [prepare, clean]'],
    path: 'steps[1].dependsOn[1]',
    message: 'unknown step "clean"',
    where: 'pipeline.yaml:12:26',
  },
  {
    title: 'an input nobody produces',
    lines: [...TRAIN, '    inputs:', '      table: steps.prepare.outputs.tabel'],
    path: 'steps[1].inputs.table',
    message: 'step "prepare" has no output "tabel"',
    where: 'pipeline.yaml:13:14',
    hint: 'its outputs: table',
  },
  {
    title: 'an input from an undeclared param',
    lines: [...TRAIN, '    inputs: { rate: params.learning_rate }'],
    path: 'steps[1].inputs.rate',
    message: 'unknown param "learning_rate"',
    where: 'pipeline.yaml:12:21',
    hint: 'declared params: lr',
  },
  {
    title: 'a template naming an undeclared param',
    lines: [...HEAD, '    kind: command', '    command: [./train.sh, --lr, "${params.rate}"]'],
    path: 'steps[1].command[2]',
    message: 'unknown param "rate"',
    where: 'pipeline.yaml:11:33',
    hint: 'declared params: lr',
  },
  {
    title: 'a template naming an input the step does not declare',
    lines: [...HEAD, '    kind: command', '    command: ./train.sh ${inputs.table}'],
    path: 'steps[1].command',
    message: '${inputs.table} names no input of step "train"',
    where: 'pipeline.yaml:11:14',
    hint: 'declare it under inputs of the step',
  },
  {
    title: 'a param default of the wrong type',
    lines: [
      'name: demo',
      'params:',
      '  lr: { type: number, default: abc }',
      'steps: [{ name: a, kind: ts, module: m }]',
    ],
    path: 'params.lr.default',
    message: 'expected a number, got "abc"',
    where: 'pipeline.yaml:3:32',
    hint: 'param "lr" is declared as number',
  },
  {
    title: 'an environment param value of the wrong type',
    lines: [...TRAIN, 'environments:', '  staging:', '    params: { lr: fast }'],
    path: 'environments.staging.params.lr',
    message: 'expected a number, got "fast"',
    where: 'pipeline.yaml:14:19',
  },
  {
    title: 'an environment setting an undeclared param',
    lines: [...TRAIN, 'environments:', '  prod:', '    params: { epochs: 3 }'],
    path: 'environments.prod.params.epochs',
    message: 'unknown param "epochs"',
    where: 'pipeline.yaml:14:23',
  },
  {
    title: 'a cycle, naming its path',
    lines: [
      'name: loop',
      'steps:',
      '  - { name: a, kind: command, command: x, dependsOn: [b] }',
      '  - { name: b, kind: command, command: x, dependsOn: [c] }',
      '  - { name: c, kind: command, command: x, dependsOn: [a] }',
    ],
    path: 'steps[2].dependsOn[0]',
    message: 'steps depend on each other in a cycle: a → b → c → a',
    where: 'pipeline.yaml:5:55',
    hint: 'remove one of these dependencies (inputs or dependsOn)',
  },
  {
    title: 'a step that depends on itself',
    lines: ['name: self', 'steps:', '  - name: a', '    kind: command', '    command: x', '    dependsOn: [a]'],
    path: 'steps[0].dependsOn[0]',
    message: 'steps depend on each other in a cycle: a → a',
    where: 'pipeline.yaml:6:17',
  },
  {
    title: 'an unknown step kind, listing the known kinds',
    lines: [...HEAD, '    kind: shell', '    command: ./train.sh'],
    path: 'steps[1].kind',
    message: 'unknown step kind "shell"',
    where: 'pipeline.yaml:10:11',
    hint: 'use one of the known kinds: command, dedupe, evaluate, gate, register, split, sql, ts, validate',
  },
  {
    title: 'a trigger with a cron pattern croner cannot read',
    lines: [...TRAIN, 'triggers:', '  - { name: nightly, type: cron, schedule: "61 * * * *" }'],
    path: 'triggers[0].schedule',
    message: 'invalid cron schedule "61 * * * *": CronPattern: Invalid value for minute: 61',
    where: 'pipeline.yaml:13:44',
  },
  {
    title: 'a trigger setting a param the pipeline does not have',
    lines: [
      ...TRAIN,
      'triggers:',
      '  - name: hook',
      '    type: webhook',
      '    secretEnv: HOOK_SECRET',
      '    params: { epochs: 3 }',
    ],
    path: 'triggers[0].params.epochs',
    message: 'unknown param "epochs"',
    where: 'pipeline.yaml:16:23',
  },
];

describe('definition errors in YAML', () => {
  it.each(cases)('refuses $title', ({ lines, path, message, where, hint }) => {
    const error = yamlError(lines);
    expect(error.message).toBe(`${path}: ${message}`);
    expect(error.details.where).toBe(where);
    if (hint) expect(error.details.hint).toBe(hint);
  });

  it('refuses a document that is not a pipeline, at its start', () => {
    const error = yamlError(['- just', '- a list']);
    expect(error.message).toBe('pipeline: Invalid input: expected object, received array');
    expect(error.details.where).toBe('pipeline.yaml:1:1');
  });
});

describe('definition errors in the DSL', () => {
  it('names the field path where YAML would name the file position', () => {
    const error = invalidInputOf(() =>
      definePipeline({
        name: 'demo',
        params: { lr: { type: 'number', default: 0.01 } },
        steps: [
          step('prepare', { kind: 'command', command: './prepare.sh', outputs: { table: { type: 'dataset' } } }),
          step('train', { kind: 'command', command: './train.sh', inputs: { table: 'steps.prepare.outputs.tabel' } }),
        ],
      }),
    );
    expect(error.message).toBe('steps[1].inputs.table: step "prepare" has no output "tabel"');
    expect(error.details).toEqual({ where: 'steps[1].inputs.table', hint: 'its outputs: table' });
  });

  it('refuses a param value of the wrong type', () => {
    const error = invalidInputOf(() =>
      definePipeline({
        name: 'demo',
        params: { epochs: { type: 'integer', default: 2.5 } },
        steps: [step('a', { kind: 'command', command: 'x' })],
      }),
    );
    expect(error.message).toBe('params.epochs.default: expected an integer, got 2.5');
    expect(error.details.where).toBe('params.epochs.default');
  });
});
