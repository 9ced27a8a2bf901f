/** The suite's assertions: each throws a ConformanceError naming what was expected and what came. */
import { isNetmemError, type ErrnoCode } from '../../base/errors.js';
import { ConformanceError } from './types.js';

export function check(cond: boolean, message: string): asserts cond {
  if (!cond) throw new ConformanceError(message);
}

export function eq<T>(actual: T, expected: T, what: string): void {
  if (!Object.is(actual, expected)) throw new ConformanceError(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

export function expectCode(fn: () => unknown, code: ErrnoCode, what: string): void {
  try {
    fn();
  } catch (e) {
    if (isNetmemError(e, code)) return;
    throw new ConformanceError(`${what}: expected a NetmemError ${code}, got ${e instanceof Error ? e.message : String(e)}`);
  }
  throw new ConformanceError(`${what}: expected a NetmemError ${code}, nothing was thrown`);
}
