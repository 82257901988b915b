import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameOf } from '../../src/serving/index.js';
import { openTestContext, type TestContext } from '../support/context.js';
import { COLUMN_SIGNATURE, registerPackage, writeServingPackage } from './support.js';

/**
 * A js model that records the size of every call it gets (in `globalThis`, which the test reads) and
 * refuses a = 13, the request a runtime chokes on.
 */
const RECORDING_MODEL = `
export function load() { return (globalThis.cicloBatchCalls = []); }
export async function predict(calls, records) {
  calls.push(records.length);
  await new Promise((resolve) => setTimeout(resolve, 2));
  if (records.some((record) => record.a === 13)) throw new Error('a = 13 breaks this model');
  return records.map((record) => record.a * 2 + record.b);
}`;

declare global {
  var cicloBatchCalls: number[] | undefined;
}

describe('adaptive batching', () => {
  let test: TestContext;

  beforeAll(async () => {
    test = await openTestContext('sqlite');
    const folder = join(test.dir, 'recording');
    await writeServingPackage(
      folder,
      { 'model.mjs': RECORDING_MODEL },
      { flavor: 'js', entry: 'model.mjs', signature: COLUMN_SIGNATURE },
    );
    await registerPackage(test.context, 'recording', folder);
  });
  afterAll(async () => test?.drop());

  const request = (a: number) =>
    frameOf(1, [
      ['a', [a]],
      ['b', [1]],
    ]);

  it('joins concurrent requests into fewer runtime calls and hands each its own rows', async () => {
    const model = await test.context.serving.load('recording', { batching: { maxRows: 16, maxWaitMs: 0 } });
    try {
      const answers = await Promise.all(Array.from({ length: 64 }, (_, i) => model.score(request(100 + i))));
      answers.forEach((answer, i) => expect(answer.columns.get('score')).toEqual([(100 + i) * 2 + 1]));
      const calls = globalThis.cicloBatchCalls!;
      expect(calls.reduce((sum, rows) => sum + rows, 0)).toBe(64);
      expect(Math.max(...calls)).toBe(16);
      // The first request goes alone at once (no added wait); those queued behind it go together.
      expect(calls[0]).toBe(1);
      expect(calls.length).toBeLessThanOrEqual(6);
    } finally {
      await model.close();
    }
  });

  it('calls the runtime once per request without batching', async () => {
    const model = await test.context.serving.load('recording', { batching: false });
    try {
      await Promise.all(Array.from({ length: 10 }, (_, i) => model.score(request(100 + i))));
      expect(globalThis.cicloBatchCalls).toEqual(new Array(10).fill(1));
    } finally {
      await model.close();
    }
  });

  it('fails only the request the runtime chokes on, not its batch mates', async () => {
    const model = await test.context.serving.load('recording', { batching: { maxRows: 64, maxWaitMs: 5 } });
    try {
      const results = await Promise.allSettled([10, 11, 13, 14].map((a) => model.score(request(a))));
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ message: 'a = 13 breaks this model' });
      // One batch of four (the wait gathered them), then each alone.
      expect(globalThis.cicloBatchCalls).toEqual([4, 1, 1, 1, 1]);
    } finally {
      await model.close();
    }
  });
});
