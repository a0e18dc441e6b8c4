/**
 * `hostnet lab bench` for real, with tiny settings: every path carries TCP at a positive rate and
 * gives ordered round-trip percentiles, and the temporary lab (with its two extra host → host
 * namespaces) is gone afterwards. Runs only as root with the tools present (the describe name says
 * why it skipped otherwise).
 */
import { describe, expect, it } from 'vitest';
import { PATHS } from '../../src/lab/bench-report.js';
import { runBench, type BenchProgress } from '../../src/lab/bench.js';
import { readFileSync } from 'node:fs';
import { killLabPid, labNs, listLabNetns, netnsInode, netnsPids, rootFingerprint } from '../../src/lab/exec.js';
import { labDoctor, labDown, readState } from '../../src/lab/lab.js';
import { probe } from './lab-test-kit.js';

const skip = probe(['iperf3']);
const STATE_DIR = '/run/hnlab';

describe.skipIf(skip !== undefined)(`lab bench on the real kernel${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('measures every path and leaves nothing behind', { timeout: 120_000 }, async () => {
    const labId = `t${process.pid.toString(36)}k`.slice(0, 12);
    const before = rootFingerprint();
    const events: BenchProgress[] = [];
    await labDown(labId, { stateDir: STATE_DIR }); // a crashed earlier run with the same PID
    try {
      const run = await runBench({ labId, seconds: 1, roundTrips: 500, stateDir: STATE_DIR, onProgress: (p) => events.push(p) });
      expect(run.ok ? [] : run.problems).toEqual([]);
      if (!run.ok) return;
      const r = run.report;
      console.log(`lab bench ${labId}: ${r.paths.map((p) => `${p.label} ${p.gbps} Gbit/s p50 ${p.latencyUs?.p50} µs`).join('; ')}; ${r.durationMs} ms`);
      expect(r.paths.map((p) => p.id)).toEqual(PATHS.map((p) => p.id));
      for (const p of r.paths) {
        expect(p.problems, p.label).toEqual([]);
        expect(p.gbps, p.label).toBeGreaterThan(0);
        const l = p.latencyUs!;
        expect(l.n, p.label).toBe(500);
        expect(l.p50, p.label).toBeGreaterThan(0);
        expect(l.p50, p.label).toBeLessThanOrEqual(l.p90);
        expect(l.p90, p.label).toBeLessThanOrEqual(l.p99);
        expect(p.from.startsWith(`hnlab-${labId}-`), p.from).toBe(true);
      }
      expect(r.paths[0]!.gbpsToHost).toBe(1);
      expect(r.lab?.namespaces).toBeGreaterThanOrEqual(7);
      // Progress: numbered steps that end at the total.
      const starts = events.filter((e) => e.kind === 'start');
      expect(starts.map((e) => e.step)).toEqual(starts.map((_, i) => i + 1));
      expect(starts.at(-1)!.step).toBe(starts[0]!.total);
    } finally {
      await labDown(labId, { stateDir: STATE_DIR });
    }
    expect(listLabNetns().filter((n) => n.startsWith(`hnlab-${labId}-`))).toEqual([]);
    expect(readState(labId, STATE_DIR)).toBeUndefined();
    expect(labDoctor(STATE_DIR).filter((l) => l.labId === labId)).toEqual([]);
    expect(rootFingerprint().sha256).toBe(before.sha256);
  });

  it('says which path was not measured and why when a server dies mid-run', { timeout: 120_000 }, async () => {
    const labId = `t${process.pid.toString(36)}m`.slice(0, 12);
    await labDown(labId, { stateDir: STATE_DIR });
    const killed: number[] = [];
    // Just before the hostPort path, stop the server pod's iperf3 (the pod is the only one on worker-2).
    const onProgress = (p: BenchProgress): void => {
      if (p.kind !== 'start' || !p.text.startsWith('pod → hostPort')) return;
      const ns = listLabNetns().find((n) => n.startsWith(`hnlab-${labId}-worker-2-p`));
      if (!ns) return;
      const inode = netnsInode(`/run/netns/${ns}`)!;
      for (const pid of netnsPids(labNs(ns))) {
        let comm = '';
        try {
          comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
        } catch {
          continue; // gone already
        }
        if (comm === 'iperf3' && killLabPid(pid, new Set([inode]), 'SIGKILL')) killed.push(pid);
      }
    };
    try {
      const run = await runBench({ labId, seconds: 1, roundTrips: 200, stateDir: STATE_DIR, onProgress });
      expect(killed).toHaveLength(1);
      expect(run.ok).toBe(false);
      if (run.ok) return;
      expect(run.problems).toEqual([
        expect.stringMatching(/^pod → hostPort on the other node: Throughput: iperf3 reported: unable to connect to server.*Connection refused/),
        expect.stringMatching(/^pod → ClusterIP: Throughput: iperf3 reported: unable to connect to server.*Connection refused/),
      ]);
      // The rest was still measured, latency of these two paths included.
      const r = run.report!;
      expect(r.ok).toBe(false);
      expect(r.paths.filter((p) => p.gbps !== undefined).map((p) => p.id)).toEqual(['host', 'hostNetwork', 'podToPod']);
      expect(r.paths.every((p) => p.latencyUs !== undefined)).toBe(true);
    } finally {
      await labDown(labId, { stateDir: STATE_DIR });
    }
    expect(listLabNetns().filter((n) => n.startsWith(`hnlab-${labId}-`))).toEqual([]);
    expect(readState(labId, STATE_DIR)).toBeUndefined();
  });
});
