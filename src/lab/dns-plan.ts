/**
 * Pure: the DNS of a lab (lab README §7). Decides where the two resolvers run and what they know,
 * which resolv.conf each namespace gets, which extra names the node namespaces need for
 * hostNetwork pods, and what hostnet predicts for each lookup the probes make. dns.ts makes it
 * real through exec.ts and runtime.ts.
 *
 *   upstream     dnsmasq in the fabric at the address(es) the nodes' resolv.conf names: a few test
 *                names with TEST-NET addresses, NXDOMAIN for everything else (never forwards).
 *   cluster DNS  dnsmasq at the kubelet's clusterDNS address, where packets to it really go: in the
 *                pods kube-proxy DNATs it to (a kube-dns-like Service in the manifests), otherwise
 *                in the fabric (pod → node default route → fabric). It serves the records the DNS
 *                simulation computes, is authoritative for the cluster zone and forwards the rest
 *                to the nodes' nameservers, as the kubeadm Corefile does (`forward . /etc/resolv.conf`).
 */
import type { Model } from '../model/model.js';
import { parseIPv4 } from '../sim/dns/addresses.js';
import { clusterRecords, type ClusterRecords, type DnsRecord } from '../sim/dns/records.js';
import { parseResolvConf, renderResolvConf, type PodDns } from '../sim/dns/resolv-conf.js';
import { resolveName, serverKindOf, type Resolution, type ResolveEnv, type ResolveScenario } from '../sim/dns/resolve.js';
import type { RunningPod } from '../sim/services/types.js';
import type { Simulations } from '../sim/simulations.js';
import { LAB_NS_RE } from './exec.js';
import type { LabPlan } from './plan.js';
import type { ProbeRow } from './probe-row.js';

/** The outside world the lab's upstream resolver knows: RFC 6761 `.test` names on TEST-NET-1 addresses. */
export const UPSTREAM_NAMES: Readonly<Record<string, string>> = {
  'api.upstream.test': '192.0.2.10',
  'www.upstream.test': '192.0.2.11',
};
/** The external name the probes ask, written as an FQDN (one query, no search list). */
export const EXTERNAL_PROBE_NAME = 'api.upstream.test.';
/** A name that exists nowhere: it walks the whole search list and then is asked as written. */
export const MISSING_PROBE_NAME = 'no-such-name';
/** Routing table in the fabric for replies from the DNS addresses to pod IPs (see `fabricLines`). */
export const DNS_ROUTE_TABLE = 53;
/** At most this many Services are probed by name from each pod, so verify stays quick. */
export const MAX_PROBED_SERVICES = 4;

export interface LabDnsServer {
  /** Daemon name and the stem of its files in the lab's log dir: `dns-upstream`, `dns-cluster-1`. */
  readonly name: string;
  readonly role: 'upstream' | 'cluster';
  readonly ns: string;
  readonly listen: readonly string[];
  readonly port: number;
  /** Its `--addn-hosts` file, `ip name` per line (A and AAAA records). */
  readonly hosts: readonly string[];
  /** Its second `--conf-file`: `local=`, `server=`, `srv-host=`, `cname=`, `txt-record=` lines. */
  readonly conf: readonly string[];
  /** The RunningPod it stands in for (cluster DNS in the Service's endpoint pods). */
  readonly pod?: string;
}

/** A resolv.conf under /etc/netns/<ns>/, which `ip netns exec <ns>` mounts over /etc/resolv.conf. */
export interface LabResolvConf {
  readonly ns: string;
  /** Who reads it: `node worker-1`, a RunningPod name. */
  readonly owner: string;
  readonly content: string;
}

/** A second name for a node's namespace, so a hostNetwork pod gets its own resolv.conf there. */
export interface LabDnsAlias {
  readonly alias: string;
  readonly node: string;
  readonly nodeNs: string;
  readonly pod: string;
}

export type DnsNameKind = 'cluster' | 'external' | 'missing';

/** One lookup a probe makes, with hostnet's prediction. */
export interface DnsProbeCase {
  readonly pod: string;
  /** The namespace the lookup runs in: the pod's own, or its alias of the node's namespace. */
  readonly ns: string;
  /** `pod Deployment default/web (pod 1 of 2)`, `hostNetwork pod … (dnsPolicy Default, node worker-1)`. */
  readonly from: string;
  readonly name: string;
  readonly kind: DnsNameKind;
  readonly predicted: Resolution;
  /** Also ask `dig +search +short` (cluster names). */
  readonly dig: boolean;
}

/** Where cluster DNS runs: the Service's endpoint pods, the fabric, or nowhere (and why). */
export type ClusterDnsMode = 'pods' | 'fabric' | 'rejected' | 'none';

export interface LabDnsPlan {
  readonly labId: string;
  readonly fabricNs: string;
  /** `ip -n <fabric> -batch` lines: the resolvers' addresses and the routes back to the pods. */
  readonly fabricLines: readonly string[];
  readonly servers: readonly LabDnsServer[];
  readonly clusterDnsMode: ClusterDnsMode;
  /** The clusterDNS address the probes' pods ask. */
  readonly clusterDnsIp?: string;
  /** Namespaces where a dead cluster DNS answers with ICMP port unreachable; the lab lifts the ICMP rate limit there. */
  readonly icmpNamespaces: readonly string[];
  readonly resolvConfs: readonly LabResolvConf[];
  readonly aliases: readonly LabDnsAlias[];
  /** The scenario the probes' predictions assume while cluster DNS runs. */
  readonly scenario: ResolveScenario;
  readonly probes: readonly DnsProbeCase[];
  /** Lookups made while cluster DNS is stopped (seed 001), predicted with `outageScenario`. */
  readonly outage: readonly DnsProbeCase[];
  readonly outageScenario: ResolveScenario;
  /** What the lab's DNS leaves out or changes, as sentences. */
  readonly notes: readonly string[];
}

const isIPv4 = (s: string): boolean => parseIPv4(s) !== undefined;

/** The addresses the fabric already has, read from its `addr add` lines. */
function fabricAddresses(plan: LabPlan): Set<string> {
  const out = new Set<string>();
  for (const l of plan.fabric.lines) {
    const m = /^addr add ([0-9.]+)\//.exec(l);
    if (m) out.add(m[1]!);
  }
  return out;
}

const DNS_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})$/;
const ADDRESS = /^[0-9A-Fa-f.:]{2,45}$/;
const TXT_VALUE = /^[A-Za-z0-9_.:-]{1,255}$/;

/** Whether a line may go into a dnsmasq file: one line, so no second option hides in it. */
export function safeDnsmasqLine(line: string): boolean {
  return !/[\n\r\0]/.test(line);
}

/** dnsmasq can express A/AAAA (hosts file), SRV, TXT, and CNAMEs whose target it knows itself. */
export function clusterDnsmasqConfig(records: ClusterRecords, upstream: readonly string[]): { hosts: string[]; conf: string[]; notes: string[] } {
  const all = records.all();
  const hosts: string[] = [];
  const conf: string[] = [];
  const notes: string[] = [];
  // Names and values come from manifests, which are untrusted: anything that is not plainly a DNS
  // name (or an address, or a TXT word) could add lines to dnsmasq's files, so it is left out.
  const safe = all.filter((r) => {
    const ok = DNS_NAME.test(r.name) && (r.type === 'TXT' ? TXT_VALUE.test(r.value) : DNS_NAME.test(r.value) || ADDRESS.test(r.value));
    if (!ok) notes.push(`${r.from} gives the record ${JSON.stringify(r.name)} → ${JSON.stringify(r.value)}, which is not a plain DNS name, so the lab's cluster DNS leaves it out.`);
    return ok;
  });
  const local = new Set(safe.filter((r) => r.type === 'A' || r.type === 'AAAA').map((r) => r.name));
  const seenHost = new Set<string>();
  for (const r of safe) {
    if (r.type !== 'A' && r.type !== 'AAAA') continue;
    const line = `${r.value} ${r.name}`;
    if (!seenHost.has(line)) hosts.push(line);
    seenHost.add(line);
  }
  // CoreDNS gives each SRV record of a name an equal share of weight 100.
  const srv = safe.filter((r): r is DnsRecord & { port: number } => r.type === 'SRV' && r.port !== undefined);
  const srvCount = new Map<string, number>();
  for (const r of srv) srvCount.set(r.name, (srvCount.get(r.name) ?? 0) + 1);
  for (const r of srv) conf.push(`srv-host=${r.name},${r.value},${r.port},0,${Math.max(1, Math.floor(100 / srvCount.get(r.name)!))}`);
  for (const r of safe) {
    if (r.type === 'TXT') conf.push(`txt-record=${r.name},${r.value}`);
    if (r.type !== 'CNAME') continue;
    // dnsmasq only aliases names it holds itself; an ExternalName pointing outside the cluster cannot be served.
    if (local.has(r.value)) conf.push(`cname=${r.name},${r.value}`);
    else notes.push(`${r.from} is a CNAME to ${r.value}, which dnsmasq cannot serve (it aliases only names it holds itself), so the lab's cluster DNS leaves ${r.name} out and the probes do not ask it.`);
  }
  if (records.zone !== '') conf.push(`local=/${records.zone}/`);
  for (const u of upstream) conf.push(`server=${u}`);
  return { hosts, conf, notes };
}

/** The upstream resolver's files: the test names, NXDOMAIN for everything else (`local=/#/`). */
export function upstreamDnsmasqConfig(): { hosts: string[]; conf: string[] } {
  return { hosts: Object.entries(UPSTREAM_NAMES).map(([name, ip]) => `${ip} ${name}`), conf: ['local=/#/'] };
}

interface ClusterDnsPlacement {
  readonly mode: ClusterDnsMode;
  readonly ip?: string;
  /** mode 'pods': where dnsmasq runs for each endpoint. */
  readonly endpoints: readonly { pod: RunningPod; pods: readonly string[]; ns: string; ip: string; port: number }[];
  readonly notes: readonly string[];
}

/** Where packets to the clusterDNS address end up in the lab (see the file comment). */
function placeClusterDns(plan: LabPlan, model: Model, sims: Simulations): ClusterDnsPlacement {
  const notes: string[] = [];
  const ips = model.cluster.clusterDNS.filter(isIPv4);
  if (model.cluster.clusterDNS.length > ips.length) notes.push(`The lab serves only IPv4 cluster DNS addresses, so ${model.cluster.clusterDNS.filter((x) => !isIPv4(x)).join(', ')} get no server.`);
  const ip = ips[0];
  if (ip === undefined) return { mode: 'none', endpoints: [], notes: [...notes, 'The kubelet has no IPv4 clusterDNS address, so the lab runs no cluster DNS (pods fall back to the node\'s resolver, KDNS-5).'] };
  if (ips.length > 1) notes.push(`The lab serves cluster DNS only at ${ip}, not at ${ips.slice(1).join(', ')}.`);
  if (model.cluster.nodeLocalDNS !== undefined) notes.push(`The cluster runs a NodeLocal DNSCache (${model.cluster.nodeLocalDNS}); the lab has no cache, so lookups the simulation sends there are not reproduced.`);
  const podNs = new Map(plan.pods.map((p) => [p.pod, p.ns]));
  const nodeNs = new Map(plan.nodes.map((n) => [n.node, n.ns]));
  const se = sims.endpoints().find((s) => s.service.clusterIP === ip);
  const dnsPort = se?.ports.find((p) => p.port.port === 53 && p.port.protocol === 'UDP');
  if (!se || !dnsPort) return { mode: 'fabric', ip, endpoints: [], notes };
  const svc = `Service ${se.service.namespace}/${se.service.name}`;
  const tcp = se.ports.find((p) => p.port.port === 53 && p.port.protocol === 'TCP');
  if (tcp && tcp.endpoints.some((e, i) => e.port !== dnsPort.endpoints[i]?.port)) notes.push(`${svc} sends TCP 53 to other endpoint ports than UDP 53; the lab's dnsmasq listens on the UDP target port for both.`);
  if (dnsPort.endpoints.length === 0) {
    return { mode: 'rejected', ip, endpoints: [], notes: [...notes, `${svc} holds the cluster DNS address ${ip} but has no endpoints, so kube-proxy rejects every query (KP-10); the lab runs no cluster DNS and predicts with cluster DNS down.`] };
  }
  const endpoints: { pod: RunningPod; pods: string[]; ns: string; ip: string; port: number }[] = [];
  for (const e of dnsPort.endpoints) {
    // Several hostNetwork pods on one node collapse into one endpoint (KP-14): one server there.
    const pod = e.pods[0];
    const ns = pod ? (pod.hostNetwork ? nodeNs.get(pod.node) : podNs.get(pod.name)) : undefined;
    if (!pod || !ns) {
      notes.push(`${svc} sends queries to ${e.ip}:${e.port}, which the lab does not build, so those queries go unanswered.`);
      continue;
    }
    endpoints.push({ pod, pods: e.pods.map((x) => x.name), ns, ip: e.ip, port: e.port });
  }
  if (endpoints.length === 0) return { mode: 'rejected', ip, endpoints: [], notes: [...notes, `None of the endpoints of ${svc} is in the lab, so nothing answers at ${ip}.`] };
  return { mode: 'pods', ip, endpoints, notes };
}

/**
 * The RunningPods whose namespaces run cluster DNS (dnsmasq on port 53 of the pod IP), so the pod
 * servers leave their port 53 alone.
 */
export function clusterDnsPods(plan: LabPlan, model: Model, sims: Simulations): string[] {
  const p = placeClusterDns(plan, model, sims);
  return p.mode === 'pods' ? [...new Set(p.endpoints.flatMap((e) => e.pods))] : [];
}

const podLabel = (p: RunningPod, dns: PodDns | undefined): string => {
  if (!p.hostNetwork) return `pod ${p.name}`;
  const policy = typeof p.view.dnsPolicy === 'string' ? p.view.dnsPolicy : 'ClusterFirst';
  return `hostNetwork pod ${p.name} (dnsPolicy ${policy}${p.view.dnsPolicyWritten ? '' : ' by default'}, so ${dns?.type === 'Cluster' ? 'cluster DNS' : "the node's resolv.conf"}; node ${p.node})`;
};

export function planLabDns(plan: LabPlan, model: Model, sims: Simulations): LabDnsPlan {
  const cluster = model.cluster;
  const notes: string[] = [];
  const objects = model.objects.filter((o) => !model.duplicates.has(o));
  const records = clusterRecords(objects, sims.placement(), cluster);
  const have = fabricAddresses(plan);
  const fabricLines: string[] = [];
  const addAddress = (ip: string): void => {
    if (have.has(ip)) return;
    have.add(ip);
    fabricLines.push(`addr add ${ip}/32 dev br0`);
  };

  // The upstream: wherever the nodes' resolv.conf points (nodes reach it through the fabric).
  const nodeFile = parseResolvConf(cluster.resolvConf.content);
  const nodeIps = new Set(plan.nodes.map((n) => n.ip));
  const upstreamIps: string[] = [];
  for (const ns of nodeFile.nameservers) {
    if (!isIPv4(ns)) notes.push(`The nodes' resolv.conf names ${ns}, which is not IPv4; the lab runs no resolver there.`);
    else if (ns.startsWith('127.')) notes.push(`The nodes' resolv.conf names ${ns}, a resolver on each node's loopback; the lab runs none there, so external names do not resolve in the lab.`);
    else if (nodeIps.has(ns)) notes.push(`The nodes' resolv.conf names ${ns}, which is a node's own address; the lab runs no resolver there.`);
    else if (!upstreamIps.includes(ns)) upstreamIps.push(ns);
  }
  if (nodeFile.nameservers.length === 0) notes.push('The nodes\' resolv.conf names no nameserver, so the lab runs no upstream resolver.');
  // Resolvers outside the cluster that pods name themselves (dnsConfig, dnsPolicy None): the DNS
  // simulation takes them to exist and to know the outside world, so the lab's upstream answers
  // there too.
  for (const p of sims.running()) {
    for (const e of sims.dns(p.view)?.conf.nameservers ?? []) {
      const ip = e.value;
      if (isIPv4(ip) && !ip.startsWith('127.') && !nodeIps.has(ip) && serverKindOf(ip, cluster) === 'other' && !upstreamIps.includes(ip)) upstreamIps.push(ip);
    }
  }
  const servers: LabDnsServer[] = [];
  if (upstreamIps.length > 0) {
    upstreamIps.forEach(addAddress);
    servers.push({ name: 'dns-upstream', role: 'upstream', ns: plan.fabric.ns, listen: upstreamIps, port: 53, ...upstreamDnsmasqConfig() });
  }

  // Cluster DNS.
  const placed = placeClusterDns(plan, model, sims);
  notes.push(...placed.notes);
  const icmpNamespaces: string[] = [];
  if (placed.mode === 'fabric' || placed.mode === 'pods') {
    const cfg = clusterDnsmasqConfig(records, upstreamIps);
    notes.push(...cfg.notes);
    if (placed.mode === 'fabric') {
      addAddress(placed.ip!);
      icmpNamespaces.push(plan.fabric.ns);
      servers.push({ name: 'dns-cluster', role: 'cluster', ns: plan.fabric.ns, listen: [placed.ip!], port: 53, hosts: cfg.hosts, conf: cfg.conf });
    } else {
      placed.endpoints.forEach((e, i) => {
        if (!icmpNamespaces.includes(e.ns)) icmpNamespaces.push(e.ns);
        servers.push({ name: `dns-cluster-${i + 1}`, role: 'cluster', ns: e.ns, listen: [e.ip], port: e.port, hosts: cfg.hosts, conf: cfg.conf, pod: e.pod.name });
      });
    }
  }
  // Nothing routes pod addresses in the fabric (no masquerade on the nodes), so answers from the
  // resolvers' addresses to pods take a table of their own: only those, never the rest of the
  // fabric (the "outside" client must still not reach pod IPs).
  const dnsSources = [...upstreamIps, ...(placed.mode === 'fabric' ? [placed.ip!] : [])];
  const podRoutes = plan.nodes.filter((n) => n.podCIDR !== undefined).map((n) => `route add ${n.podCIDR} via ${n.ip} table ${DNS_ROUTE_TABLE}`);
  if (dnsSources.length > 0 && podRoutes.length > 0) {
    fabricLines.push(...dnsSources.map((ip, i) => `rule add from ${ip} lookup ${DNS_ROUTE_TABLE} priority ${1000 + i}`), ...podRoutes);
  }

  // resolv.conf per namespace: the kubelet's file for each pod, the node's own file for node namespaces.
  const running = new Map(sims.running().map((p) => [p.name, p]));
  const resolvConfs: LabResolvConf[] = [];
  for (const n of plan.nodes) resolvConfs.push({ ns: n.ns, owner: `node ${n.node}`, content: cluster.resolvConf.content });
  const podConf = (p: RunningPod): string | undefined => {
    const d = sims.dns(p.view);
    if (!d) notes.push(`${p.name} has dnsPolicy ${String(p.view.dnsPolicy)}, which Kubernetes does not know, so the lab writes no resolv.conf for it.`);
    return d ? renderResolvConf(d.conf) : undefined;
  };
  for (const lp of plan.pods) {
    const p = running.get(lp.pod);
    const content = p ? podConf(p) : undefined;
    if (content !== undefined) resolvConfs.push({ ns: lp.ns, owner: lp.pod, content });
  }
  // hostNetwork pods share the node's namespace; an alias of it carries each pod's own resolv.conf.
  const aliases: LabDnsAlias[] = [];
  const taken = new Set(plan.namespaces);
  for (const n of plan.nodes) {
    n.hostNetworkPods.forEach((name, i) => {
      const p = running.get(name);
      const alias = `${n.ns}-h${i + 1}`;
      if (!LAB_NS_RE.test(alias) || taken.has(alias)) {
        notes.push(`The name ${alias} for ${name}'s view of node ${n.node} is taken or not a lab name, so the lab does not probe that pod's DNS.`);
        return;
      }
      const content = p ? podConf(p) : undefined;
      if (content === undefined) return;
      taken.add(alias);
      aliases.push({ alias, node: n.node, nodeNs: n.ns, pod: name });
      resolvConfs.push({ ns: alias, owner: name, content });
    });
  }

  // Predictions. The lab's outside world is exactly the upstream's names.
  const scenario: ResolveScenario = { clusterDNS: placed.mode === 'rejected' ? 'down' : 'up' };
  // The lab stops cluster DNS by killing dnsmasq: its address stays, so the kernel answers ICMP
  // port unreachable and glibc gets ECONNREFUSED at once. hostnet's 'down' models kube-proxy
  // rejecting a Service without ready endpoints (KP-10): a different sender of the same ICMP
  // error, so the resolver sees the same thing. Neither 'unresponsive' (timeouts) fits better.
  const outageScenario: ResolveScenario = { clusterDNS: 'down' };
  const upstreamKnows = new Set(Object.keys(UPSTREAM_NAMES));
  const env = (s: ResolveScenario): ResolveEnv => ({ cluster, records, scenario: s, externalExists: (q) => upstreamIps.length > 0 && upstreamKnows.has(q) });
  const served = new Set(servers.filter((s) => s.role === 'cluster').flatMap((s) => s.conf.filter((l) => l.startsWith('cname=')).map((l) => l.slice(6).split(',')[0]!)));
  const zone = records.zone;
  const services = sims.services()
    .filter((s) => s.type !== 'ExternalName' || served.has(`${s.name}.${s.namespace}.svc.${zone}`.toLowerCase()))
    .slice()
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  if (services.length > MAX_PROBED_SERVICES) notes.push(`The DNS probes ask the names of ${MAX_PROBED_SERVICES} of the ${services.length} Services.`);
  const probed = services.slice(0, MAX_PROBED_SERVICES);
  if (probed.length === 0 && zone !== '') notes.push('The manifests have no Service, so the DNS probes ask for kubernetes.default, the Service every cluster has.');
  const namesFor = (namespace: string): { name: string; kind: DnsNameKind }[] => {
    const out: { name: string; kind: DnsNameKind }[] = [];
    const list = probed.length > 0 ? probed.map((s) => ({ name: s.name.toLowerCase(), namespace: s.namespace.toLowerCase() })) : zone !== '' ? [{ name: 'kubernetes', namespace: 'default' }] : [];
    for (const s of list) {
      if (s.namespace === namespace.toLowerCase()) out.push({ name: s.name, kind: 'cluster' });
      out.push({ name: `${s.name}.${s.namespace}`, kind: 'cluster' });
      if (zone !== '') out.push({ name: `${s.name}.${s.namespace}.svc.${zone}`, kind: 'cluster' });
    }
    out.push({ name: EXTERNAL_PROBE_NAME, kind: 'external' }, { name: MISSING_PROBE_NAME, kind: 'missing' });
    return out;
  };

  interface Prober { pod: RunningPod; ns: string; dns: PodDns }
  const probers: Prober[] = [];
  const dnsPodNames = new Set(clusterDnsPods(plan, model, sims));
  const podNs = new Map(plan.pods.map((p) => [p.pod, p.ns]));
  const seenView = new Set<unknown>();
  for (const p of sims.running()) {
    if (p.hostNetwork || seenView.has(p.view) || !podNs.has(p.name)) continue;
    const dns = sims.dns(p.view);
    if (!dns) continue;
    seenView.add(p.view);
    // A pod asking the Service that DNATs back to itself is a hairpin (lab README §4), not a DNS question.
    if (dnsPodNames.has(p.name)) {
      notes.push(`${p.name} runs cluster DNS itself, so the DNS probes do not ask from it.`);
      continue;
    }
    probers.push({ pod: p, ns: podNs.get(p.name)!, dns });
  }
  for (const a of aliases) {
    const p = running.get(a.pod)!;
    probers.push({ pod: p, ns: a.alias, dns: sims.dns(p.view)! });
  }
  const probes: DnsProbeCase[] = probers.flatMap(({ pod, ns, dns }) => namesFor(pod.view.namespace).map(({ name, kind }) => ({
    pod: pod.name, ns, from: podLabel(pod, dns), name, kind,
    predicted: resolveName(name, dns.conf, env(scenario)), dig: kind === 'cluster',
  })));

  // Seed 001: cluster DNS stops; a pod with its own namespace loses every name, the node debug pod
  // (hostNetwork, node's resolv.conf) keeps resolving external names.
  const outage: DnsProbeCase[] = [];
  if (servers.some((s) => s.role === 'cluster')) {
    const clusterName = probed[0] ? `${probed[0].name}.${probed[0].namespace}`.toLowerCase() : 'kubernetes.default';
    const fqdn = zone !== '' ? `${clusterName}.svc.${zone}` : clusterName;
    const inPod = probers.find((x) => !x.pod.hostNetwork && x.dns.type === 'Cluster');
    const onNode = probers.find((x) => x.pod.hostNetwork && x.dns.type === 'Host');
    const cases: [Prober | undefined, string, DnsNameKind][] = [
      [inPod, clusterName, 'cluster'], [inPod, EXTERNAL_PROBE_NAME, 'external'],
      [onNode, EXTERNAL_PROBE_NAME, 'external'], [onNode, fqdn, 'cluster'],
    ];
    for (const [x, name, kind] of cases) {
      if (!x) continue;
      outage.push({ pod: x.pod.name, ns: x.ns, from: podLabel(x.pod, x.dns), name, kind, predicted: resolveName(name, x.dns.conf, env(outageScenario)), dig: false });
    }
    if (!inPod) notes.push('No pod with its own namespace uses cluster DNS, so the outage probe has no pod that should lose its names.');
    if (!onNode) notes.push('No hostNetwork pod uses the node\'s resolv.conf, so the outage probe has no pod that should keep resolving.');
  }

  return {
    labId: plan.labId, fabricNs: plan.fabric.ns, fabricLines, servers, clusterDnsMode: placed.mode,
    ...(placed.ip !== undefined ? { clusterDnsIp: placed.ip } : {}),
    icmpNamespaces, resolvConfs, aliases, scenario, probes, outage, outageScenario, notes,
  };
}

/** What one lookup tool saw. `status` is the exit code (null: it was killed at its time limit). */
export interface DnsObservation {
  readonly tool: 'getent' | 'dig';
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

const IPV4_LINE = /^(\d{1,3}(?:\.\d{1,3}){3})\b/;

/** Distinct IPv4 addresses at the start of the lines (`getent ahostsv4`, `dig +short`). */
export function addressesOf(stdout: string): string[] {
  const out: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = IPV4_LINE.exec(line.trim());
    if (m && isIPv4(m[1]!) && !out.includes(m[1]!)) out.push(m[1]!);
  }
  return out.sort();
}

export function toolCommand(tool: DnsObservation['tool'], name: string): string[] {
  return tool === 'getent' ? ['getent', 'ahostsv4', name] : ['dig', '+search', '+short', '+time=2', '+tries=1', name];
}

/**
 * The distinct A addresses of a prediction: an RRset holds each record once (RFC 2181 §5), while
 * the simulation may list one twice (kube-dns from the manifests and as the built-in Service).
 */
const predictedA = (r: Resolution): string[] => [...new Set(r.answers.filter((a) => a.type === 'A').map((a) => a.value))].sort();

function predictedWords(c: DnsProbeCase, outage: boolean): string {
  const r = c.predicted;
  if (r.resolved) {
    if (c.kind === 'cluster') return `resolves to ${predictedA(r).join(', ')}`;
    return 'resolves (an address outside the cluster)';
  }
  const last = r.steps.at(-1);
  if (!last || last.outcome === 'nxdomain') return 'does not resolve (NXDOMAIN)';
  const how = last.outcome === 'timeout' ? `times out after ${r.waitedSeconds} s` : last.outcome === 'refused' ? 'refused at once' : 'SERVFAIL';
  return `fails (${how})${outage && r.waitedSeconds === 0 ? ', in under a second' : ''}`;
}

/**
 * A probe row from a prediction and an observation. Cluster names must resolve to exactly the
 * predicted A records; an external name only has to resolve (hostnet cannot know outside
 * addresses). During the outage a fast prediction (no waiting) must also be fast in the kernel:
 * that is the part of seed 001 that glibc's 5 s retry can get wrong.
 */
export function dnsRow(c: DnsProbeCase, obs: DnsObservation, options: { outage?: boolean; why?: string } = {}): ProbeRow {
  const outage = options.outage ?? false;
  const addrs = addressesOf(obs.stdout);
  const resolved = obs.status === 0 && addrs.length > 0;
  const time = outage ? `, ${Math.round(obs.ms)} ms` : '';
  let observed: string;
  if (resolved) observed = c.kind === 'cluster' ? `resolves to ${addrs.join(', ')}${time}` : `resolves (an address outside the cluster: ${addrs.join(', ')})${time}`;
  else if (obs.status === null) observed = `no answer: ${obs.tool} was stopped after ${Math.round(obs.ms)} ms`;
  else {
    const err = (obs.stderr.trim() || obs.stdout.trim()).split('\n')[0] ?? '';
    observed = `does not resolve (${obs.tool} exit ${obs.status}${err ? `: ${err}` : ''}${time})`;
  }
  const expectA = predictedA(c.predicted);
  let agree = resolved === c.predicted.resolved;
  if (agree && resolved && c.kind === 'cluster') agree = expectA.join(',') === addrs.join(',');
  const fastLimitMs = c.predicted.waitedSeconds * 1000 + 1000;
  if (agree && outage && !resolved && obs.ms > fastLimitMs) {
    agree = false;
    observed += ` (hostnet predicts the failure within ${fastLimitMs / 1000} s)`;
  }
  const cmd = toolCommand(obs.tool, c.name).filter((w) => !w.startsWith('+time') && !w.startsWith('+tries')).join(' ');
  const why = [c.predicted.summary, options.why].filter((x) => x !== undefined && x !== '').join(' ');
  return {
    group: outage ? 'DNS outage' : 'DNS', subject: cmd, from: c.from,
    predicted: predictedWords(c, outage), observed, agree, ...(why ? { why } : {}),
  };
}
