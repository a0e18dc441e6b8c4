/**
 * The kubelet's pod resolv.conf, step by step as pkg/kubelet/network/dns/dns.go builds it:
 * parse the node's file (KDNS-2), pick the effective type (KDNS-3, KDNS-5), build the base
 * (KDNS-4, KDNS-6, KDNS-7), merge dnsConfig (KDNS-8), apply the limits with the kubelet's own
 * events (KDNS-9), and render it as the runtime writes it (KDNS-11). Every entry remembers where
 * it came from, which is what `hostnet dns` prints beside each line. Pure: no I/O, no throwing
 * for over-limit input.
 */
import { isRecord } from '../../model/pod-view.js';

export type DnsType = 'Cluster' | 'Host' | 'None';

/** Where one entry of the pod's resolv.conf comes from. */
export type Origin = 'clusterDNS' | 'cluster-domain' | 'node' | 'dnsConfig' | 'kubelet-default';

export interface Entry {
  readonly value: string;
  readonly origin: Origin;
}

export interface ResolvConf {
  readonly nameservers: readonly Entry[];
  readonly searches: readonly Entry[];
  /** `ndots:5`, `edns0`: as rendered. */
  readonly options: readonly Entry[];
}

export interface DnsEvent {
  readonly type: 'Warning';
  readonly reason: 'DNSConfigForming' | 'MissingClusterDNS';
  /** The object the kubelet records it on. */
  readonly on: 'Pod' | 'Node';
  readonly message: string;
}

export interface ParsedResolvConf {
  readonly nameservers: string[];
  readonly searches: string[];
  readonly options: string[];
  /** Parse errors fail the pod's sandbox creation (KDNS-2). */
  readonly errors: string[];
}

/** The kubelet reads at most this much of the node's file. */
const MAX_RESOLV_CONF_LENGTH = 10 * 1024 * 1024;

/** Options by name, later ones replacing earlier ones (appendOptions / mergeDNSOptions). */
function mergeOptionsByName(target: Map<string, string>, options: readonly string[]): void {
  for (const o of options) target.set(o.split(':')[0]!, o);
}

/**
 * KDNS-2, as current upstream parses it: `nameserver` lines accumulate (a bare one is an error);
 * the last `search` line wins, with `.` entries dropped and one trailing dot removed; `options`
 * accumulate across lines, a later option replacing an earlier one of the same name.
 * Ref: dns.go#parseResolvConf, #appendOptions.
 */
export function parseResolvConf(text: string): ParsedResolvConf {
  const nameservers: string[] = [];
  let searches: string[] = [];
  const options = new Map<string, string>();
  const errors: string[] = [];
  // utilio.ReadAtMost fails at the limit: the kubelet then cannot build any pod's DNS (KDNS-2).
  if (Buffer.byteLength(text, 'utf8') >= MAX_RESOLV_CONF_LENGTH) errors.push('the read limit is reached');
  for (const line of text.slice(0, MAX_RESOLV_CONF_LENGTH).split('\n')) {
    const trimmed = line.trim();
    if (trimmed.startsWith('#')) continue;
    const fields = trimmed.split(/\s+/).filter((f) => f !== '');
    if (fields.length === 0) continue;
    if (fields[0] === 'nameserver') {
      if (fields.length >= 2) nameservers.push(fields[1]!);
      else errors.push('nameserver list is empty');
    }
    if (fields[0] === 'search') {
      searches = fields.slice(1).filter((s) => s !== '.').map((s) => s.replace(/\.$/, ''));
    }
    if (fields[0] === 'options') mergeOptionsByName(options, fields.slice(1));
  }
  return { nameservers, searches, options: [...options.values()], errors };
}

/** Every pod on a node reads the same file: parse it once per content (callers must not mutate the result). */
let lastNodeFile: { text: string; parsed: ParsedResolvConf } | undefined;
export function parsedNodeFile(text: string): ParsedResolvConf {
  if (lastNodeFile?.text !== text) lastNodeFile = { text, parsed: parseResolvConf(text) };
  return lastNodeFile.parsed;
}

/** KDNS-3: the type a policy asks for; undefined for a value the API server rejects (VAL-14). */
export function podDnsType(dnsPolicy: unknown, hostNetwork: boolean): DnsType | undefined {
  switch (dnsPolicy) {
    case 'ClusterFirstWithHostNet': return 'Cluster';
    case 'ClusterFirst': case undefined: case null: case '': return hostNetwork ? 'Host' : 'Cluster';
    case 'Default': return 'Host';
    case 'None': return 'None';
    default: return undefined;
  }
}

export interface KubeletDns {
  readonly clusterDNS: readonly string[];
  readonly clusterDomain: string;
  /** The kubelet's `resolvConf` path ('' disables the file) and the file's content on the node. */
  readonly resolvConf: { readonly path: string; readonly content: string };
  readonly nodeIPs: readonly string[];
  /** ExpandedDNSConfig: 32 searches / 2048 characters; off (≤ v1.25 default) 6 / 256. */
  readonly expandedDNSConfig: boolean;
}

export interface PodDnsInput {
  readonly namespace: string;
  readonly dnsPolicy: unknown;
  readonly hostNetwork: boolean;
  /** `spec.dnsConfig` as written. */
  readonly dnsConfig?: unknown;
}

export interface PodDns {
  /** The type the policy asks for (KDNS-3). */
  readonly requested: DnsType;
  /** The type the kubelet uses: Cluster falls back to Host without clusterDNS (KDNS-5). */
  readonly type: DnsType;
  readonly conf: ResolvConf;
  readonly events: readonly DnsEvent[];
  /** Reading the node's file failed: the kubelet cannot create the pod's sandbox (KDNS-2). */
  readonly nodeFileErrors: readonly string[];
}

const MAX_NAMESERVERS = 3;
const SUBDOMAIN_MAX_LENGTH = 253;

function dedupe(entries: readonly Entry[]): Entry[] {
  const seen = new Set<string>();
  const out: Entry[] = [];
  for (const e of entries) {
    if (seen.has(e.value)) continue;
    seen.add(e.value);
    out.push(e);
  }
  return out;
}

const entries = (values: readonly string[], origin: Origin): Entry[] => values.map((value) => ({ value, origin }));

function isIPv6(ip: string): boolean {
  return ip.includes(':');
}

/** KDNS-9: nameservers. Ref: dns.go#formDNSNameserversFitsLimits. */
function fitNameservers(list: Entry[], events: DnsEvent[]): Entry[] {
  if (list.length <= MAX_NAMESERVERS) return list;
  const kept = list.slice(0, MAX_NAMESERVERS);
  events.push({
    type: 'Warning', reason: 'DNSConfigForming', on: 'Pod',
    message: `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${kept.map((e) => e.value).join(' ')}`,
  });
  return kept;
}

/** KDNS-9: searches: count, then entries over 253 characters, then the line length. Ref: dns.go#formDNSSearchFitsLimits. */
function fitSearches(list: Entry[], expanded: boolean, events: DnsEvent[]): Entry[] {
  const maxPaths = expanded ? 32 : 6;
  const maxChars = expanded ? 2048 : 256;
  let exceeded = false;
  let out = list;
  if (out.length > maxPaths) {
    out = out.slice(0, maxPaths);
    exceeded = true;
  }
  const short = out.filter((e) => e.value.length <= SUBDOMAIN_MAX_LENGTH);
  if (short.length !== out.length) exceeded = true;
  out = short;
  const lineLength = out.map((e) => e.value).join(' ').length;
  if (lineLength > maxChars) {
    let cut = 0;
    let cutLength = 0;
    for (let i = out.length - 1; i >= 0; i--) {
      cutLength += out[i]!.value.length + 1;
      cut++;
      if (lineLength - cutLength <= maxChars) break;
    }
    out = out.slice(0, out.length - cut);
    exceeded = true;
  }
  if (exceeded) {
    events.push({
      type: 'Warning', reason: 'DNSConfigForming', on: 'Pod',
      message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${out.map((e) => e.value).join(' ')}`,
    });
  }
  return out;
}

/** KDNS-8: options as a name → value map; dnsConfig replaces same-named base options. Ref: dns.go#mergeDNSOptions. */
function mergeOptions(base: readonly Entry[], extra: unknown): Entry[] {
  const byName = new Map<string, Entry>();
  for (const e of base) byName.set(e.value.split(':')[0]!, e);
  if (Array.isArray(extra)) {
    for (const o of extra) {
      if (!isRecord(o) || typeof o.name !== 'string') continue;
      const value = o.value === undefined || o.value === null ? '' : String(o.value);
      byName.set(o.name, { value: value === '' ? o.name : `${o.name}:${value}`, origin: 'dnsConfig' });
    }
  }
  // Upstream's order is Go map order (unspecified); hostnet keeps first-seen order so output is stable.
  return [...byName.values()];
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The kubelet's GetPodDNS for one pod. Ref: dns.go#GetPodDNS. */
export function podDns(pod: PodDnsInput, kubelet: KubeletDns): PodDns | undefined {
  const requested = podDnsType(pod.dnsPolicy, pod.hostNetwork);
  if (requested === undefined) return undefined;
  const events: DnsEvent[] = [];
  let type = requested;
  if (type === 'Cluster' && kubelet.clusterDNS.length === 0) {
    // KDNS-5: the kubelet falls back to the node's resolver and says so on the node and the pod.
    // Upstream names the ClusterFirst constant whichever Cluster policy the pod has.
    const nodeMessage = 'kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.';
    events.push({ type: 'Warning', reason: 'MissingClusterDNS', on: 'Node', message: nodeMessage });
    events.push({ type: 'Warning', reason: 'MissingClusterDNS', on: 'Pod', message: nodeMessage });
    type = 'Host';
  }

  const node = kubelet.resolvConf.path === '' ? { nameservers: [], searches: [], options: [], errors: [] } : parsedNodeFile(kubelet.resolvConf.content);
  let nameservers: Entry[] = [];
  let searches: Entry[] = [];
  let options: Entry[] = [];
  switch (type) {
    case 'Cluster': {
      nameservers = entries(kubelet.clusterDNS, 'clusterDNS');
      const domain = kubelet.clusterDomain;
      searches = domain === ''
        ? entries(node.searches, 'node')
        : dedupe([...entries([`${pod.namespace}.svc.${domain}`, `svc.${domain}`, domain], 'cluster-domain'), ...entries(node.searches, 'node')]);
      options = [{ value: 'ndots:5', origin: 'kubelet-default' }];
      break;
    }
    case 'Host':
      if (kubelet.resolvConf.path === '') {
        // KDNS-6: no node file: the local resolver of each node IP family, and a search of `.`.
        nameservers = entries(kubelet.nodeIPs.length === 0 ? ['127.0.0.1'] : kubelet.nodeIPs.map((ip) => (isIPv6(ip) ? '::1' : '127.0.0.1')), 'kubelet-default');
        searches = entries(['.'], 'kubelet-default');
      } else {
        nameservers = entries(node.nameservers, 'node');
        searches = entries(node.searches, 'node');
        options = entries(node.options, 'node');
      }
      break;
    case 'None':
      break;
  }
  if (isRecord(pod.dnsConfig)) {
    nameservers = dedupe([...nameservers, ...entries(strings(pod.dnsConfig.nameservers), 'dnsConfig')]);
    searches = dedupe([...searches, ...entries(strings(pod.dnsConfig.searches), 'dnsConfig')]);
    options = mergeOptions(options, pod.dnsConfig.options);
  }
  return {
    requested, type, events,
    conf: { nameservers: fitNameservers(nameservers, events), searches: fitSearches(searches, kubelet.expandedDNSConfig, events), options },
    // The node's file is read for every type, so a bad file fails every pod's sandbox.
    nodeFileErrors: node.errors,
  };
}

/** KDNS-11: search, then one nameserver line each, then options, as containerd and CRI-O write them. */
export function renderResolvConf(conf: ResolvConf): string {
  const lines: string[] = [];
  if (conf.searches.length > 0) lines.push(`search ${conf.searches.map((e) => e.value).join(' ')}`);
  for (const n of conf.nameservers) lines.push(`nameserver ${n.value}`);
  if (conf.options.length > 0) lines.push(`options ${conf.options.map((e) => e.value).join(' ')}`);
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
