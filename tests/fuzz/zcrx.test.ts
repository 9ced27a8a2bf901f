/** Fuzzes io_uring zcrx: ifq registration, RECV_ZC, the shared refill ring (good and bad entries) and ring exit (scrub, close). */
import { fuzzSuite } from './suite.js';

fuzzSuite('zcrx', 50, 2000, 'io_uring zcrx rings, RECV_ZC and the refill ring');
