/**
 * The only module of hostnet that runs `ip`, `iptables-restore`, `iptables-save`, `nfacct`, `sysctl`
 * or a process inside a lab namespace (lab README §12). Everything that changes kernel state goes
 * through a `LabNs`, which can only be made for a network namespace named `hnlab-…` that exists in
 * /run/netns and is not the namespace hostnet itself runs in. The root namespace is only read
 * (`rootFingerprint`) and only ever gets `ip netns add|del`. Commands are argv arrays, never a shell.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readlinkSync, statSync } from 'node:fs';

/** A lab namespace name: `hnlab-` then dash-separated lowercase words. */
export const LAB_NS_RE = /^hnlab-[a-z0-9]+(-[a-z0-9]+)*$/;

declare const labNsBrand: unique symbol;
/** The name of an existing lab network namespace, checked by `labNs`. */
export type LabNs = string & { readonly [labNsBrand]: true };

export interface RunResult {
  readonly ok: boolean;
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const TIMEOUT_MS = 60_000;

function run(cmd: string, args: readonly string[], input?: string): RunResult {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** The inode of the network namespace a path (a /proc/PID/ns/net link or a /run/netns file) names; undefined when unreadable. */
export function netnsInode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** The network namespace hostnet runs in: never a lab namespace (/proc/1/ns/net may be unreadable, README §11.1). */
export function ownNetnsInode(): number {
  const ino = netnsInode('/proc/self/ns/net');
  if (ino === undefined) throw new Error('cannot read /proc/self/ns/net, so lab namespaces cannot be told from the host namespace');
  return ino;
}

/** Why `name` cannot be a lab namespace, or undefined when it can. */
export function labNsProblem(name: string): string | undefined {
  if (!LAB_NS_RE.test(name)) return `${JSON.stringify(name)} is not a lab namespace name (hnlab-… in lowercase letters, digits and dashes).`;
  const ino = netnsInode(`/run/netns/${name}`);
  if (ino === undefined) return `The network namespace ${name} does not exist in /run/netns.`;
  if (ino === ownNetnsInode()) return `The network namespace ${name} is hostnet's own namespace (the host), so the lab refuses to touch it.`;
  return undefined;
}

/** Check `name` and brand it; throws when it is not an existing lab namespace distinct from ours. */
export function labNs(name: string): LabNs {
  const problem = labNsProblem(name);
  if (problem) throw new Error(problem);
  return name as LabNs;
}

/** Names of every `hnlab-*` network namespace in /run/netns (read-only). */
export function listLabNetns(): string[] {
  const r = run('ip', ['netns', 'list']);
  if (!r.ok) return [];
  return r.stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => LAB_NS_RE.test(n)).sort();
}

// `netns attach NAME PID` names the namespace a lab process runs in (a hostNetwork pod's own
// /etc/netns/NAME/resolv.conf inside its node's namespace); the PID is checked by the caller.
const ROOT_LINE = /^netns (?:(?:add|del) (\S+)|attach (\S+) \d+)$/;

/**
 * `ip -batch -` in the root namespace, limited to `netns add NAME` and `netns del NAME` for lab
 * names; `-force` goes on after a failing line (used by teardown).
 */
export function ipBatchRoot(lines: readonly string[], options: { force?: boolean } = {}): RunResult {
  for (const line of lines) {
    const m = ROOT_LINE.exec(line);
    if (!m || !LAB_NS_RE.test(m[1] ?? m[2]!)) throw new Error(`refusing root-namespace ip command ${JSON.stringify(line)}: only "netns add|del|attach hnlab-…" is allowed there`);
    if (m[2] !== undefined) {
      // attach names the namespace of a PID: it must already be a lab namespace, never the host's.
      const pid = Number(line.slice(line.lastIndexOf(' ') + 1));
      const ino = netnsInode(`/proc/${pid}/ns/net`);
      const labInodes = new Set(listLabNetns().map((n) => netnsInode(`/run/netns/${n}`)));
      if (ino === undefined || ino === ownNetnsInode() || !labInodes.has(ino)) throw new Error(`refusing ${JSON.stringify(line)}: process ${pid} is not inside a lab namespace`);
    }
  }
  if (lines.length === 0) return { ok: true, status: 0, stdout: '', stderr: '' };
  return run('ip', [...(options.force ? ['-force'] : []), '-batch', '-'], `${lines.join('\n')}\n`);
}

const NS_LINE_OBJECTS = new Set(['link', 'addr', 'address', 'route', 'rule']);

/**
 * A line for `ip -n NS -batch`. ip accepts abbreviations (`net` for `netns`), quotes and several
 * commands per string, so the line is held to plain words: letters, digits and `./:_-`, one of the
 * objects the lab uses first, no options, and a word that could mean `netns` only as `netns <lab ns>`
 * (a veth's peer end).
 */
function checkNsLine(ns: LabNs, line: string): void {
  const refuse = (why: string): never => {
    throw new Error(`refusing ip batch line ${JSON.stringify(line)} in ${ns}: ${why}`);
  };
  if (!/^[A-Za-z0-9 ./:_-]+$/.test(line)) refuse('it has characters other than letters, digits, spaces and ./:_-');
  const words = line.trim().split(/ +/);
  if (!NS_LINE_OBJECTS.has(words[0]!)) refuse('only link, addr, route and rule commands run in a lab namespace, so it would leave the namespace');
  words.forEach((w, i) => {
    if (w.startsWith('-')) refuse('options are not allowed in a batch line, so it would leave the namespace');
    if ('netns'.startsWith(w)) {
      if (w !== 'netns') refuse(`"${w}" may abbreviate netns, so it would leave the namespace`);
      labNs(words[i + 1] ?? '');
    }
  });
}

/** checkNsLine without a namespace, for the unit tests of the line rules. */
export function checkNsLineForTest(line: string): void {
  checkNsLine('hnlab-test-x' as LabNs, line);
}

/** `ip -n NS -batch -`: every line runs inside the lab namespace. */
export function ipBatchIn(ns: LabNs, lines: readonly string[]): RunResult {
  labNs(ns);
  for (const line of lines) checkNsLine(ns, line);
  if (lines.length === 0) return { ok: true, status: 0, stdout: '', stderr: '' };
  return run('ip', ['-n', ns, '-batch', '-'], `${lines.join('\n')}\n`);
}

/** Like ipBatchIn for many namespaces at once, in parallel; results in input order. */
export async function ipBatchInMany(jobs: readonly { ns: LabNs; lines: readonly string[] }[], parallel = 8): Promise<RunResult[]> {
  for (const j of jobs) {
    labNs(j.ns);
    for (const line of j.lines) checkNsLine(j.ns, line);
  }
  const results: RunResult[] = new Array<RunResult>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      const j = jobs[i]!;
      results[i] = await runAsync('ip', ['-n', j.ns, '-batch', '-'], `${j.lines.join('\n')}\n`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, worker));
  return results;
}

function runAsync(cmd: string, args: readonly string[], input?: string, timeoutMs = TIMEOUT_MS): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => resolve({ ok: false, status: null, stdout, stderr: stderr + String(e) }));
    child.on('close', (code) => resolve({ ok: code === 0, status: code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** `ip netns exec NS iptables-restore` with the whole text (tables named in it are replaced). */
export function iptablesRestore(ns: LabNs, text: string): RunResult {
  labNs(ns);
  return run('ip', ['netns', 'exec', ns, 'iptables-restore', '-w'], text);
}

/** `iptables-save` inside a lab namespace (read-only). */
export function iptablesSave(ns: LabNs): RunResult {
  labNs(ns);
  return run('ip', ['netns', 'exec', ns, 'iptables-save']);
}

/** `nfacct add NAME` inside a lab namespace: kube-proxy's `-m nfacct` rules need the object first (KP-7). */
export function nfacctAdd(ns: LabNs, name: string): RunResult {
  labNs(ns);
  if (!/^[A-Za-z0-9_.-]{1,31}$/.test(name)) throw new Error(`refusing nfacct object name ${JSON.stringify(name)}`);
  return run('ip', ['netns', 'exec', ns, 'nfacct', 'add', name]);
}

// Only the keys the lab sets (lab README §12 lists the kind; kernel.*, vm.* and fs.* are not per
// network namespace, so none of them may ever be here).
const SYSCTL_EXACT = new Set([
  'net.ipv4.ip_forward',
  // 0 where a stopped cluster DNS answers ICMP port unreachable: otherwise the per-destination
  // ICMP limit makes glibc wait 5 s on the second lookup (lab README §7). Per netns.
  'net.ipv4.icmp_ratelimit',
]);
/** Per-interface keys: the interface name must be a real link name (≤ 15 chars, no dots or slashes). */
const SYSCTL_PER_IF = /^net\.ipv4\.conf\.([A-Za-z0-9_-]{1,15})\.route_localnet$/;

/** True when the lab may write this sysctl key (an exact whitelist: kernel.*, vm.*, fs.* are not per-netns, README §12). */
export function sysctlAllowed(key: string): boolean {
  return SYSCTL_EXACT.has(key) || SYSCTL_PER_IF.test(key);
}

/** `ip netns exec NS sysctl -qw key=value …` for whitelisted keys only. */
export function sysctl(ns: LabNs, settings: readonly (readonly [key: string, value: string])[]): RunResult {
  labNs(ns);
  for (const [key, value] of settings) {
    if (!sysctlAllowed(key)) throw new Error(`refusing sysctl ${key}: not on the lab's whitelist`);
    if (!/^\d+(\s\d+)?$/.test(value)) throw new Error(`refusing sysctl ${key}=${JSON.stringify(value)}: not a number`);
  }
  if (settings.length === 0) return { ok: true, status: 0, stdout: '', stderr: '' };
  return run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', ...settings.map(([k, v]) => `${k}=${v}`)]);
}

/** PIDs of processes in a lab namespace (`ip netns pids`, read-only). */
export function netnsPids(ns: LabNs): number[] {
  labNs(ns);
  const r = run('ip', ['netns', 'pids', ns]);
  return r.stdout.split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number);
}

/**
 * Signal a process only when its network namespace is one of `labInodes` and not ours. Returns
 * false when the process is gone or not a lab process.
 */
export function killLabPid(pid: number, labInodes: ReadonlySet<number>, signal: NodeJS.Signals = 'SIGTERM'): boolean {
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return false;
  const ino = netnsInode(`/proc/${pid}/ns/net`);
  if (ino === undefined || ino === ownNetnsInode() || !labInodes.has(ino)) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Programs the lab may start inside a lab namespace: servers, DNS, and the probes that check them. */
const PROGRAMS = new Set(['dnsmasq', 'ping', 'getent', 'dig', 'iperf3']);
function allowedProgram(cmd: string): boolean {
  return cmd === process.execPath || PROGRAMS.has(cmd);
}
const PROGRAM_LIST = 'node, dnsmasq, ping, getent, dig and iperf3';

/**
 * Start a process inside a lab namespace (`ip netns exec NS argv…`; ip execs the command, so the
 * child's PID is the program's own). Only the programs above may be started. `detached`: a daemon
 * that outlives hostnet (`hostnet lab up`), in its own process group, its output to `logFd`.
 */
export function spawnInLab(ns: LabNs, argv: readonly string[], options: { detached?: boolean; logFd?: number } = {}): ChildProcess {
  labNs(ns);
  const [cmd, ...args] = argv;
  if (!cmd || !allowedProgram(cmd)) throw new Error(`refusing to start ${JSON.stringify(cmd)} in ${ns}: only ${PROGRAM_LIST} run in the lab`);
  if (options.detached) {
    const out = options.logFd ?? 'ignore';
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', out, out], detached: true });
    child.unref();
    return child;
  }
  return spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Run a short-lived allowed program inside a lab namespace and wait for it (a client probe). */
export function runInLab(ns: LabNs, argv: readonly string[], timeoutMs = 30_000): RunResult {
  labNs(ns);
  const [cmd, ...args] = argv;
  if (!cmd || !allowedProgram(cmd)) throw new Error(`refusing to run ${JSON.stringify(cmd)} in ${ns}: only ${PROGRAM_LIST} run in the lab`);
  const r = spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { ok: r.status === 0, status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** runInLab without blocking: probes from several namespaces run side by side. */
export function runInLabAsync(ns: LabNs, argv: readonly string[], timeoutMs = 30_000): Promise<RunResult> {
  labNs(ns);
  const [cmd, ...args] = argv;
  if (!cmd || !allowedProgram(cmd)) throw new Error(`refusing to run ${JSON.stringify(cmd)} in ${ns}: only ${PROGRAM_LIST} run in the lab`);
  return runAsync('ip', ['netns', 'exec', ns, cmd, ...args], undefined, timeoutMs);
}

/** Read-only: `ip -o addr show dev IF` style queries inside a lab namespace. */
export function ipShowIn(ns: LabNs, args: readonly string[]): RunResult {
  labNs(ns);
  if (!['link', 'addr', 'address', 'route', 'neigh'].includes(args[0] ?? '') || args.some((a) => /^(add|del|delete|set|change|replace|flush|append)$/.test(a))) {
    throw new Error(`refusing ip ${args.join(' ')}: only read-only show commands are allowed here`);
  }
  return run('ip', ['-n', ns, '-o', ...args]);
}

/** Which of the tools the lab needs are missing, as full sentences (empty when all are present). */
export function missingTools(tools: readonly string[] = ['ip', 'iptables-restore', 'iptables-save', 'sysctl', 'nfacct']): string[] {
  const pkg: Record<string, string> = { ip: 'iproute2', 'iptables-restore': 'iptables', 'iptables-save': 'iptables', sysctl: 'procps', nfacct: 'nfacct', dnsmasq: 'dnsmasq-base', nft: 'nftables', getent: 'libc-bin', dig: 'dnsutils', ping: 'iputils-ping' };
  const missing: string[] = [];
  for (const t of tools) {
    const found = ['/usr/sbin', '/sbin', '/usr/bin', '/bin', ...(process.env['PATH'] ?? '').split(':')].some((dir) => dir !== '' && netnsInode(`${dir}/${t}`) !== undefined);
    if (!found) missing.push(`The program ${t} is missing (Debian package ${pkg[t] ?? t}).`);
  }
  return missing;
}

/** Why the lab cannot run here (not Linux, not root, tools missing), or undefined when it can. */
export function labUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'The lab needs Linux network namespaces, and this is not Linux.';
  if (process.getuid?.() !== 0) return 'The lab needs root to create network namespaces; run it as root (for example with sudo).';
  const missing = missingTools();
  if (missing.length > 0) return missing.join(' ');
  try {
    readlinkSync('/proc/self/ns/net');
  } catch {
    return 'The lab cannot read /proc/self/ns/net, so it cannot tell lab namespaces from the host.';
  }
  return undefined;
}

/** Strip what changes by itself (counters, address lifetimes, timestamps) so only configuration remains. */
function stable(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/g, '[]').replace(/(valid_lft|preferred_lft|expires)\s+\S+/g, '$1').replace(/counter packets \d+ bytes \d+/g, 'counter').replace(/\s+$/, ''))
    .join('\n');
}

export interface RootFingerprint {
  readonly sha256: string;
  /** The normalised text hashed, per command, for showing a difference. */
  readonly parts: Readonly<Record<string, string>>;
}

/** Hash of the root namespace's links, addresses, routes and iptables/nft rules (read-only commands). */
export function rootFingerprint(): RootFingerprint {
  const parts: Record<string, string> = {};
  const cmds: [string, string, string[]][] = [
    ['ip -o link', 'ip', ['-o', 'link', 'show']],
    ['ip -o addr', 'ip', ['-o', 'addr', 'show']],
    ['ip route', 'ip', ['route', 'show', 'table', 'all']],
    ['iptables-save', 'iptables-save', []],
  ];
  if (missingTools(['nft']).length === 0) cmds.push(['nft list ruleset', 'nft', ['list', 'ruleset']]);
  for (const [label, cmd, args] of cmds) {
    const r = run(cmd, args);
    parts[label] = r.ok ? stable(r.stdout) : `failed: ${r.status}`;
  }
  const sha256 = createHash('sha256').update(Object.entries(parts).map(([k, v]) => `== ${k}\n${v}`).join('\n')).digest('hex');
  return { sha256, parts };
}

/** The commands whose output differs between two fingerprints. */
export function fingerprintDiff(a: RootFingerprint, b: RootFingerprint): string[] {
  return [...new Set([...Object.keys(a.parts), ...Object.keys(b.parts)])].filter((k) => a.parts[k] !== b.parts[k]);
}
