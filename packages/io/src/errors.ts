/** The package's argument checks and errors: NetmemErrors whose messages start with `io:`. */
import { errorScope, type ErrorScope } from '@netmem/core/provider';

/** @internal Scoped checks of @netmem/io. */
export const E: ErrorScope = errorScope('io');
