/**
 * The package's error scope: every error provider-iouring throws is made
 * here, so its message reads `provider-iouring: <what was expected>, got
 * <what came> (CODE)`.
 */
import { errorScope, type ErrorScope } from '@netmem/core/provider';

/** provider-iouring's argument checks and error construction. */
export const E: ErrorScope = errorScope('provider-iouring');
