/**
 * The package's error scope: every error provider-devmem throws is made
 * here, so its message reads `provider-devmem: <what was expected>, got
 * <what came> (CODE)`.
 */
import { errorScope, type ErrorScope } from '@netmem/core/provider';

/** provider-devmem's argument checks and error construction. */
export const E: ErrorScope = errorScope('provider-devmem');
