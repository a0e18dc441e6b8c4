/**
 * The lab's DNS made real (the plan is dns-plan.ts): dnsmasq daemons for the upstream and cluster
 * DNS, a resolv.conf per namespace under /etc/netns, an alias of a node's namespace per hostNetwork
 * pod, and the probes that compare hostnet's predictions with what glibc's resolver (`getent`) and
 * `dig` get inside the pods' namespaces, with cluster DNS up and stopped (seed 001). Every kernel
 * change goes through exec.ts and runtime.ts; the daemons' files live in the lab's log dir, which
 * teardown removes.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ipBatchIn, killLabPid, labNs, labNsProblem, netnsInode, netnsPids, runInLab, sysctl } from './exec.js';
import type { LabPlan } from './plan.js';
import type { ProbeRow } from './probe-row.js';
import { attachAlias, labLogDir, startDaemon, writeNetnsFile, type LabHandle } from './runtime.js';
import type { LabSession } from './session.js';
import { dnsRow, safeDnsmasqLine, toolCommand, type DnsObservation, type DnsProbeCase, type LabDnsPlan, type LabDnsServer } from './dns-plan.js';

export * from './dns-plan.js';

/** An idle process that holds a node's namespace, so `ip netns attach` has a PID to name it by. */
const ANCHOR = "console.log('anchor ready');setInterval(()=>{},1<<30);";
const PROBE_TIMEOUT_MS = 15_000;

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function serverFiles(dir: string, s: LabDnsServer): { conf: string; hosts: string; pid: string } {
  return { conf: join(dir, `${s.name}.conf`), hosts: join(dir, `${s.name}.hosts`), pid: join(dir, `${s.name}.pid`) };
}

/** dnsmasq that reads only its own files, stays in the foreground, logs queries to its log file. */
export function dnsmasqArgv(dir: string, s: LabDnsServer): string[] {
  const f = serverFiles(dir, s);
  return [
    'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', `--conf-file=${f.conf}`, '--no-resolv', '--no-hosts', '--no-poll',
    '--bind-interfaces', ...s.listen.map((ip) => `--listen-address=${ip}`), `--port=${s.port}`, '--user=root', '--group=root',
    '--cache-size=0', '--log-queries', '--log-facility=-', `--pid-file=${f.pid}`, `--addn-hosts=${f.hosts}`,
  ];
}

/** Ready once it has bound its sockets ("started") and read its hosts file. */
const readyOf = (dir: string, s: LabDnsServer): RegExp => new RegExp(`started, version[\\s\\S]*read ${escapeRe(serverFiles(dir, s).hosts)}`);

async function startServer(h: LabHandle, s: LabDnsServer, name = s.name): Promise<string | undefined> {
  const dir = labLogDir(h);
  const d = await startDaemon(h, s.ns, name, dnsmasqArgv(dir, s), readyOf(dir, s));
  return 'problem' in d ? `The ${s.role === 'upstream' ? 'upstream resolver' : 'cluster DNS'} (dnsmasq in ${s.ns} on ${s.listen.join(', ')}:${s.port}) did not start: ${d.problem}` : undefined;
}

const ms = (t0: number): number => Math.round((performance.now() - t0) * 10) / 10;

/**
 * Start the lab's DNS: the fabric's extra addresses and routes, the dnsmasq daemons, every
 * resolv.conf, and the aliases of node namespaces for hostNetwork pods. Meant once per lab. The
 * notes include the plan's own notes and the time each step took.
 */
export async function startLabDns(handle: LabHandle, plan: LabPlan, dnsPlan: LabDnsPlan): Promise<{ problems: string[]; notes: string[] }> {
  const problems: string[] = [];
  const notes: string[] = [...dnsPlan.notes];
  const steps: string[] = [];
  const t0 = performance.now();
  let last = t0;
  const step = (what: string): void => {
    steps.push(`${what} ${ms(last)} ms`);
    last = performance.now();
  };
  if (dnsPlan.labId !== plan.labId || dnsPlan.fabricNs !== plan.fabric.ns) return { problems: [`The DNS plan is for lab ${dnsPlan.labId}, not for lab ${plan.labId}.`], notes };

  if (dnsPlan.fabricLines.length > 0) {
    const r = ipBatchIn(labNs(dnsPlan.fabricNs), dnsPlan.fabricLines);
    if (!r.ok) return { problems: [`Giving the fabric the resolvers' addresses and routes failed: ${r.stderr.trim()}.`], notes };
  }
  for (const ns of dnsPlan.icmpNamespaces) {
    const r = sysctl(labNs(ns), [['net.ipv4.icmp_ratelimit', '0']]);
    if (r.ok) notes.push(`In ${ns}, where cluster DNS runs, net.ipv4.icmp_ratelimit is 0, so a stopped cluster DNS is refused at once on every query instead of after glibc's 5 s timeout once the kernel's ICMP rate limit kicks in (lab README §7).`);
    else problems.push(`Setting net.ipv4.icmp_ratelimit=0 in ${ns} failed: ${r.stderr.trim()}.`);
  }
  step('fabric');

  const dir = labLogDir(handle);
  mkdirSync(dir, { recursive: true });
  for (const s of dnsPlan.servers) {
    // The plan already leaves out what is not a plain name; this is the last guard before root reads it.
    const unsafe = [...s.conf, ...s.hosts].find((l) => !safeDnsmasqLine(l));
    if (unsafe !== undefined) return { problems: [`The lab refuses to start ${s.name}: the line ${JSON.stringify(unsafe)} would hide more than one setting in its files.`], notes };
    const f = serverFiles(dir, s);
    writeFileSync(f.conf, s.conf.map((l) => `${l}\n`).join(''));
    writeFileSync(f.hosts, s.hosts.map((l) => `${l}\n`).join(''));
  }
  // The upstream first: cluster DNS forwards to it.
  for (const role of ['upstream', 'cluster'] as const) {
    const started = await Promise.all(dnsPlan.servers.filter((s) => s.role === role).map((s) => startServer(handle, s)));
    problems.push(...started.filter((p): p is string => p !== undefined));
  }
  step('dnsmasq');

  for (const f of dnsPlan.resolvConfs) {
    if (dnsPlan.aliases.some((a) => a.alias === f.ns)) continue;
    const p = writeNetnsFile(handle, f.ns, 'resolv.conf', f.content);
    if (p) problems.push(p);
  }
  step('resolv.conf');

  const byNode = new Map<string, typeof dnsPlan.aliases[number][]>();
  for (const a of dnsPlan.aliases) byNode.set(a.nodeNs, [...(byNode.get(a.nodeNs) ?? []), a]);
  // One idle anchor per node, started together (each is a Node process, ~150 ms to come up).
  await Promise.all([...byNode].map(async ([nodeNs, aliases]) => {
    const anchor = await startDaemon(handle, nodeNs, `dns-anchor-${nodeNs.slice(`hnlab-${plan.labId}-`.length)}`, [process.execPath, '-e', ANCHOR], /anchor ready/);
    if ('problem' in anchor) {
      problems.push(`No process holds ${nodeNs} for its hostNetwork pods' resolv.conf: ${anchor.problem}`);
      return;
    }
    for (const a of aliases) {
      const p = attachAlias(handle, a.alias, anchor.pid, nodeNs) ?? writeNetnsFile(handle, a.alias, 'resolv.conf', dnsPlan.resolvConfs.find((f) => f.ns === a.alias)!.content);
      if (p) problems.push(p);
    }
  }));
  step('aliases');
  notes.push(`DNS started in ${ms(t0)} ms (${steps.join(', ')}): ${dnsPlan.servers.length} dnsmasq, ${dnsPlan.resolvConfs.length} resolv.conf files, ${dnsPlan.aliases.length} hostNetwork aliases.`);
  return { problems, notes };
}

/** Run one lookup tool in a lab namespace, timed. */
function observe(ns: string, tool: DnsObservation['tool'], name: string): DnsObservation {
  const problem = labNsProblem(ns);
  if (problem) return { tool, status: 127, stdout: '', stderr: problem, ms: 0 };
  const t0 = performance.now();
  const r = runInLab(labNs(ns), toolCommand(tool, name), PROBE_TIMEOUT_MS);
  return { tool, status: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

/** The PIDs of a plan's dnsmasq, found by its conf file among the processes of its namespace (it may have been started by another hostnet process). */
export function serverPids(h: LabHandle, s: LabDnsServer): number[] {
  if (labNsProblem(s.ns)) return [];
  const flag = `--conf-file=${serverFiles(labLogDir(h), s).conf}`;
  return netnsPids(labNs(s.ns)).filter((pid) => {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return argv.includes(flag) && (argv[0] ?? '').endsWith('dnsmasq');
    } catch {
      return false;
    }
  });
}

const sleep = (t: number): Promise<void> => new Promise((r) => setTimeout(r, t));

/** Kill by PID only (SIGTERM, then SIGKILL after 2 s) and wait until each is gone. */
async function stopPids(pids: readonly number[], inodes: ReadonlySet<number>): Promise<void> {
  const gone = (pid: number): boolean => netnsInode(`/proc/${pid}/ns/net`) === undefined;
  for (const pid of pids) killLabPid(pid, inodes, 'SIGTERM');
  const deadline = performance.now() + 2000;
  while (pids.some((p) => !gone(p)) && performance.now() < deadline) await sleep(10);
  for (const pid of pids) if (!gone(pid)) killLabPid(pid, inodes, 'SIGKILL');
  while (pids.some((p) => !gone(p)) && performance.now() < deadline + 2000) await sleep(10);
}

const OUTAGE_WHY = 'The lab stops cluster DNS by killing its dnsmasq; its address stays, so the kernel answers ICMP port unreachable and glibc gets "connection refused" at once. hostnet\'s "cluster DNS down" models kube-proxy rejecting a Service without ready endpoints (KP-10), which sends the resolver the same ICMP error.';

/**
 * Every DNS probe: each planned lookup through glibc (`getent ahostsv4`) and, for cluster names,
 * `dig +search +short`; then cluster DNS is stopped, the outage lookups run, and cluster DNS is
 * started again (a last row checks that it answers again).
 */
export async function dnsProbeRows(session: LabSession, dnsPlan: LabDnsPlan): Promise<ProbeRow[]> {
  const rows: ProbeRow[] = [];
  // With a kube-dns Service without endpoints the predictions assume cluster DNS down; say why.
  const why = dnsPlan.clusterDnsMode === 'rejected' ? dnsPlan.notes.find((n) => n.includes('rejects every query')) : undefined;
  for (const c of dnsPlan.probes) {
    rows.push(dnsRow(c, observe(c.ns, 'getent', c.name), why ? { why } : {}));
    if (c.dig) rows.push(dnsRow(c, observe(c.ns, 'dig', c.name), why ? { why } : {}));
  }
  const clusterServers = dnsPlan.servers.filter((s) => s.role === 'cluster');
  if (clusterServers.length === 0 || dnsPlan.outage.length === 0) return rows;

  const inodes = new Set(session.plan.namespaces.map((ns) => netnsInode(`/run/netns/${ns}`)).filter((x): x is number => x !== undefined));
  const pids = clusterServers.flatMap((s) => serverPids(session.h, s));
  const missing = clusterServers.filter((s) => serverPids(session.h, s).length === 0);
  if (missing.length > 0) {
    for (const c of dnsPlan.outage) {
      rows.push({ group: 'DNS outage', subject: toolCommand('getent', c.name).join(' '), from: c.from, predicted: 'cluster DNS is stopped for this probe', observed: `cluster DNS was not running before the outage (no dnsmasq of the lab in ${missing.map((s) => s.ns).join(', ')})`, agree: false });
    }
    return rows;
  }
  await stopPids(pids, inodes);
  try {
    for (const c of dnsPlan.outage) rows.push(dnsRow(c, observe(c.ns, 'getent', c.name), { outage: true, why: OUTAGE_WHY }));
  } finally {
    const suffix = `r${Date.now().toString(36)}`;
    const restarted = await Promise.all(clusterServers.map((s) => startServer(session.h, s, `${s.name}-${suffix}`)));
    const problems = restarted.filter((p): p is string => p !== undefined);
    // The lab as it was: the first outage lookup of a pod answers again as predicted with cluster DNS up.
    const first = dnsPlan.outage[0]!;
    const again: DnsProbeCase | undefined = dnsPlan.probes.find((p) => p.ns === first.ns && p.name === first.name);
    if (problems.length > 0) {
      rows.push({ group: 'DNS outage', subject: 'start cluster DNS again', from: 'the lab', predicted: 'cluster DNS runs again', observed: problems.join(' '), agree: false });
    } else if (again) {
      const r = dnsRow(again, observe(again.ns, 'getent', again.name), { outage: true });
      rows.push({ ...r, subject: `${r.subject} (cluster DNS started again)` });
    }
  }
  return rows;
}
