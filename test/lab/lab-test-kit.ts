/**
 * Shared by the kernel lab tests: whether the lab can run here, and the leak check that proves a
 * lab left nothing behind.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprintDiff, ipBatchRoot, labUnavailable, listLabNetns, missingTools, netnsInode, type RootFingerprint } from '../../src/lab/exec.js';
import { labDoctor, readState } from '../../src/lab/lab.js';

export { BIN, buildDist, ROOT } from '../build-dist.js';
export const STATE_DIR = '/run/hnlab';

/** Root with the tools is not enough in every container: try one namespace (named like a lab, removed at once). */
export function probe(tools: readonly string[] = []): string | undefined {
  const why = labUnavailable() ?? missingTools(tools)[0];
  if (why) return why;
  // Random as well as per process: test files may share a process and probe at the same moment.
  const name = `hnlab-probe${process.pid.toString(36)}${Math.random().toString(36).slice(2, 7)}-x`;
  const made = ipBatchRoot([`netns add ${name}`]);
  ipBatchRoot([`netns del ${name}`], { force: true });
  return made.ok ? undefined : `cannot create a network namespace here: ${made.stderr.trim()}`;
}

/** A lab id of this test process: ≤ 12 lowercase letters and digits, distinct per `tag`. */
export function labIdFor(prefix: string, tag: string): string {
  const id = `${prefix}${process.pid.toString(36)}${tag}`;
  if (!/^[a-z0-9]{1,12}$/.test(id)) throw new Error(`lab id ${id} is not 1 to 12 lowercase letters or digits`);
  return id;
}

// ---------------------------------------------------------------------------------------------
// Leak check.

/** The network namespace inodes of a lab, from its state file and its live namespaces: take it while the lab is up. */
export function labInodes(labId: string): Set<number> {
  const inodes = new Set<number>();
  for (const n of readState(labId, STATE_DIR)?.namespaces ?? []) if (n.inode !== undefined) inodes.add(n.inode);
  for (const ns of listLabNetns()) {
    if (!ns.startsWith(`hnlab-${labId}-`)) continue;
    const ino = netnsInode(`/run/netns/${ns}`);
    if (ino !== undefined) inodes.add(ino);
  }
  return inodes;
}

/** Every process and the inode of its network namespace (zombies and vanished processes have none). */
export function processNetns(): { pid: number; ino: number; comm: string }[] {
  const out: { pid: number; ino: number; comm: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ino = netnsInode(`/proc/${name}/ns/net`);
    if (ino === undefined) continue;
    let comm = '?';
    try {
      comm = readFileSync(`/proc/${name}/comm`, 'utf8').trim();
    } catch {
      // gone meanwhile
    }
    out.push({ pid: Number(name), ino, comm });
  }
  return out;
}

/**
 * What a lab left behind, as sentences (empty when nothing): namespaces, /etc/netns entries,
 * processes in one of its namespaces (by inode, taken while it was up), its state file, its log
 * directory, and what `labDoctor` says about it. An inode that now names another namespace in
 * /run/netns was reused by the kernel for a newer namespace (another test's lab) and is skipped.
 */
export function leftovers(labId: string, inodes: ReadonlySet<number>): string[] {
  const prefix = `hnlab-${labId}-`;
  const out: string[] = [];
  for (const ns of listLabNetns()) if (ns.startsWith(prefix)) out.push(`namespace ${ns}`);
  if (existsSync('/etc/netns')) for (const n of readdirSync('/etc/netns')) if (n.startsWith(prefix)) out.push(`/etc/netns/${n}`);
  const reused = new Set<number>();
  if (existsSync('/run/netns')) {
    for (const n of readdirSync('/run/netns')) {
      const ino = netnsInode(`/run/netns/${n}`);
      if (ino !== undefined && !n.startsWith(prefix)) reused.add(ino);
    }
  }
  for (const p of processNetns()) if (inodes.has(p.ino) && !reused.has(p.ino)) out.push(`process ${p.pid} (${p.comm}) in lab network namespace ${p.ino}`);
  if (existsSync(join(STATE_DIR, `${labId}.json`))) out.push(`state file ${join(STATE_DIR, `${labId}.json`)}`);
  if (existsSync(join(STATE_DIR, labId))) out.push(`log directory ${join(STATE_DIR, labId)}`);
  for (const l of labDoctor(STATE_DIR)) if (l.labId === labId) out.push(`doctor: ${l.kind} ${l.what}: ${l.why}`);
  return out;
}

/** The root namespace's fingerprint parts that differ, with both texts, for a readable failure. */
export function fingerprintChange(before: RootFingerprint, after: RootFingerprint): string[] {
  return fingerprintDiff(before, after).map((k) => `${k} changed:\n--- before\n${before.parts[k]}\n--- after\n${after.parts[k]}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until none of `pids` is alive any more (orphaned `ip` processes of a killed run finish by themselves). */
export async function waitGone(pids: readonly number[], timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter((p) => netnsInode(`/proc/${p}/ns/net`) !== undefined);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(20);
    left = left.filter((p) => netnsInode(`/proc/${p}/ns/net`) !== undefined);
  }
  return left;
}

/** Descendants of `pid` (children, grandchildren …), read from /proc/PID/stat. */
export function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    for (const [child, pp] of parent) {
      if (pp === p && !out.includes(child)) {
        out.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return out;
}
