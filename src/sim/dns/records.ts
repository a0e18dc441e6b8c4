/**
 * What the cluster DNS server answers, built from the Services in the manifests and the placement
 * (CDNS-*): ClusterIP Services (A, SRV for named ports), headless Services (one A per ready
 * endpoint, per-endpoint names, SRV), ExternalName (CNAME), pods with hostname and subdomain, and
 * hostNetwork pods whose endpoints are node IPs (CDNS-10). Pod IPs and unwritten clusterIPs are
 * stand-ins (addresses.ts). Ref: kubernetes/dns docs/specification.md; coredns/coredns
 * plugin/kubernetes.
 */
import type { Cluster } from '../../model/cluster.js';
import { isRecord } from '../../model/pod-view.js';
import type { KubeObject } from '../../model/types.js';
import { stringMap } from '../schedule/sched-pod.js';
import type { Placement } from '../schedule/place.js';
import { formatIPv4, inCIDR, parseCIDR, parseIPv4, standInClusterIP } from './addresses.js';

export type RecordType = 'A' | 'AAAA' | 'CNAME' | 'SRV' | 'TXT';

export interface DnsRecord {
  /** Lower-case, fully qualified, without the trailing dot. */
  readonly name: string;
  readonly type: RecordType;
  /** Address, CNAME target, SRV target, or TXT text. */
  readonly value: string;
  readonly port?: number;
  /** `Service cache/redis`, `Pod web/db-0`. */
  readonly from: string;
  /** True when the address is hostnet's stand-in for one the cluster allocates at creation. */
  readonly standIn: boolean;
}

export interface ClusterRecords {
  readonly zone: string;
  lookup(name: string, type?: RecordType): DnsRecord[];
  /** Whether a name lies inside the cluster zone (the server answers NXDOMAIN there, never forwards). */
  inZone(name: string): boolean;
  /** Namespaces that hold a Service in the manifests: `x.<ns>` names look like Service names there. */
  readonly serviceNamespaces: ReadonlySet<string>;
  all(): readonly DnsRecord[];
}

const lower = (s: string): string => s.toLowerCase().replace(/\.+$/, '');

/** Stand-in pod IPs: the next address of each node's podCIDR, in placement order. */
function podIPAllocator(cluster: Cluster): (node: string) => string | undefined {
  const next = new Map<string, number>();
  return (nodeName) => {
    const node = cluster.nodes.find((n) => n.name === nodeName);
    const c = node?.podCIDR ? parseCIDR(node.podCIDR) : undefined;
    if (!c) return undefined;
    const i = (next.get(nodeName) ?? 2);
    next.set(nodeName, i + 1);
    return i < c.size - 1 ? formatIPv4(c.base + i) : undefined;
  };
}

/** CDNS-4: CoreDNS's name for an endpoint without a hostname: the IP with dashes. */
export function endpointLabel(ip: string): string {
  if (ip.includes(':')) {
    const d = ip.replace(/:/g, '-');
    return d.endsWith('-') ? `${d}0` : d;
  }
  return ip.replace(/\./g, '-');
}

export function clusterRecords(objects: readonly KubeObject[], placement: Placement, cluster: Cluster): ClusterRecords {
  const zone = lower(cluster.clusterDomain);
  const records: DnsRecord[] = [];
  const add = (r: DnsRecord): void => {
    records.push(r);
  };
  add({ name: `dns-version.${zone}`, type: 'TXT', value: '1.1.0', from: 'the DNS specification (CDNS-1)', standIn: false });

  // Where each workload's pods run, with a stand-in IP (node IP for hostNetwork, CDNS-10).
  const allocate = podIPAllocator(cluster);
  const nodeIP = (name: string): string | undefined => cluster.nodes.find((n) => n.name === name)?.addresses.find((a) => a.type === 'InternalIP')?.address;
  interface RunningPod {
    readonly namespace: string; readonly labels: Record<string, string>; readonly ip: string; readonly hostname?: string; readonly subdomain?: string; readonly from: string;
    /** Named container ports, `name/PROTOCOL` → number: a Service's named targetPort resolves per pod (EPS). */
    readonly namedPorts: ReadonlyMap<string, number>;
  }
  const running: RunningPod[] = [];
  for (const w of placement.workloads) {
    const spec = w.view.spec;
    const labels = stringMap(w.view.podMetadata.labels);
    const namedPorts = new Map<string, number>();
    for (const c of w.view.containers) {
      if (c.kind === 'ephemeralContainer') continue;
      for (const port of c.ports) {
        if (typeof port.name === 'string' && typeof port.containerPort === 'number') namedPorts.set(`${port.name}/${String(port.protocol)}`, port.containerPort);
      }
    }
    for (const p of w.pods) {
      if (p.phase !== 'Scheduled' || p.node === undefined) continue;
      const ip = w.view.hostNetwork ? nodeIP(p.node) : allocate(p.node);
      if (!ip) continue;
      // A StatefulSet pod's hostname is its ordinal name; others only what the spec writes.
      const hostname = w.view.kind === 'StatefulSet' ? `${w.view.object.name}-${p.pod.ordinal}` : typeof spec.hostname === 'string' ? spec.hostname : undefined;
      const subdomain = w.view.kind === 'StatefulSet' && isRecord(w.view.object.raw.spec) && typeof w.view.object.raw.spec.serviceName === 'string'
        ? w.view.object.raw.spec.serviceName : typeof spec.subdomain === 'string' ? spec.subdomain : undefined;
      running.push({ namespace: w.view.namespace, labels, ip, ...(hostname ? { hostname } : {}), ...(subdomain ? { subdomain } : {}), from: p.pod.name, namedPorts });
    }
  }

  const taken = new Set<string>();
  // Every cluster has these two Services: the API server's (first address of the range) and cluster DNS.
  const range = cluster.serviceCIDRs.map(parseCIDR).find((x) => x !== undefined);
  if (range && zone !== '') {
    const apiIP = formatIPv4(range.base + 1);
    taken.add(apiIP);
    add({ name: `kubernetes.default.svc.${zone}`, type: 'A', value: apiIP, from: 'Service default/kubernetes (every cluster has it)', standIn: false });
  }
  // With a NodeLocal DNSCache the kubelet's clusterDNS is the cache's link-local address, not the Service's.
  if (cluster.clusterDNS[0] && zone !== '' && cluster.serviceCIDRs.some((c) => inCIDR(cluster.clusterDNS[0]!, c))) {
    taken.add(cluster.clusterDNS[0]);
    add({ name: `kube-dns.kube-system.svc.${zone}`, type: 'A', value: cluster.clusterDNS[0], from: 'Service kube-system/kube-dns (cluster DNS)', standIn: false });
  }
  for (const o of objects) {
    if (o.kind !== 'Service' || o.apiVersion !== 'v1') continue;
    const spec = isRecord(o.raw.spec) ? o.raw.spec : {};
    const ns = (o.namespace ?? 'default').toLowerCase();
    const svc = o.name.toLowerCase();
    const fqdn = `${svc}.${ns}.svc.${zone}`;
    const from = `Service ${ns}/${o.name}`;
    const ports = Array.isArray(spec.ports) ? spec.ports.filter(isRecord) : [];
    const named = ports.filter((p) => typeof p.name === 'string' && p.name !== '');
    const srv = (target: string, portOf: (p: Record<string, unknown>) => number | undefined): void => {
      for (const p of named) {
        const port = portOf(p);
        if (port === undefined) continue;
        const proto = (typeof p.protocol === 'string' ? p.protocol : 'TCP').toLowerCase();
        add({ name: `_${String(p.name).toLowerCase()}._${proto}.${fqdn}`, type: 'SRV', value: target, port, from, standIn: false });
      }
    };
    if (spec.type === 'ExternalName') {
      if (typeof spec.externalName === 'string') add({ name: fqdn, type: 'CNAME', value: lower(spec.externalName), from, standIn: false });
      continue;
    }
    const selector = isRecord(spec.selector) ? stringMap(spec.selector) : undefined;
    const selected = selector && Object.keys(selector).length > 0
      ? running.filter((p) => p.namespace === ns && Object.entries(selector).every(([k, v]) => p.labels[k] === v)) : [];
    if (spec.clusterIP === 'None') {
      // CDNS-3: one A per ready endpoint (NXDOMAIN when none), per-endpoint names, SRV per endpoint.
      for (const p of selected) {
        const label = p.hostname && p.subdomain === o.name ? p.hostname.toLowerCase() : endpointLabel(p.ip);
        add({ name: fqdn, type: 'A', value: p.ip, from: `${from} endpoint ${p.from}`, standIn: true });
        add({ name: `${label}.${fqdn}`, type: 'A', value: p.ip, from: `${from} endpoint ${p.from}`, standIn: true });
        for (const port of named) {
          const protocol = typeof port.protocol === 'string' ? port.protocol : 'TCP';
          // The endpoint's port: a number, a container port name looked up on this pod, or the Service port.
          const n = typeof port.targetPort === 'number' ? port.targetPort
            : typeof port.targetPort === 'string' ? p.namedPorts.get(`${port.targetPort}/${protocol}`)
              : typeof port.port === 'number' ? port.port : undefined;
          if (n === undefined) continue;
          const proto = protocol.toLowerCase();
          add({ name: `_${String(port.name).toLowerCase()}._${proto}.${fqdn}`, type: 'SRV', value: `${label}.${fqdn}`, port: n, from, standIn: false });
        }
      }
      continue;
    }
    const written = typeof spec.clusterIP === 'string' && (parseIPv4(spec.clusterIP) !== undefined || /^[0-9a-f:]+$/i.test(spec.clusterIP) && spec.clusterIP.includes(':'))
      ? spec.clusterIP : undefined;
    if (written) taken.add(written);
    const ip = written ?? standInClusterIP(ns, o.name, cluster.serviceCIDRs, taken);
    if (!ip) continue;
    add({ name: fqdn, type: ip.includes(':') ? 'AAAA' : 'A', value: ip, from, standIn: written === undefined });
    srv(fqdn, (p) => (typeof p.port === 'number' ? p.port : undefined));
  }

  const index = new Map<string, DnsRecord[]>();
  for (const r of records) {
    let list = index.get(r.name);
    if (!list) index.set(r.name, (list = []));
    list.push(r);
  }
  // CDNS-6: kubeadm's Corefile has `pods insecure`: any well-formed a-b-c-d.<ns>.pod.<zone> answers its IP.
  const podName = new RegExp(`^(\\d{1,3}-\\d{1,3}-\\d{1,3}-\\d{1,3})\\.[a-z0-9-]+\\.pod\\.${zone.replace(/\./g, '\\.')}$`);
  const podRecord = (name: string): DnsRecord[] => {
    const m = podName.exec(name);
    const ip = m ? m[1]!.replace(/-/g, '.') : undefined;
    return ip && parseIPv4(ip) !== undefined ? [{ name, type: 'A', value: ip, from: 'CoreDNS `pods insecure` (CDNS-6)', standIn: false }] : [];
  };
  const serviceNamespaces = new Set(objects.filter((o) => o.kind === 'Service').map((o) => (o.namespace ?? 'default').toLowerCase()));
  serviceNamespaces.add('default');
  serviceNamespaces.add('kube-system');
  return {
    zone,
    serviceNamespaces,
    lookup: (name, type) => {
      const n = lower(name);
      const hit = index.get(n) ?? (zone === '' ? [] : podRecord(n));
      return hit.filter((r) => type === undefined || r.type === type);
    },
    inZone: (name) => {
      const n = lower(name);
      return zone !== '' && (n === zone || n.endsWith(`.${zone}`));
    },
    all: () => records,
  };
}
