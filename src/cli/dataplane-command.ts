/**
 * `hostnet iptables`, `hostnet trace` and the reachability part of `hostnet explain`: argument
 * parsing that returns errors as values, and text layouts. The tracing itself is
 * src/sim/dataplane; this module only reads flags and lays out what it says.
 */
import { ipFamily } from '../sim/dataplane/addresses.js';
import type { Reachability } from '../sim/dataplane/reachability.js';
import { TABLE_ORDER, type Ruleset, type TableName } from '../sim/dataplane/ruleset.js';
import type { Origin, Packet, TraceEnv } from '../sim/dataplane/trace.js';
import type { RunningPod } from '../sim/services/types.js';

type Result<T> = T | { readonly error: string };

/** `192.168.10.11:8080`, `10.96.0.10:53/udp`, `[fd00::1]:80/tcp`. */
export function parseDestination(text: string | undefined): Result<{ ip: string; port: number; protocol: Packet['protocol'] }> {
  const usage = 'write it as IP:PORT with an optional /tcp, /udp or /sctp, for example 192.168.10.11:8080 or 10.96.0.10:53/udp ([fd00::1]:80 for IPv6)';
  if (!text) return { error: `--dst is required: ${usage}.` };
  const m = /^(?:\[([^\]]+)\]|([^:/]+)):(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(text.trim());
  if (!m) return { error: `--dst ${text}: ${usage}.` };
  const ip = (m[1] ?? m[2])!;
  const port = Number(m[3]);
  if (ipFamily(ip) === undefined) return { error: `--dst ${text}: ${ip} is not an IP address; ${usage}.` };
  if (port < 1 || port > 65535) return { error: `--dst ${text}: the port must be between 1 and 65535.` };
  return { ip, port, protocol: (m[4]?.toLowerCase() ?? 'tcp') as Packet['protocol'] };
}

export function parseTables(names: readonly string[] | undefined): Result<{ tables: readonly TableName[] }> {
  if (!names || names.length === 0) return { tables: TABLE_ORDER };
  const bad = names.filter((n) => !(TABLE_ORDER as readonly string[]).includes(n));
  if (bad.length > 0) return { error: `--table ${bad.join(',')}: the tables are ${TABLE_ORDER.join(', ')}.` };
  return { tables: TABLE_ORDER.filter((t) => names.includes(t)) };
}

export function filterTables(ruleset: Ruleset, tables: readonly TableName[]): Ruleset {
  return { ...ruleset, tables: ruleset.tables.filter((t) => tables.includes(t.name)) };
}

/** Where a traced packet starts: asked for with --from, or read from --src. */
export function originOf(from: 'external' | 'node' | 'pod' | undefined, src: string, node: string, env: TraceEnv, running: readonly RunningPod[]): Result<{ origin: Origin }> {
  const podHere = running.find((p) => !p.hostNetwork && p.node === node && p.ip === src);
  if (from === 'node') return { origin: { kind: 'node' } };
  if (from === 'external') return { origin: { kind: 'external' } };
  if (from === 'pod') {
    const located = env.locate(src);
    if (!podHere && !(located.kind === 'pod' && located.node === node)) {
      const here = running.filter((p) => !p.hostNetwork && p.node === node).slice(0, 5).map((p) => `${p.ip} (${p.view.namespace}/${p.name})`);
      return { error: `--from pod needs --src to be the IP of a pod on ${node}${here.length > 0 ? `, such as ${here.join(', ')}` : '; no pod with its own IP runs there in this placement'}.` };
    }
    return { origin: { kind: 'pod', podIP: src } };
  }
  if (env.isLocal(src)) return { origin: { kind: 'node' } };
  if (podHere) return { origin: { kind: 'pod', podIP: src } };
  return { origin: { kind: 'external' } };
}

export function describeOrigin(origin: Origin, node: string): string {
  switch (origin.kind) {
    case 'external': return `arriving at ${node} from outside it`;
    case 'pod': return `sent by the pod ${origin.podIP} on ${node}`;
    case 'node': return `sent by a process on ${node} itself`;
  }
}

export function reachabilityJson(r: Reachability): unknown {
  return {
    notes: r.notes,
    cases: r.cases.map((c) => ({ target: c.target, from: c.from, node: c.node, packet: c.packet, origin: c.origin, outcome: c.outcome, branches: c.result.branches.map((b) => ({ probability: b.probability, verdict: b.verdict })) })),
  };
}

export function renderReachabilityText(r: Reachability): string {
  const lines = ['Reachability: packets traced through the modelled nodes\' iptables rules (hostnet trace shows each walk).'];
  let target = '';
  for (const c of r.cases) {
    if (c.target !== target) {
      target = c.target;
      lines.push(`  ${c.target}:`);
    }
    lines.push(`    ${c.from}: ${c.outcome}.`);
  }
  if (r.cases.length === 0 && r.notes.length === 0) lines.push('  It has no host ports and no Service selects it.');
  for (const n of r.notes) lines.push(`  Note: ${n}`);
  return `${lines.join('\n')}\n`;
}
