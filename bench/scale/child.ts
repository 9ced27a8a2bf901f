/**
 * One `scale` measurement in a process of its own: reads the job (JSON) from
 * argv, runs it, and writes the result as one JSON line on stdout. The entry
 * script (bench/scale.ts) starts one of these per job with its own node
 * flags; a failed bookkeeping check exits 1 with the message on stderr.
 */
import { runJob, type Job } from './plan.js';

const job = JSON.parse(process.argv[2] ?? 'null') as Job | null;
if (job === null) {
  console.error('usage: child.ts <job as JSON>');
  process.exit(2);
}
try {
  process.stdout.write(`${JSON.stringify(runJob(job))}\n`);
} catch (e) {
  console.error(`scale: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
