/** Fuzzes devmem TCP: bind-rx, devmem recvmsg, tokens, DONTNEED, socket close with tokens out, unbind. */
import { fuzzSuite } from './suite.js';

fuzzSuite('devmem', 50, 2000, 'dmabuf bindings, devmem recvmsg and tokens');
