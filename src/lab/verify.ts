/**
 * `hostnet lab verify`: every prediction next to what the kernel did. Reachability probes run a
 * client in the namespace that owns the traced packet's source address; port-conflict probes bind
 * in the node's namespace. Rows from other probe groups (DNS) are merged in by the caller.
 */
import { BIND_PROBE, PROBE_CLIENT } from './agents.js';
import { labNs, runInLabAsync } from './exec.js';
import type { LabPlan } from './plan.js';
import { describeExpected, reachProbes, type Expected, type ReachProbe } from './predict.js';
import type { ProbeRow } from './probe-row.js';
import type { LabSession } from './session.js';
import type { LabServer } from './workloads.js';

export const PROBE_TIMEOUT_MS = 2000;

export type Observation =
  | { readonly kind: 'reply'; readonly from: string; readonly client: string }
  | { readonly kind: 'refused' }
  | { readonly kind: 'silent'; readonly detail: 'timeout' | 'unreachable' }
  | { readonly kind: 'other'; readonly detail: string };

interface ClientResult {
  readonly key: string;
  readonly kind: string;
  readonly text?: string;
  readonly ms: number;
}

const REPLY = /^served-by=(.*) client=(\S+)\n?$/;

export function observationOf(r: Pick<ClientResult, 'kind' | 'text'>): Observation {
  if (r.kind === 'reply') {
    const m = REPLY.exec(r.text ?? '');
    return m ? { kind: 'reply', from: m[1]!, client: m[2]! } : { kind: 'other', detail: `an unexpected answer ${JSON.stringify(r.text)}` };
  }
  if (r.kind === 'refused') return { kind: 'refused' };
  if (r.kind === 'timeout' || r.kind === 'unreachable') return { kind: 'silent', detail: r.kind };
  return { kind: 'other', detail: r.kind === 'closed' ? 'the connection closed without an answer' : r.kind };
}

export function describeObservation(o: Observation): string {
  switch (o.kind) {
    case 'reply': return `answered by ${o.from} (sees client ${o.client})`;
    case 'refused': return 'refused';
    case 'silent': return o.detail === 'timeout' ? 'no answer (timed out)' : 'no answer (host unreachable)';
    case 'other': return o.detail;
  }
}

/** Whether an observation is one the prediction allows. */
export function agrees(e: Expected, o: Observation): boolean {
  switch (o.kind) {
    case 'reply':
      if (!e.replies.includes(o.from)) return false;
      if (e.clientSeen !== undefined && o.client !== e.clientSeen) return false;
      if (e.clientHidden !== undefined && o.client === e.clientHidden) return false;
      return true;
    case 'refused': return e.refused;
    case 'silent': return e.silent;
    case 'other': return false;
  }
}

/** Run every probe, one client process per namespace, the namespaces side by side. */
export async function runReachProbes(probes: readonly ReachProbe[]): Promise<ProbeRow[]> {
  const byNs = new Map<string, ReachProbe[]>();
  for (const p of probes) byNs.set(p.ns, [...(byNs.get(p.ns) ?? []), p]);
  const observed = new Map<ReachProbe, Observation>();
  await Promise.all([...byNs].map(async ([ns, list]) => {
    const targets = list.map((p, i) => ({ key: String(i), ip: p.packet.dst, port: p.packet.dport, protocol: p.packet.protocol.toUpperCase(), ...(p.src ? { src: p.src } : {}) }));
    const r = await runInLabAsync(labNs(ns), [process.execPath, '-e', PROBE_CLIENT, JSON.stringify({ timeoutMs: PROBE_TIMEOUT_MS, targets })], PROBE_TIMEOUT_MS + 20_000);
    let results: ClientResult[] = [];
    try {
      results = JSON.parse(r.stdout) as ClientResult[];
    } catch {
      for (const p of list) observed.set(p, { kind: 'other', detail: `the probe client in ${ns} failed: ${r.stderr.trim() || `exit ${r.status}`}` });
      return;
    }
    for (const res of results) observed.set(list[Number(res.key)]!, observationOf(res));
  }));
  return probes.map((p) => {
    const o = observed.get(p) ?? { kind: 'other', detail: 'no result' };
    return { group: p.group, subject: p.subject, from: p.from, predicted: describeExpected(p.expected), observed: describeObservation(o), agree: agrees(p.expected, o), why: p.why };
  });
}

export interface BindProbe {
  readonly ns: string;
  readonly node: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
  readonly expected: 'EADDRINUSE' | 'ok';
  readonly subject: string;
  readonly why: string;
}

/**
 * Port conflicts as the kernel sees them, pure. A second hostNetwork listener on a port a
 * hostNetwork pod holds fails to bind (the conflict the scheduler's NodePorts filter prevents,
 * SCHED-3/4); a host port that portmap maps holds no socket, so a process binds it fine (PM-8,
 * SCHED-8): only the scheduler keeps the two apart.
 */
export function bindProbes(plan: LabPlan, servers: readonly LabServer[], hostPortMappings: readonly { node: string; port: number; protocol: string; pod: string }[]): BindProbe[] {
  const out: BindProbe[] = [];
  const nodeNs = new Map(plan.nodes.map((n) => [n.node, n.ns]));
  const held = new Set<string>();
  for (const s of servers) {
    if (!s.hostNetwork) continue;
    for (const l of s.listen) {
      const key = `${s.node}|${l.protocol}|${l.port}`;
      if (held.has(key)) continue;
      held.add(key);
      out.push({ ns: s.ns, node: s.node, port: l.port, protocol: l.protocol, expected: 'EADDRINUSE',
        subject: `a second hostNetwork listener on 0.0.0.0:${l.port}/${l.protocol} on ${s.node}`,
        why: `${s.pod} already listens there; the scheduler keeps a second pod with this port off the node (NodePorts, SCHED-3/4)` });
    }
  }
  for (const m of hostPortMappings) {
    const proto = m.protocol.toUpperCase();
    const ns = nodeNs.get(m.node);
    if (!ns || (proto !== 'TCP' && proto !== 'UDP') || held.has(`${m.node}|${proto}|${m.port}`)) continue;
    held.add(`${m.node}|${proto}|${m.port}`);
    out.push({ ns, node: m.node, port: m.port, protocol: proto, expected: 'ok',
      subject: `a hostNetwork listener on 0.0.0.0:${m.port}/${proto} on ${m.node}, where ${m.pod} has this host port`,
      why: 'portmap DNATs the host port but holds no socket (PM-8), so the kernel lets a process bind it; only the scheduler reserves it (SCHED-8)' });
  }
  return out;
}

export async function runBindProbes(probes: readonly BindProbe[]): Promise<ProbeRow[]> {
  const byNs = new Map<string, BindProbe[]>();
  for (const p of probes) byNs.set(p.ns, [...(byNs.get(p.ns) ?? []), p]);
  const got = new Map<BindProbe, string>();
  await Promise.all([...byNs].map(async ([ns, list]) => {
    const binds = list.map((p, i) => ({ key: String(i), ip: '0.0.0.0', port: p.port, protocol: p.protocol }));
    const r = await runInLabAsync(labNs(ns), [process.execPath, '-e', BIND_PROBE, JSON.stringify({ binds })]);
    try {
      for (const res of JSON.parse(r.stdout) as { key: string; result: string }[]) got.set(list[Number(res.key)]!, res.result);
    } catch {
      for (const p of list) got.set(p, `the bind probe in ${ns} failed: ${r.stderr.trim() || `exit ${r.status}`}`);
    }
  }));
  const words = (r: string): string => (r === 'ok' ? 'binds' : r === 'EADDRINUSE' ? 'fails: address already in use' : r);
  return probes.map((p) => {
    const r = got.get(p) ?? 'no result';
    return { group: 'port conflicts', subject: p.subject, from: 'as a process on the node', predicted: words(p.expected), observed: words(r), agree: r === p.expected, why: p.why };
  });
}

export interface VerifySummary {
  readonly probes: number;
  readonly agree: number;
  readonly disagree: number;
}

export const summarize = (rows: readonly ProbeRow[]): VerifySummary => ({
  probes: rows.length, agree: rows.filter((r) => r.agree).length, disagree: rows.filter((r) => !r.agree).length,
});

/** The table as text: one group after another, a mark per row, both sides and the reason for every disagreement. */
export function renderVerifyText(rows: readonly ProbeRow[]): string {
  const lines: string[] = [];
  const groups = [...new Set(rows.map((r) => r.group))];
  for (const g of groups) {
    const mine = rows.filter((r) => r.group === g);
    lines.push(`${g} (${mine.filter((r) => r.agree).length}/${mine.length} agree)`);
    for (const r of mine) {
      if (r.agree) lines.push(`  ok    ${r.subject}, ${r.from}: ${r.observed}`);
      else {
        lines.push(`  DIFF  ${r.subject}, ${r.from}`);
        lines.push(`          predicted: ${r.predicted}`);
        lines.push(`          observed:  ${r.observed}`);
        if (r.why) lines.push(`          why hostnet predicted it: ${r.why}`);
      }
    }
  }
  const s = summarize(rows);
  lines.push(...(lines.length > 0 ? [''] : []), s.probes === 0
    ? 'Nothing to probe: no workload the lab runs has a host port, a hostNetwork port or a Service.'
    : s.disagree === 0
    ? `All ${s.probes} predictions agree with the kernel.`
    : `${s.disagree} of ${s.probes} predictions disagree with the kernel (marked DIFF above).`);
  return `${lines.join('\n')}\n`;
}

/** The reachability and port-conflict rows for a lab whose servers run (`startServers`). */
export async function verifyNetwork(session: LabSession, servers: readonly LabServer[]): Promise<{ rows: ProbeRow[]; notes: string[] }> {
  const { plan, sims, model } = session;
  const { probes, notes } = reachProbes(plan, sims, model.cluster, servers);
  const mappings = plan.nodes.flatMap((n) => (sims.dataplane(n.node)?.sandboxes ?? []).flatMap((sb) => sb.mappings.map((m) => ({ node: n.node, port: m.hostPort, protocol: m.protocol, pod: sb.from }))));
  // One after the other: a bind probe briefly listens on a host port a reach probe may be sending to.
  const reach = await runReachProbes(probes);
  const binds = await runBindProbes(bindProbes(plan, servers, mappings));
  return { rows: [...reach, ...binds], notes };
}
