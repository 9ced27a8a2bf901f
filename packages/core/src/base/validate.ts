/**
 * Argument checks for public entry points. Every check runs before the call
 * changes anything and fails with EINVAL (or the code given) and a message
 * that says what was expected and what came: `poolSize must be an integer
 * 0..32768, got "1024" (string)`.
 *
 * {@link errorScope} binds the checks to a package name, so a provider's
 * errors read `provider-devmem: ...` and core's `netmem: ...`.
 */
import { NetmemError, show, type ErrnoCode } from './errors.js';

/**
 * Argument checks and error construction for one package (see {@link errorScope}).
 * @category Provider contract
 */
export interface ErrorScope {
  /** The package name errors start with. */
  readonly scope: string;
  /** Makes an error of this scope. */
  error(code: ErrnoCode, message: string): NetmemError;
  /** Throws an error of this scope. */
  fail(code: ErrnoCode, message: string): never;
  /** Throws `code` (default EINVAL) saying `${what}, got ${value}`. */
  expected(what: string, got: unknown, code?: ErrnoCode): never;
  /** `v` when it is an integer in [min, max]; otherwise EINVAL (or `code`). */
  int(v: unknown, name: string, min: number, max: number, code?: ErrnoCode): number;
  /** `v` when it is a finite number in [min, max]; otherwise EINVAL. */
  num(v: unknown, name: string, min: number, max: number): number;
  /** `v` when it is a boolean; otherwise EINVAL. */
  bool(v: unknown, name: string): boolean;
  /** `v` when it is one of `values`; otherwise EINVAL. */
  oneOf<T extends string | number>(v: unknown, name: string, values: readonly T[]): T;
  /**
   * Checks an options argument: a plain object (or undefined when
   * `optional`) whose every key is in `allowed`. A typo such as `poolsize`
   * is refused with EINVAL instead of silently ignored.
   */
  options<T extends object>(v: T | undefined, what: string, allowed: readonly string[], optional?: boolean): T;
}

/**
 * Argument checks whose errors start with `scope`.
 * @category Provider contract
 */
export function errorScope(scope: string): ErrorScope {
  const fail = (code: ErrnoCode, message: string): never => {
    throw new NetmemError(code, message, scope);
  };
  const expected = (what: string, got: unknown, code: ErrnoCode = 'EINVAL'): never => fail(code, `${what}, got ${show(got)}`);
  return {
    scope,
    error: (code, message) => new NetmemError(code, message, scope),
    fail,
    expected,
    int(v, name, min, max, code = 'EINVAL') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) expected(`${name} must be an integer ${range(min, max)}`, v, code);
      return v as number;
    },
    num(v, name, min, max) {
      if (typeof v !== 'number' || !(v >= min && v <= max)) expected(`${name} must be a number ${range(min, max)}`, v);
      return v as number;
    },
    bool(v, name) {
      if (typeof v !== 'boolean') expected(`${name} must be true or false`, v);
      return v as boolean;
    },
    oneOf(v, name, values) {
      if (!values.includes(v as never)) expected(`${name} must be one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, v);
      return v as never;
    },
    options<T extends object>(v: T | undefined, what: string, allowed: readonly string[], optional = true): T {
      if (v === undefined && optional) return {} as never;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) expected(`${what} takes an options object`, v);
      for (const k of Object.keys(v as object)) {
        if (!allowed.includes(k)) fail('EINVAL', `${what}: unknown option ${JSON.stringify(k)} (known: ${allowed.join(', ')})`);
      }
      return v as T;
    },
  };
}

function range(min: number, max: number): string {
  if (max === Number.MAX_SAFE_INTEGER || max === Infinity) return `≥ ${min}`;
  return `${min}..${max}`;
}

/** Core's own checks (`netmem:` errors). */
export const E: ErrorScope = errorScope('netmem');
