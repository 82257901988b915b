import { describe, expect, it } from 'vitest';
import { normalizeArtifactDir, normalizeArtifactPath } from '../../src/artifacts/index.js';
import { invalidInputOf } from '../support/errors.js';

describe('normalizeArtifactPath', () => {
  it.each([
    ['an empty path', '', 'empty'],
    ['a path of only separators and dots', './/.', 'empty'],
    ['an absolute POSIX path', '/etc/passwd', 'absolute'],
    ['an absolute Windows path', 'C:\\models\\m.onnx', 'absolute'],
    ['a Windows drive-relative path', 'c:model.onnx', 'absolute'],
    ['a ".." segment', 'plots/../../secret', '".."'],
    ['a trailing ".." segment', 'plots/..', '".."'],
    ['a backslash', 'plots\\roc.png', 'backslash'],
    ['a NUL character', 'model\u0000.onnx', 'control'],
    ['a newline', 'model\n.onnx', 'control'],
    ['a DEL character', 'model\u007f.onnx', 'control'],
  ])('refuses %s', (_, path, problem) => {
    const error = invalidInputOf(() => normalizeArtifactPath(path, 'artifact_path'));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toContain(JSON.stringify(path));
    expect(error.message).toContain(problem);
    expect(error.details.where).toBe('artifact_path');
    expect(error.details.hint).toBeTruthy();
  });

  it('refuses a path over 1024 characters and names its beginning', () => {
    const path = `${'a'.repeat(1020)}/b.txt`;
    const error = invalidInputOf(() => normalizeArtifactPath(path));
    expect(error.code).toBe('INVALID_PARAMETER_VALUE');
    expect(error.message).toContain('a'.repeat(80));
    expect(error.message).toContain('1024');
    expect(error.details.where).toBe('path');
  });

  it('accepts a path of exactly 1024 characters', () => {
    const path = `${'a'.repeat(1018)}/b.txt`;
    expect(normalizeArtifactPath(path)).toBe(path);
  });

  it.each([
    ['a//b/./c', 'a/b/c'],
    ['model/', 'model'],
    ['./model.onnx', 'model.onnx'],
    ['plots/roc.png', 'plots/roc.png'],
    ['..hidden/x..y', '..hidden/x..y'],
    ['résumé/数据.csv', 'résumé/数据.csv'],
  ])('normalizes %j to %j', (path, expected) => {
    expect(normalizeArtifactPath(path)).toBe(expected);
  });
});

describe('normalizeArtifactDir', () => {
  it.each([undefined, '', '.', './'])('treats %j as the root', (path) => {
    expect(normalizeArtifactDir(path)).toBe('');
  });

  it('normalizes a folder like a path', () => {
    expect(normalizeArtifactDir('plots//2024/')).toBe('plots/2024');
  });

  it('refuses what a path refuses', () => {
    expect(invalidInputOf(() => normalizeArtifactDir('../up', 'dir')).details.where).toBe('dir');
    expect(invalidInputOf(() => normalizeArtifactDir('/abs')).code).toBe('INVALID_PARAMETER_VALUE');
  });
});
