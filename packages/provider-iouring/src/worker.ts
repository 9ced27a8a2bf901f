/**
 * Worker entry: runs {@link zcrxWorkerLoop} on the worker's data. Started by
 * {@link spawnZcrxWorker}. If the loop throws (bad data, or a failure while
 * running), the control block says so (ZW_ERROR, and READY/DONE are raised
 * so the kernel side stops waiting at once) before the thread ends with the
 * error, which spawnZcrxWorker's handler receives.
 */
import { workerData } from 'node:worker_threads';
import { ZW_CONTROL_BYTES, ZW_DONE, ZW_ERROR, ZW_READY, zcrxWorkerLoop, type ZcrxWorkerData } from './worker-loop.js';

const data = workerData as ZcrxWorkerData;
try {
  zcrxWorkerLoop(data);
} catch (e) {
  if (data?.control instanceof SharedArrayBuffer && data.control.byteLength >= ZW_CONTROL_BYTES) {
    const ctl = new Int32Array(data.control);
    Atomics.store(ctl, ZW_ERROR, 1);
    Atomics.store(ctl, ZW_READY, 1);
    Atomics.store(ctl, ZW_DONE, 1);
    Atomics.notify(ctl, ZW_READY);
    Atomics.notify(ctl, ZW_DONE);
  }
  throw e;
}
