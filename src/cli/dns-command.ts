/**
 * `hostnet dns` and `hostnet dns resolve` as text: each pod's resolv.conf with the reason for every
 * line, and one lookup walked query by query. JSON is built from the same values.
 */
import type { PodView } from '../model/pod-view.js';
import type { Resolution } from '../sim/dns/resolve.js';
import { renderResolvConf, type Entry, type Origin, type PodDns } from '../sim/dns/resolv-conf.js';

const ORIGIN_WORDS: Readonly<Record<Origin, string>> = {
  clusterDNS: "the kubelet's clusterDNS (KDNS-4)",
  'cluster-domain': 'the cluster domain for the pod\'s namespace (KDNS-4)',
  node: "the node's resolv.conf (KDNS-6)",
  dnsConfig: 'spec.dnsConfig (KDNS-8)',
  'kubelet-default': "the kubelet's default (KDNS-4 ndots:5; KDNS-6 without a node file)",
};

const TYPE_WORDS: Readonly<Record<string, string>> = {
  Cluster: 'cluster DNS',
  Host: "the node's resolver",
  None: 'only spec.dnsConfig',
};

export function describeDnsType(v: PodView, d: PodDns): string {
  const policy = `dnsPolicy ${String(v.dnsPolicy)}${v.dnsPolicyWritten ? '' : ' (defaulted, DEF-1)'}${v.hostNetwork ? ' with hostNetwork' : ''}`;
  const fallback = d.type !== d.requested ? `, which falls back to ${d.type} because the kubelet has no clusterDNS (KDNS-5)` : '';
  return `${policy} → ${d.requested} type (KDNS-3)${fallback}: ${TYPE_WORDS[d.type]}`;
}

function originWords(origin: Origin, d: PodDns): string {
  return origin === 'node' && d.type === 'Cluster' ? "the node's search line, kept after the cluster's (KDNS-4)" : ORIGIN_WORDS[origin];
}

function groupByOrigin(entries: readonly Entry[], d: PodDns): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < entries.length) {
    const origin = entries[i]!.origin;
    const run: string[] = [];
    while (i < entries.length && entries[i]!.origin === origin) run.push(entries[i++]!.value);
    out.push(`${run.join(', ')}: ${originWords(origin, d)}`);
  }
  return out;
}

export function dnsJson(v: PodView, d: PodDns | undefined): unknown {
  const at = v.object.source.locator.locate([]);
  const base = { kind: v.kind, namespace: v.namespace, name: v.object.name, file: v.object.source.file, line: at.line };
  if (!d) return { ...base, error: `dnsPolicy ${String(v.dnsPolicy)} is not a value Kubernetes knows; the API server rejects the pod (VAL-14).` };
  return {
    ...base,
    dnsPolicy: v.dnsPolicy, hostNetwork: v.hostNetwork, requestedType: d.requested, type: d.type,
    resolvConf: renderResolvConf(d.conf),
    nameservers: d.conf.nameservers, searches: d.conf.searches, options: d.conf.options,
    events: d.events, nodeFileErrors: d.nodeFileErrors,
  };
}

export function renderPodDnsText(v: PodView, d: PodDns | undefined): string {
  const at = v.object.source.locator.locate([]);
  const head = `${v.kind} ${v.namespace}/${v.object.name} (${v.object.source.file}:${at.line})`;
  if (!d) return `${head}\n  dnsPolicy ${String(v.dnsPolicy)} is not a value Kubernetes knows; the API server rejects the pod (VAL-14).\n`;
  const lines = [head, `  ${describeDnsType(v, d)}`];
  const file = renderResolvConf(d.conf);
  if (file === '') lines.push('  (no resolv.conf lines: the runtime copies its own host\'s file, KDNS-11)');
  if (d.conf.searches.length > 0) {
    lines.push(`  search ${d.conf.searches.map((e) => e.value).join(' ')}`);
    for (const g of groupByOrigin(d.conf.searches, d)) lines.push(`      ${g}`);
  }
  for (const n of d.conf.nameservers) lines.push(`  nameserver ${n.value}`.padEnd(30) + `  ${originWords(n.origin, d)}`);
  if (d.conf.options.length > 0) {
    lines.push(`  options ${d.conf.options.map((e) => e.value).join(' ')}`);
    for (const g of groupByOrigin(d.conf.options, d)) lines.push(`      ${g}`);
  }
  for (const e of d.events) lines.push(`  event on the ${e.on}: ${e.type} ${e.reason}: ${e.message}`);
  for (const e of d.nodeFileErrors) lines.push(`  the node's resolv.conf cannot be parsed (${e}): the kubelet cannot create this pod's sandbox (KDNS-2)`);
  return `${lines.join('\n')}\n`;
}

export function renderResolutionText(v: PodView, r: Resolution, scenario: string): string {
  const lines = [`Lookup of ${r.name} from ${v.kind} ${v.namespace}/${v.object.name} (${r.libc}, cluster DNS ${scenario}):`];
  lines.push(`  queries asked, in order: ${r.queries.join(', ')}`);
  for (const s of r.steps) {
    const answer = s.outcome === 'answer' ? ` → ${s.answers.map((a) => `${a.type} ${a.value}${a.standIn ? ' (stand-in address)' : ''}`).join(', ')}` : '';
    lines.push(`  ${s.query} to ${s.server}: ${s.outcome.toUpperCase()}${answer}`);
    lines.push(`      ${s.why}`);
  }
  lines.push(r.resolved ? `Resolves. ${r.summary}` : `Does not resolve. ${r.summary}`);
  return `${lines.join('\n')}\n`;
}
