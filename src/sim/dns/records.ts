/**
 * What the cluster DNS server answers, built from the Services in the manifests and the placement
 * (CDNS-*): ClusterIP Services (A, SRV for named ports), headless Services (one A per ready
 * endpoint, per-endpoint names, SRV), ExternalName (CNAME), pods with hostname and subdomain, and
 * hostNetwork pods whose endpoints are node IPs (CDNS-10). Pod IPs and unwritten clusterIPs are
 * stand-ins (addresses.ts), shared with the dataplane through sim/services (service-view.ts,
 * running-pods.ts, endpoints.ts) so both see the same addresses and endpoint ports.
 * Ref: kubernetes/dns docs/specification.md; coredns/coredns plugin/kubernetes.
 */
import type { Cluster } from '../../model/cluster.js';
import { isRecord } from '../../model/pod-view.js';
import type { KubeObject } from '../../model/types.js';
import type { Placement } from '../schedule/place.js';
import { findPort, serviceEndpoints } from '../services/endpoints.js';
import { runningPods } from '../services/running-pods.js';
import { serviceViewsOf } from '../services/service-view.js';
import { formatIPv4, inCIDR, parseCIDR, parseIPv4 } from './addresses.js';

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

  // Every cluster has these two Services: the API server's (first address of the range) and cluster DNS.
  // The Services and their endpoints as the dataplane sees them (sim/services): the same clusterIPs,
  // the same pod IPs (node IPs for hostNetwork pods, CDNS-10) and the same endpoint ports.
  const views = serviceViewsOf(objects, cluster);
  // The two Services every cluster has, unless the manifests bring them (then their own records count, once).
  const brought = (namespace: string, name: string): boolean => views.some((v) => v.namespace === namespace && v.object.name === name);
  const range = cluster.serviceCIDRs.map(parseCIDR).find((x) => x !== undefined);
  if (range && zone !== '' && !brought('default', 'kubernetes')) {
    const apiIP = formatIPv4(range.base + 1);
    add({ name: `kubernetes.default.svc.${zone}`, type: 'A', value: apiIP, from: 'Service default/kubernetes (every cluster has it)', standIn: false });
  }
  // With a NodeLocal DNSCache the kubelet's clusterDNS is the cache's link-local address, not the Service's.
  if (cluster.clusterDNS[0] && zone !== '' && cluster.serviceCIDRs.some((c) => inCIDR(cluster.clusterDNS[0]!, c)) && !brought('kube-system', 'kube-dns')) {
    add({ name: `kube-dns.kube-system.svc.${zone}`, type: 'A', value: cluster.clusterDNS[0], from: 'Service kube-system/kube-dns (cluster DNS)', standIn: false });
  }
  const endpoints = serviceEndpoints(views, runningPods(placement, cluster));
  views.forEach((view, i) => {
    const o = view.object;
    const spec = view.spec ?? {};
    const ns = view.namespace.toLowerCase();
    const svc = o.name.toLowerCase();
    const fqdn = `${svc}.${ns}.svc.${zone}`;
    const from = `Service ${ns}/${o.name}`;
    const ports = Array.isArray(spec.ports) ? spec.ports.filter(isRecord) : [];
    const named = ports.filter((p) => typeof p.name === 'string' && p.name !== '');
    if (view.type === 'ExternalName') {
      if (typeof spec.externalName === 'string') add({ name: fqdn, type: 'CNAME', value: lower(spec.externalName), from, standIn: false });
      return;
    }
    if (view.headless) {
      // CDNS-3: one A per ready endpoint (NXDOMAIN when none), per-endpoint names, SRV per endpoint.
      const { selected } = endpoints[i]!;
      for (const p of selected) {
        const label = p.hostname && p.subdomain === o.name ? p.hostname.toLowerCase() : endpointLabel(p.ip);
        add({ name: fqdn, type: 'A', value: p.ip, from: `${from} endpoint ${p.name}`, standIn: true });
        add({ name: `${label}.${fqdn}`, type: 'A', value: p.ip, from: `${from} endpoint ${p.name}`, standIn: true });
        for (const raw of named) {
          // The endpoint's port: what the EndpointSlice controller resolves on this pod (FindPort).
          const port = view.ports.find((x) => x.raw === raw);
          const n = port ? findPort(p.view, port) : undefined;
          if (port === undefined || n === undefined) continue;
          add({ name: `_${port.name.toLowerCase()}._${port.protocol.toLowerCase()}.${fqdn}`, type: 'SRV', value: `${label}.${fqdn}`, port: n, from, standIn: false });
        }
      }
      return;
    }
    const ip = view.clusterIP;
    if (!ip) return;
    add({ name: fqdn, type: ip.includes(':') ? 'AAAA' : 'A', value: ip, from, standIn: view.clusterIPStandIn });
    // CDNS-2: SRV for each named port, with the Service port.
    for (const p of named) {
      if (typeof p.port !== 'number') continue;
      const proto = (typeof p.protocol === 'string' ? p.protocol : 'TCP').toLowerCase();
      add({ name: `_${String(p.name).toLowerCase()}._${proto}.${fqdn}`, type: 'SRV', value: fqdn, port: p.port, from, standIn: false });
    }
  });

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
