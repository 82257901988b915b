import { expect } from 'vitest';
import { cicloErrorOf } from '../support/errors.js';

/** A ciclo.yaml that must be refused, and how: its error code, `file:line:col` and message. */
export type RefusedSetup = [label: string, text: string, expected: { code: string; where: string; message: RegExp }];

/** Writes each text as the setup file in turn and checks that applying it fails as expected. */
export async function expectRefused(
  cases: readonly RefusedSetup[],
  writeSetup: (text: string) => void,
  apply: () => Promise<unknown>,
): Promise<void> {
  for (const [label, text, expected] of cases) {
    writeSetup(text);
    const error = await cicloErrorOf(apply());
    expect({ label, code: error.code, where: error.details.where }).toEqual({
      label,
      code: expected.code,
      where: expected.where,
    });
    expect(error.message, label).toMatch(expected.message);
  }
}
