/**
 * Build, inspect and tear down a lab cluster from a LabPlan (lab README §12). All kernel work goes
 * through exec.ts. A state file `/run/hnlab/<labId>.json` records what is about to be made before
 * it is made; teardown kills lab processes first (a process keeps a deleted namespace alive), then
 * deletes the namespaces (which takes their veths, bridges, routes and rules with them), then
 * removes /etc/netns/<ns> and the state file. The root namespace is fingerprinted before and after
 * `up` and `down`; a change is reported as a failure.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  fingerprintDiff, ipBatchIn, ipBatchInMany, ipBatchRoot, iptablesRestore, killLabPid, labNs, labNsProblem, labUnavailable,
  LAB_NS_RE, listLabNetns, netnsInode, netnsPids, nfacctAdd, ownNetnsInode, rootFingerprint, sysctl, type RootFingerprint,
} from './exec.js';
import { LAB_ID_RE, type LabPlan } from './plan.js';

export const DEFAULT_STATE_DIR = '/run/hnlab';

export interface LabState {
  readonly version: 1;
  readonly labId: string;
  readonly cluster: string;
  readonly ownerPid: number;
  /** Field 22 of /proc/PID/stat, so a reused PID is not taken for the owner. */
  readonly ownerStart: string;
  readonly createdAt: string;
  /** creating: namespaces may be half built; up: built; down: being torn down. */
  phase: 'creating' | 'up' | 'down';
  /** A lab left running on purpose (`hostnet lab up`) is not a leftover when its owner exits. */
  readonly detached: boolean;
  readonly namespaces: { name: string; inode?: number }[];
  readonly pids: number[];
  readonly etcNetns: string[];
  rootFingerprint?: string;
  /** What the lab was built from, so `lab verify` can model it again: absolute paths and cluster file. */
  inputs?: { paths: string[]; cluster?: string; stdin?: boolean };
  /** The lab made /etc/netns itself, so teardown removes it again when it is empty. */
  createdEtcNetns?: boolean;
}

export interface LabTimings {
  readonly totalMs: number;
  readonly steps: Readonly<Record<string, number>>;
}

export interface LabUpResult {
  readonly ok: boolean;
  readonly labId: string;
  readonly problems: readonly string[];
  readonly timings: LabTimings;
  readonly namespaces: number;
}

export interface LabDownResult {
  readonly ok: boolean;
  readonly labId: string;
  readonly problems: readonly string[];
  readonly removedNamespaces: readonly string[];
  readonly killedPids: readonly number[];
  readonly ms: number;
}

const statePath = (dir: string, labId: string): string => join(dir, `${labId}.json`);
const labPrefix = (labId: string): string => `hnlab-${labId}-`;

function procStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function ownerAlive(s: Pick<LabState, 'ownerPid' | 'ownerStart'>): boolean {
  return procStart(s.ownerPid) === s.ownerStart;
}

/** Write the state file atomically (a reader never sees half of it). */
export function writeState(dir: string, s: LabState): void {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const tmp = `${statePath(dir, s.labId)}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(s, null, 2)}\n`);
  renameSync(tmp, statePath(dir, s.labId));
}

export function readState(labId: string, dir = DEFAULT_STATE_DIR): LabState | undefined {
  try {
    return JSON.parse(readFileSync(statePath(dir, labId), 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

function listStates(dir: string): LabState[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.json') && LAB_ID_RE.test(n.slice(0, -5)))
    .map((n) => readState(n.slice(0, -5), dir))
    .filter((s): s is LabState => s !== undefined);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The first line of a program's error text, without a closing period (the sentence adds one). */
export function firstLine(text: string): string {
  return (text.trim().split('\n')[0] ?? '').replace(/\.+$/, '') || 'no error text';
}

function fail(r: { ok: boolean; stderr: string }, what: string): string | undefined {
  return r.ok ? undefined : `${what} failed: ${firstLine(r.stderr)}.`;
}

function checkFingerprint(before: RootFingerprint, what: string): string | undefined {
  const after = rootFingerprint();
  if (after.sha256 === before.sha256) return undefined;
  return `The host's own network namespace changed during ${what} (${fingerprintDiff(before, after).join(', ')} differ). The lab stopped; check the host with "ip link", "ip route" and "iptables-save".`;
}

export interface LabUpOptions {
  readonly stateDir?: string;
  /** True for `hostnet lab up`: the lab outlives this process on purpose. */
  readonly detached?: boolean;
}

/** Build the plan in network namespaces. On any failure the partial lab is torn down again. */
export async function labUp(plan: LabPlan, options: LabUpOptions = {}): Promise<LabUpResult> {
  const dir = options.stateDir ?? DEFAULT_STATE_DIR;
  const t0 = performance.now();
  const steps: Record<string, number> = {};
  let last = t0;
  const step = (name: string): void => {
    const now = performance.now();
    steps[name] = Math.round((now - last) * 10) / 10;
    last = now;
  };
  const result = (ok: boolean, problems: string[]): LabUpResult => ({
    ok, labId: plan.labId, problems, namespaces: plan.namespaces.length,
    timings: { totalMs: Math.round((performance.now() - t0) * 10) / 10, steps },
  });
  const unavailable = labUnavailable();
  if (unavailable) return result(false, [unavailable]);
  if (readState(plan.labId, dir) || listLabNetns().some((n) => n.startsWith(labPrefix(plan.labId)))) {
    return result(false, [`A lab with id ${plan.labId} already exists; run "hostnet lab down ${plan.labId}" first or pick another id.`]);
  }
  for (const ns of plan.namespaces) if (!ns.startsWith(labPrefix(plan.labId)) || !LAB_NS_RE.test(ns)) return result(false, [`The plan names ${ns}, which is not a namespace of lab ${plan.labId}.`]);

  const before = rootFingerprint();
  step('fingerprint');
  const state: LabState = {
    version: 1, labId: plan.labId, cluster: plan.cluster, ownerPid: process.pid, ownerStart: procStart(process.pid) ?? '',
    createdAt: new Date().toISOString(), phase: 'creating', detached: options.detached ?? false,
    namespaces: plan.namespaces.map((name) => ({ name })), pids: [], etcNetns: [], rootFingerprint: before.sha256,
  };
  writeState(dir, state); // before anything is made
  step('state');

  const problems: string[] = [];
  const abort = async (p: (string | undefined)[]): Promise<LabUpResult> => {
    const down = await labDown(plan.labId, { stateDir: dir });
    return result(false, [...p.filter((x): x is string => x !== undefined), ...down.problems]);
  };

  const added = ipBatchRoot(plan.rootLines);
  for (const ns of state.namespaces) {
    const ino = netnsInode(`/run/netns/${ns.name}`);
    if (ino !== undefined) ns.inode = ino;
  }
  writeState(dir, state);
  if (!added.ok) return abort([fail(added, 'Creating the lab namespaces (ip netns add)')]);
  for (const ns of plan.namespaces) {
    const p = labNsProblem(ns);
    if (p) return abort([p]);
  }
  step('netns');

  const fab = ipBatchIn(labNs(plan.fabric.ns), plan.fabric.lines);
  if (!fab.ok) return abort([fail(fab, `Building the fabric in ${plan.fabric.ns}`)]);
  for (const n of plan.nodes) {
    const r = ipBatchIn(labNs(n.ns), n.lines);
    if (!r.ok) return abort([fail(r, `Building node ${n.node} in ${n.ns}`)]);
  }
  step('nodes');
  const podNamespaces = [...plan.pods.map((p) => ({ ns: p.ns, lines: p.lines, what: `pod ${p.pod}` })), ...plan.probePods.map((p) => ({ ns: p.ns, lines: p.lines, what: `the probe client on ${p.node}` }))];
  const podResults = await ipBatchInMany(podNamespaces.map((p) => ({ ns: labNs(p.ns), lines: p.lines })));
  podResults.forEach((r, i) => {
    const f = fail(r, `Configuring ${podNamespaces[i]!.what} in ${podNamespaces[i]!.ns}`);
    if (f) problems.push(f);
  });
  if (problems.length > 0) return abort(problems);
  step('pods');

  for (const n of plan.nodes) {
    const ns = labNs(n.ns);
    const s = sysctl(ns, n.sysctls);
    if (!s.ok) return abort([fail(s, `Setting sysctls in ${n.ns}`)]);
    for (const name of n.nfacct) {
      const a = nfacctAdd(ns, name);
      if (!a.ok) return abort([fail(a, `Creating the nfacct object ${name} in ${n.ns}`)]);
    }
    if (n.iptables.trim() !== '') {
      const r = iptablesRestore(ns, n.iptables);
      if (!r.ok) return abort([fail(r, `Loading node ${n.node}'s iptables rules with iptables-restore in ${n.ns}`)]);
    }
  }
  step('iptables');

  const changed = checkFingerprint(before, `lab up ${plan.labId}`);
  step('fingerprint-after');
  if (changed) return abort([changed]);
  state.phase = 'up';
  writeState(dir, state);
  return result(true, []);
}

export interface LabDownOptions {
  readonly stateDir?: string;
  /** Milliseconds between SIGTERM and SIGKILL. */
  readonly graceMs?: number;
}

/**
 * Tear a lab down: kill its processes (recorded ones and any still inside its namespaces), delete
 * its namespaces, remove /etc/netns/<ns> and the state file, then check nothing named
 * `hnlab-<labId>-…` is left and the host namespace did not change.
 */
export async function labDown(labId: string, options: LabDownOptions = {}): Promise<LabDownResult> {
  const dir = options.stateDir ?? DEFAULT_STATE_DIR;
  const t0 = performance.now();
  const done = (ok: boolean, problems: string[], removed: string[] = [], killed: number[] = []): LabDownResult => ({
    ok, labId, problems, removedNamespaces: removed, killedPids: killed, ms: Math.round((performance.now() - t0) * 10) / 10,
  });
  if (!LAB_ID_RE.test(labId)) return done(false, [`The lab id ${JSON.stringify(labId)} must be 1 to 12 lowercase letters or digits.`]);
  const unavailable = labUnavailable();
  if (unavailable) return done(false, [unavailable]);
  const before = rootFingerprint();
  const state = readState(labId, dir);
  if (state) {
    state.phase = 'down';
    writeState(dir, state);
  }
  const prefix = labPrefix(labId);
  const names = [...new Set([...(state?.namespaces.map((n) => n.name) ?? []), ...listLabNetns()])].filter((n) => n.startsWith(prefix) && LAB_NS_RE.test(n));
  const existing = names.filter((n) => labNsProblem(n) === undefined).map(labNs);
  const inodes = new Set<number>([...(state?.namespaces.flatMap((n) => (n.inode === undefined ? [] : [n.inode])) ?? [])]);
  for (const ns of existing) inodes.add(netnsInode(`/run/netns/${ns}`)!);

  // 1. processes: recorded ones and whatever is still inside a lab namespace (README §12).
  const pids = new Set<number>(state?.pids ?? []);
  for (const ns of existing) for (const pid of netnsPids(ns)) pids.add(pid);
  // And processes in a namespace of this lab that is already gone from /run/netns but kept alive
  // by them (README §12), found by the inodes the state file recorded.
  for (const p of strayProcesses(state ? new Map([[labId, state]]) : new Map(), (id) => id === labId)) {
    pids.add(p.pid);
    inodes.add(p.ino);
  }
  const killed = [...pids].filter((pid) => killLabPid(pid, inodes, 'SIGTERM'));
  const deadline = performance.now() + (options.graceMs ?? 1000);
  let alive = killed.filter((pid) => netnsInode(`/proc/${pid}/ns/net`) !== undefined);
  while (alive.length > 0 && performance.now() < deadline) {
    await sleep(20);
    alive = alive.filter((pid) => netnsInode(`/proc/${pid}/ns/net`) !== undefined);
  }
  for (const pid of alive) killLabPid(pid, inodes, 'SIGKILL');
  // A process started while this ran (a server starting as an interrupt arrived) is not in the
  // list above: look again until the namespaces are empty, for a bounded time.
  const stragglers = (): number[] => [...new Set([
    ...existing.filter((ns) => labNsProblem(ns) === undefined).flatMap((ns) => netnsPids(ns)),
    ...strayProcesses(state ? new Map([[labId, state]]) : new Map(), (id) => id === labId).map((p) => p.pid),
  ])];
  const sweepUntil = performance.now() + 3000;
  for (let left = stragglers(); left.length > 0 && performance.now() < sweepUntil; left = stragglers()) {
    for (const pid of left) if (killLabPid(pid, inodes, 'SIGKILL')) killed.push(pid);
    await sleep(20);
  }

  // 2. namespaces (their links, bridges, routes, conntrack and tables go with them).
  const problems: string[] = [];
  const del = ipBatchRoot(existing.map((ns) => `netns del ${ns}`), { force: true });
  if (!del.ok) problems.push(`Deleting the lab namespaces failed: ${firstLine(del.stderr)}.`);
  // The last look, by the recorded inodes: nothing may keep a deleted namespace alive.
  for (const p of strayProcesses(state ? new Map([[labId, state]]) : new Map(), (id) => id === labId)) {
    if (killLabPid(p.pid, new Set([p.ino]), 'SIGKILL')) killed.push(p.pid);
  }

  // 3. /etc/netns/<ns> overrides, the logs and the state file.
  const etcDirs = new Set([...names.map((ns) => `/etc/netns/${ns}`), ...(state?.etcNetns ?? [])]);
  for (const etc of etcDirs) {
    const ns = etc.slice('/etc/netns/'.length);
    if (etc.startsWith('/etc/netns/') && LAB_NS_RE.test(ns) && ns.startsWith(prefix) && existsSync(etc)) rmSync(etc, { recursive: true, force: true });
  }
  if (state?.createdEtcNetns) {
    try {
      if (readdirSync('/etc/netns').length === 0) rmdirSync('/etc/netns');
    } catch {
      // gone already, or another lab's files are in it
    }
  }
  // 4. verify.
  const left = listLabNetns().filter((n) => n.startsWith(prefix));
  if (left.length > 0) problems.push(`These lab namespaces are still there: ${left.join(', ')}.`);
  const changed = checkFingerprint(before, `lab down ${labId}`);
  if (changed) problems.push(changed);
  if (left.length === 0) {
    rmSync(join(dir, labId), { recursive: true, force: true });
    rmSync(statePath(dir, labId), { force: true });
  }
  return done(problems.length === 0, problems, existing, killed);
}

export interface LabStatusEntry {
  readonly labId: string;
  readonly cluster?: string;
  readonly phase?: LabState['phase'];
  readonly ownerPid?: number;
  readonly ownerAlive: boolean;
  readonly detached: boolean;
  readonly recordedNamespaces: number;
  readonly liveNamespaces: number;
  readonly createdAt?: string;
}

function labIdOf(ns: string): string | undefined {
  return /^hnlab-([a-z0-9]{1,12})-/.exec(ns)?.[1];
}

/** Every lab this machine has: from state files and from hnlab-* namespaces. */
export function labStatus(stateDir = DEFAULT_STATE_DIR): LabStatusEntry[] {
  const states = new Map(listStates(stateDir).map((s) => [s.labId, s]));
  const live = new Map<string, number>();
  for (const ns of listLabNetns()) {
    const id = labIdOf(ns);
    if (id) live.set(id, (live.get(id) ?? 0) + 1);
  }
  const ids = [...new Set([...states.keys(), ...live.keys()])].sort();
  return ids.map((labId) => {
    const s = states.get(labId);
    return {
      labId, ...(s ? { cluster: s.cluster, phase: s.phase, ownerPid: s.ownerPid, createdAt: s.createdAt } : {}),
      ownerAlive: s ? ownerAlive(s) : false, detached: s?.detached ?? false,
      recordedNamespaces: s?.namespaces.length ?? 0, liveNamespaces: live.get(labId) ?? 0,
    };
  });
}

export interface Leftover {
  readonly kind: 'netns' | 'etc-netns' | 'state-file' | 'process';
  readonly labId?: string;
  readonly what: string;
  /** Why it counts as a leftover, as a sentence. */
  readonly why: string;
}

interface StrayProcess {
  readonly pid: number;
  readonly ino: number;
  readonly labId: string;
}

/** The programs the lab runs in its namespaces (exec.ts's list; `ip netns exec` execs them, so /proc/PID/comm is theirs). */
const LAB_COMMS = new Set(['node', basename(process.execPath).slice(0, 15), 'dnsmasq', 'ping', 'getent', 'dig', 'iperf3']);

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** When a process started, in ms since the epoch (boot time is whole seconds, so ±1 s); undefined when it is gone. */
function startedAtMs(pid: number): number | undefined {
  const ticks = Number(procStart(pid));
  const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1];
  // USER_HZ is 100 on every architecture Linux runs the lab on.
  return Number.isFinite(ticks) && btime !== undefined ? Number(btime) * 1000 + ticks * 10 : undefined;
}

/**
 * Processes inside a network namespace of a lab that `isLeftover` says is a leftover. A namespace
 * still named hnlab-<id>-… is the lab's for sure. One known only by an inode its state file
 * recorded (gone from /run/netns but kept alive by a process in it, README §12) may instead be a
 * newer namespace that got the freed inode number, perhaps a container's: a process there counts
 * only when it runs one of the lab's programs and started after the lab was created. An inode
 * that now names a namespace of another lab, or one that is no lab's, is skipped.
 */
function strayProcesses(states: ReadonlyMap<string, LabState>, isLeftover: (labId: string) => boolean): StrayProcess[] {
  const labOf = new Map<number, { labId: string; named: boolean; since: number }>();
  for (const s of states.values()) {
    if (!isLeftover(s.labId)) continue;
    for (const n of s.namespaces) if (n.inode !== undefined) labOf.set(n.inode, { labId: s.labId, named: false, since: Date.parse(s.createdAt) });
  }
  let named: string[] = [];
  try {
    named = readdirSync('/run/netns');
  } catch {
    named = [];
  }
  for (const n of named) {
    const ino = netnsInode(`/run/netns/${n}`);
    const id = LAB_NS_RE.test(n) ? labIdOf(n) : undefined;
    if (ino === undefined) continue;
    if (id !== undefined && isLeftover(id)) labOf.set(ino, { labId: id, named: true, since: 0 });
    else labOf.delete(ino);
  }
  labOf.delete(ownNetnsInode());
  if (labOf.size === 0) return [];
  const out: StrayProcess[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const ino = netnsInode(`/proc/${name}/ns/net`);
    const lab = ino === undefined ? undefined : labOf.get(ino);
    if (lab === undefined) continue;
    if (!lab.named && !(LAB_COMMS.has(commOf(pid)) && (startedAtMs(pid) ?? 0) >= lab.since - 2000)) continue;
    out.push({ pid, ino: ino!, labId: lab.labId });
  }
  return out;
}

/**
 * Leftovers: hnlab-* namespaces and /etc/netns/hnlab-* of no healthy lab, state files of labs
 * whose owner died while building or tearing down (or that were not meant to outlive their owner),
 * and processes still running in a namespace of such a lab.
 */
export function labDoctor(stateDir = DEFAULT_STATE_DIR): Leftover[] {
  const states = new Map(listStates(stateDir).map((s) => [s.labId, s]));
  const healthy = (id: string | undefined): boolean => {
    const s = id === undefined ? undefined : states.get(id);
    return s !== undefined && (ownerAlive(s) || (s.phase === 'up' && s.detached));
  };
  const out: Leftover[] = [];
  for (const s of states.values()) {
    if (healthy(s.labId)) continue;
    out.push({ kind: 'state-file', labId: s.labId, what: statePath(stateDir, s.labId), why: `Its owner (PID ${s.ownerPid}) is gone and the lab was ${s.phase === 'up' ? 'not meant to outlive it' : `left in phase "${s.phase}"`}.` });
  }
  for (const ns of listLabNetns()) {
    const id = labIdOf(ns);
    if (healthy(id)) continue;
    out.push({ kind: 'netns', ...(id ? { labId: id } : {}), what: ns, why: states.has(id ?? '') ? `Lab ${id} is not healthy (see its state file).` : 'No lab state file claims it.' });
  }
  let etc: string[] = [];
  try {
    etc = readdirSync('/etc/netns').filter((n) => LAB_NS_RE.test(n));
  } catch {
    etc = [];
  }
  const liveNs = new Set(listLabNetns());
  for (const n of etc) {
    const id = labIdOf(n);
    if (healthy(id) && liveNs.has(n)) continue;
    out.push({ kind: 'etc-netns', ...(id ? { labId: id } : {}), what: `/etc/netns/${n}`, why: liveNs.has(n) ? `Lab ${id} is not healthy.` : 'Its namespace no longer exists.' });
  }
  for (const p of strayProcesses(states, (id) => !healthy(id))) {
    out.push({ kind: 'process', labId: p.labId, what: `PID ${p.pid} (${commOf(p.pid)})`, why: `It runs inside a network namespace of lab ${p.labId}, which is not healthy, and keeps that namespace alive.` });
  }
  return out;
}

/**
 * labDown, and then the processes it cannot find: those in a namespace of the lab that is no
 * longer in /run/netns (found by the inodes in the state file, so looked up before labDown removes it).
 */
async function downWithStrays(labId: string, dir: string): Promise<LabDownResult> {
  const strays = LAB_ID_RE.test(labId) ? strayProcesses(new Map(listStates(dir).map((s) => [s.labId, s])), (id) => id === labId) : [];
  const down = await labDown(labId, { stateDir: dir });
  const killed = strays.filter((p) => killLabPid(p.pid, new Set([p.ino]), 'SIGKILL')).map((p) => p.pid);
  if (killed.length === 0) return down;
  const deadline = performance.now() + 1000;
  while (killed.some((pid) => netnsInode(`/proc/${pid}/ns/net`) !== undefined) && performance.now() < deadline) await sleep(20);
  return { ...down, killedPids: [...new Set([...down.killedPids, ...killed])] };
}

/** Remove one lab (`lab`) or every leftover (`all`: every hnlab-* namespace, /etc/netns entry and state file). */
/**
 * Remove one lab (`lab`, healthy or not), or every leftover `labDoctor` lists (`all`): labs whose
 * owner died or that were never meant to outlive it. A healthy lab, one left up on purpose by
 * `hostnet lab up` or one a running command still owns, is not a leftover and stays.
 */
export async function labCleanup(options: { lab?: string; all?: boolean; stateDir?: string }): Promise<LabDownResult[]> {
  const dir = options.stateDir ?? DEFAULT_STATE_DIR;
  if (options.lab !== undefined) return [await downWithStrays(options.lab, dir)];
  if (!options.all) return [];
  const ids = new Set<string>(labDoctor(dir).flatMap((l) => (l.labId === undefined ? [] : [l.labId])));
  const results: LabDownResult[] = [];
  for (const id of [...ids].sort()) results.push(await downWithStrays(id, dir));
  return results;
}
