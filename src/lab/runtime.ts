/**
 * What runs inside a built lab: daemons (pod servers, hostNetwork processes, dnsmasq), files under
 * /etc/netns/<ns>/ (a pod's resolv.conf, which `ip netns exec` mounts over /etc/resolv.conf), and
 * extra names for a node's namespace (a hostNetwork pod with its own resolv.conf). Each is written
 * into the lab's state file before it is made (lab README §12), so `lab down` and `lab cleanup`
 * find it after a crash. Kernel work goes through exec.ts.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ipBatchRoot, labNs, LAB_NS_RE, netnsInode, spawnInLab } from './exec.js';
import { DEFAULT_STATE_DIR, readState, writeState, type LabState } from './lab.js';

export interface LabHandle {
  readonly labId: string;
  readonly stateDir: string;
}

export const handleOf = (labId: string, stateDir = DEFAULT_STATE_DIR): LabHandle => ({ labId, stateDir });

/** Read, change and write the state file; undefined when the lab has none (it was torn down). */
export function updateState(h: LabHandle, change: (s: LabState) => void): LabState | undefined {
  const s = readState(h.labId, h.stateDir);
  if (!s) return undefined;
  change(s);
  writeState(h.stateDir, s);
  return s;
}

const FILES = new Set(['resolv.conf', 'hosts']);

/** Write /etc/netns/<ns>/<file> for a lab namespace, recorded first. Returns a problem sentence or undefined. */
export function writeNetnsFile(h: LabHandle, ns: string, file: 'resolv.conf' | 'hosts', content: string): string | undefined {
  if (!LAB_NS_RE.test(ns) || !ns.startsWith(`hnlab-${h.labId}-`)) return `${ns} is not a namespace of lab ${h.labId}, so the lab writes no /etc/netns file for it.`;
  if (!FILES.has(file)) return `The lab writes only resolv.conf and hosts under /etc/netns, not ${file}.`;
  const dir = `/etc/netns/${ns}`;
  const madeRoot = !existsSync('/etc/netns');
  if (!updateState(h, (s) => {
    if (!s.etcNetns.includes(dir)) s.etcNetns.push(dir);
    if (madeRoot) s.createdEtcNetns = true;
  })) return `Lab ${h.labId} has no state file, so nothing more is made for it.`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), content);
  return undefined;
}

/**
 * Give the network namespace of lab process `pid` a second name (`ip netns attach`), recorded
 * first: a hostNetwork pod shares its node's namespace but gets its own /etc/netns/<alias>/resolv.conf.
 */
export function attachAlias(h: LabHandle, alias: string, pid: number, nodeNs: string): string | undefined {
  if (!LAB_NS_RE.test(alias) || !alias.startsWith(`hnlab-${h.labId}-`)) return `${alias} is not a namespace name of lab ${h.labId}.`;
  const want = netnsInode(`/run/netns/${labNs(nodeNs)}`);
  // The process must be inside the node's namespace, so the alias can only ever name a lab namespace.
  if (want === undefined || netnsInode(`/proc/${pid}/ns/net`) !== want) return `Process ${pid} is not inside ${nodeNs}, so the lab does not name its namespace ${alias}.`;
  if (!updateState(h, (s) => { if (!s.namespaces.some((n) => n.name === alias)) s.namespaces.push({ name: alias, inode: want }); })) return `Lab ${h.labId} has no state file.`;
  const r = ipBatchRoot([`netns attach ${alias} ${pid}`]);
  return r.ok ? undefined : `Naming ${nodeNs} also ${alias} (ip netns attach) failed: ${r.stderr.trim()}.`;
}

export interface Daemon {
  readonly pid: number;
  readonly log: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Start a daemon in a lab namespace that outlives this process (its PID recorded in the state
 * file; its output in <stateDir>/<labId>/<name>.log) and wait until its log matches `ready`.
 */
export async function startDaemon(h: LabHandle, ns: string, name: string, argv: readonly string[], ready: RegExp, timeoutMs = 10_000): Promise<Daemon | { problem: string }> {
  if (!/^[a-z0-9][a-z0-9.-]{0,80}$/.test(name)) return { problem: `The daemon name ${JSON.stringify(name)} is not a plain file name.` };
  const state = readState(h.labId, h.stateDir);
  if (!state) return { problem: `Lab ${h.labId} has no state file, so nothing more is started in it.` };
  // Teardown has begun (an interrupt while servers start): a process started now could outlive it.
  if (state.phase === 'down') return { problem: `Lab ${h.labId} is being torn down, so ${name} is not started.` };
  const dir = join(h.stateDir, h.labId);
  mkdirSync(dir, { recursive: true });
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'w');
  let pid: number | undefined;
  try {
    const child = spawnInLab(labNs(ns), argv, { detached: true, logFd: fd });
    pid = child.pid;
  } finally {
    closeSync(fd);
  }
  if (pid === undefined) return { problem: `Starting ${name} in ${ns} failed: no process was created.` };
  updateState(h, (s) => s.pids.push(pid!));
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
    if (ready.test(text)) return { pid, log };
    if (!existsSync(`/proc/${pid}`) || performance.now() > deadline) {
      const tail = text.trim().split('\n').slice(-3).join(' / ');
      return { problem: `${name} in ${ns} did not become ready${existsSync(`/proc/${pid}`) ? ` within ${timeoutMs} ms` : ' (it exited)'}${tail ? `: ${tail}` : ''}.` };
    }
    await sleep(15);
  }
}

/** The log directory of a lab, removed with the state file. */
export const labLogDir = (h: LabHandle): string => join(h.stateDir, h.labId);
