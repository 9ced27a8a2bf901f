/**
 * The package's error scope: every error provider-devmem throws is made
 * here, so its message reads `provider-devmem: <what was expected>, got
 * <what came> (CODE)`; and the errno facts of one caught, for a warning.
 */
import { isNetmemError } from '@netmem/core';
import { errorScope, type ErrorScope } from '@netmem/core/provider';

/** provider-devmem's argument checks and error construction. */
export const E: ErrorScope = errorScope('provider-devmem');

/** The errno facts of a caught error, for a warning (none when it is not a NetmemError). */
export function errnoFacts(e: unknown): { errno?: number; code?: string } {
  return isNetmemError(e) ? { errno: e.errno, code: e.code } : {};
}
