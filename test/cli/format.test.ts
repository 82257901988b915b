import { describe, expect, it } from 'vitest';
import { renderFields, renderTable, terminalCell, terminalText } from '../../src/cli/format.js';

describe('terminal-safe text', () => {
  it('shows C0, DEL, C1 and bidi controls as visible escapes, in text and in cells', () => {
    const raw = 'a\u0000b\u001b[31mc\u007fd\u009be\u202ef\u2066g\u200fh\u061ci';
    const shown = 'a\\x00b\\x1b[31mc\\x7fd\\x9be\\u202ef\\u2066g\\u200fh\\u061ci';
    expect(terminalText(raw)).toBe(shown);
    expect(terminalCell(raw)).toBe(shown);
  });

  it('keeps newline and tab in text but escapes them in a cell', () => {
    expect(terminalText('one\n\ttwo\r')).toBe('one\n\ttwo\\r');
    expect(terminalCell('one\n\ttwo\r')).toBe('one\\n\\ttwo\\r');
  });

  it('leaves printable text, backslashes and other scripts as they are', () => {
    const text = 'C:\\models\\churn — مرحبا — 模型 ✓';
    expect(terminalText(text)).toBe(text);
    expect(terminalCell(text)).toBe(text);
  });

  it('aligns table columns on the escaped width, so a value cannot add a row', () => {
    expect(
      renderTable(
        ['K', 'V'],
        [
          ['a\nb', '1'],
          ['c', '2'],
        ],
      ),
    ).toBe('K     V\na\\nb  1\nc     2');
  });

  it('continues a multi-line field value under its column', () => {
    expect(
      renderFields([
        ['model', 'churn'],
        ['description', 'one\ntwo'],
      ]),
    ).toBe('model        churn\ndescription  one\n             two');
  });
});
