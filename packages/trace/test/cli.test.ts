/**
 * The `netmem` command end to end, as a user runs it: the bin script on a
 * real capture (text summary, --json, --html, --pool), bad arguments, and a
 * trace on stdin.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TraceReport } from '../src/types.js';
import { repoRoot, tracePath } from './helpers/paths.js';

const bin = path.join(repoRoot, 'packages', 'trace', 'bin', 'netmem.js');
const run = (args: string[], input?: string) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', input, cwd: repoRoot, timeout: 60_000 });

describe('netmem trace (CLI)', () => {
  it('prints the summary and writes JSON and HTML', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'netmem-cli-'));
    const json = path.join(dir, 'out.json');
    const html = path.join(dir, 'out.html');
    const r = run(['trace', tracePath('veth-xdp-destroy-pending.perf.txt'), '--json', json, '--html', html]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Pools \(1\)/);
    expect(r.stdout).toMatch(/destroy pending: 330 in flight/);
    expect(r.stdout).toMatch(/330 pages, destroy pending/);
    expect(r.stdout).toMatch(/the model agrees with the trace/);
    const rep = JSON.parse(readFileSync(json, 'utf8')) as TraceReport;
    expect(rep.pools[0].heldAtEnd).toHaveLength(330);
    expect(readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/);
    expect(r.stderr).toBe(''); // not a TTY: no progress line
  });

  it('keeps one pool with --pool and reads stdin with -', () => {
    const text = readFileSync(tracePath('veth-xdp-2queues-steady.tracefs.txt'), 'utf8');
    const r = run(['trace', '-', '--pool', '0000000055db54a3', '--no-replay'], text);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Pools \(1\)/);
    expect(r.stdout).toMatch(/0000000055db54a3/);
    expect(r.stdout).not.toMatch(/Model replay/);
  });

  it('exits 2 on bad arguments and 1 on a file with no page_pool event', () => {
    expect(run(['trace']).status).toBe(2);
    expect(run(['frobnicate']).status).toBe(2);
    expect(run(['trace', tracePath('README.md')]).status).toBe(1);
    expect(run(['--help']).status).toBe(0);
  });
});
