/**
 * Worker of xthread_return_postmessage: each message is one buffer handle;
 * it is returned through the pool's return ring, and the returns are
 * published once the message queue has been worked off (setImmediate).
 */
import { parentPort } from 'node:worker_threads';
import { openPoolWorkerPort } from '@netmem/io/worker';

const port = openPoolWorkerPort();
let scheduled = false;
const flush = (): void => {
  scheduled = false;
  port.flush();
};
parentPort!.on('message', (nm: number) => {
  port.put(nm);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
});
