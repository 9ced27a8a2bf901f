/** Fuzzes pools (create, alloc, frags, puts, bulk, refs, destroy, device removal), raw pages and the DMA API. */
import { fuzzSuite } from './suite.js';

fuzzSuite('pools', 50, 2000, 'pools, pages and the DMA API');
