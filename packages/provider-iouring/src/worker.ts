/**
 * Worker entry: runs {@link zcrxWorkerLoop} on the worker's data. Started by
 * {@link spawnZcrxWorker}.
 */
import { workerData } from 'node:worker_threads';
import { zcrxWorkerLoop, type ZcrxWorkerData } from './worker-loop.js';

zcrxWorkerLoop(workerData as ZcrxWorkerData);
