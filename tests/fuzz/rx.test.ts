/** Fuzzes the receive path: netdevsim devices, receive, sockets, recvmsg, coalescing, clones, unregister. */
import { fuzzSuite } from './suite.js';

fuzzSuite('rx', 50, 2000, 'netdevs, receive, sockets and skb clones');
