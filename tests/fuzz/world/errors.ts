/** The fuzzer's own errors and small helpers shared by the world and the commands: FuzzFailure, HangError, isLibError, hex. */
import { isNetmemError } from '@netmem/core';

/** A fuzzer oracle was violated (never a NetmemError: those are the library's answers). */
export class FuzzFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuzzFailure';
  }
}

/** Thrown from the tracer when one API call runs a pool's release retry absurdly often (an endless timer loop). */
export class HangError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HangError';
  }
}

export const hex = (n: unknown): string => (typeof n === 'number' && Number.isInteger(n) && n >= 0 ? `0x${n.toString(16)}` : String(n));

/** Whether `e` is one of the library's errors. */
export function isLibError(e: unknown): boolean {
  return isNetmemError(e);
}
