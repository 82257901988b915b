import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/common/errors.js';
import { renderTemplate, splitCommand } from '../../../src/pipelines/index.js';

const values = {
  params: { lr: 0.1, name: 'two words' },
  inputs: { data: '/in/data.csv' },
  outputs: { model: '/out/model' },
};

describe('renderTemplate', () => {
  it('replaces params, inputs and outputs, with or without spaces inside the braces', () => {
    expect(renderTemplate('--lr=${params.lr} ${ inputs.data } ${outputs.model}/m.onnx', values)).toBe(
      '--lr=0.1 /in/data.csv /out/model/m.onnx',
    );
  });

  it('leaves variables that are not templates alone', () => {
    expect(renderTemplate('$HOME ${HOME}', values)).toBe('$HOME ${HOME}');
  });

  it('refuses a name the step does not have', () => {
    expect(() => renderTemplate('${params.epochs}', values)).toThrow(InvalidInputError);
    expect(() => renderTemplate('${inputs.test}', values)).toThrow('${inputs.test} names no input of this step');
  });
});

describe('splitCommand', () => {
  it('splits words as a shell would, keeping templates for rendering afterwards', () => {
    expect(
      splitCommand(`python3 "train it.py" --note 'a b' c\\ d --lr \${ params.lr } --in "\${inputs.data}"`, {}),
    ).toEqual(['python3', 'train it.py', '--note', 'a b', 'c d', '--lr', '${params.lr}', '--in', '${inputs.data}']);
  });

  it('expands $VARIABLES from the step environment, and an unset one to an empty word', () => {
    expect(
      splitCommand('echo $CICLO_OUTPUT_DIR/x "${HOME}" $UNSET_ONE end', { CICLO_OUTPUT_DIR: '/o', HOME: '/h' }),
    ).toEqual(['echo', '/o/x', '/h', '', 'end']);
  });

  it('refuses pipes, redirections and unquoted globs, which need a shell', () => {
    expect(() => splitCommand('cat a | wc -l', {})).toThrow(InvalidInputError);
    expect(() => splitCommand('echo hi > out.txt', {})).toThrow('needs a shell');
    expect(() => splitCommand('ls *.csv', {})).toThrow('"*.csv"');
    expect(splitCommand("ls '*.csv'", {})).toEqual(['ls', '*.csv']);
  });
});
