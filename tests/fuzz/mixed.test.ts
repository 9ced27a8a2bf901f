/** Fuzzes everything at once: pools, pages, the receive path, devmem and zcrx in one world. */
import { fuzzSuite } from './suite.js';

fuzzSuite('mixed', 50, 2000, 'all of the public API together');
