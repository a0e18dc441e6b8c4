/**
 * Services as kube-proxy and cluster DNS read them: the manifest's Services after the API server's
 * defaulting (DEF-6), with stand-ins for what the API server allocates at creation (clusterIP,
 * nodePorts, healthCheckNodePort). Written values stay visible (`spec`, `raw`, `nodePortWritten`)
 * so rules can report the ones the API server rejects (VAL-20); the view itself never throws.
 * Ref: kubernetes/kubernetes pkg/apis/core/v1/defaults.go#SetDefaults_Service,
 * pkg/registry/core/service/storage/alloc.go#initNodePorts, #allocHealthCheckNodePort.
 */
import type { Cluster } from '../../model/cluster.js';
import { isRecord } from '../../model/pod-view.js';
import type { KubeObject } from '../../model/types.js';
import { fnv1a, formatIPv4, inCIDR, parseCIDR, parseIPv4, standInClusterIP } from '../dns/addresses.js';
import { stringMap } from '../schedule/sched-pod.js';
import type { ServicePortView, ServiceProtocol, ServiceType, ServiceView } from './types.js';

const SERVICE_TYPES: ReadonlySet<string> = new Set<ServiceType>(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']);
const PROTOCOLS: ReadonlySet<string> = new Set<ServiceProtocol>(['TCP', 'UDP', 'SCTP']);
/** v1.DefaultClientIPServiceAffinitySeconds. */
export const DEFAULT_AFFINITY_TIMEOUT = 10800;

/** Go treats "" and an absent field alike; YAML adds null. */
const unset = (v: unknown): boolean => v === undefined || v === null || v === '';

export function isPortNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
}

/** The Service types the API server knows; anything else (`Nodeport`) is rejected by validation. */
export function serviceTypeOf(spec: Readonly<Record<string, unknown>>): ServiceType | undefined {
  if (unset(spec.type)) return 'ClusterIP';
  return typeof spec.type === 'string' && SERVICE_TYPES.has(spec.type) ? (spec.type as ServiceType) : undefined;
}

/**
 * pkg/api/service/util.go#ExternallyAccessible: NodePort, LoadBalancer, or ClusterIP with
 * externalIPs. Only these may set externalTrafficPolicy (VAL-20).
 */
export function externallyAccessible(spec: Readonly<Record<string, unknown>>): boolean {
  const type = serviceTypeOf(spec);
  return type === 'NodePort' || type === 'LoadBalancer' || (type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
}

/** pkg/api/service/util.go#NeedsHealthCheck: LoadBalancer with externalTrafficPolicy Local. */
export function needsHealthCheck(spec: Readonly<Record<string, unknown>>): boolean {
  return serviceTypeOf(spec) === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
}

/**
 * alloc.go#shouldAllocateNodePorts: NodePort always, LoadBalancer unless
 * allocateLoadBalancerNodePorts is false. Written nodePorts of a LoadBalancer are reserved either way.
 */
export function allocatesNodePorts(spec: Readonly<Record<string, unknown>>): boolean {
  const type = serviceTypeOf(spec);
  return type === 'NodePort' || (type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false);
}

/** Whether the API server reserves nodePorts for this type at all (alloc.go#txnAllocNodePorts). */
function hasNodePorts(type: ServiceType): boolean {
  return type === 'NodePort' || type === 'LoadBalancer';
}


/**
 * Stand-in nodePorts. The API server picks a free number at random from the range; hostnet picks
 * one deterministically instead: start at FNV-1a(`<ns>/<name>/<what>`) modulo the range size and
 * take the first number at or after it (wrapping around) that is not in `used`. `used` starts with
 * every nodePort and healthCheckNodePort any Service of the input writes inside the range, and
 * each stand-in is added as it is handed out, so a stand-in never equals a written number or
 * another stand-in. Adding a Service moves another one's stand-in only when it takes that number.
 */
class NodePortStandIns {
  private readonly used = new Set<number>();
  constructor(private readonly min: number, private readonly max: number) {}

  reserve(port: number): void {
    if (port >= this.min && port <= this.max) this.used.add(port);
  }

  next(key: string): number | undefined {
    const size = this.max - this.min + 1;
    if (!Number.isInteger(size) || size <= 0) return undefined;
    const start = fnv1a(key) % size;
    for (let i = 0; i < size; i++) {
      const port = this.min + ((start + i) % size);
      if (!this.used.has(port)) {
        this.used.add(port);
        return port;
      }
    }
    return undefined;
  }
}

/** A written clusterIP that looks like an address (records.ts always read it this way). */
function writtenClusterIP(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  return parseIPv4(v) !== undefined || (/^[0-9a-f:]+$/i.test(v) && v.includes(':')) ? v : undefined;
}

/**
 * The addresses the cluster's own Services hold before any manifest Service: `default/kubernetes`
 * (the first address of the service range) and cluster DNS (the kubelet's clusterDNS when it lies
 * in the service range; with a NodeLocal DNSCache it is the cache's link-local address instead).
 */
export function reservedClusterIPs(cluster: Cluster): Set<string> {
  const taken = new Set<string>();
  const range = cluster.serviceCIDRs.map(parseCIDR).find((x) => x !== undefined);
  if (range) taken.add(formatIPv4(range.base + 1));
  const dns = cluster.clusterDNS[0];
  if (dns !== undefined && cluster.serviceCIDRs.some((c) => inCIDR(dns, c))) taken.add(dns);
  return taken;
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
}

/** The Service objects of the input: kind Service in core v1, later copies of a duplicate left out. */
export function serviceObjects(objects: readonly KubeObject[], duplicates: ReadonlySet<KubeObject> = new Set()): KubeObject[] {
  return objects.filter((o) => o.kind === 'Service' && o.apiVersion === 'v1' && !duplicates.has(o));
}

/**
 * Every Service of the input, in input order, after defaulting and with stand-ins.
 *
 * - type ClusterIP when unset; a type the API server does not know is read as ClusterIP;
 * - per port: protocol TCP, targetPort = port when unset, 0 or "" (DEF-6). Entries the API server
 *   rejects outright (no port number in 1-65535, an unknown protocol, a targetPort that is neither
 *   such a number nor a name) are left out of `ports`; `spec.ports` still has them;
 * - clusterIP: the written one, else a stand-in from `standInClusterIP` with one `taken` set that
 *   starts with the cluster's own Services and gains each written clusterIP when its Service is
 *   reached, exactly as cluster DNS (records.ts) has always handed them out;
 * - nodePorts (NodePort; LoadBalancer unless allocateLoadBalancerNodePorts is false): the written
 *   one, else the one an entry with the same port number writes or was given (one nodePort serves
 *   53/TCP and 53/UDP, alloc.go#initNodePorts), else a stand-in (NodePortStandIns);
 * - healthCheckNodePort for LoadBalancer + Local: written or a stand-in (KP-11);
 * - externalTrafficPolicy/internalTrafficPolicy `Local` only when written so, sessionAffinity None
 *   unless ClientIP, with a 10800 s timeout unless written.
 */
export function serviceViewsOf(objects: readonly KubeObject[], cluster: Cluster, duplicates: ReadonlySet<KubeObject> = new Set()): ServiceView[] {
  const services = serviceObjects(objects, duplicates);
  const { min, max } = cluster.nodePortRange;
  const standIns = new NodePortStandIns(min, max);
  for (const o of services) {
    const spec = isRecord(o.raw.spec) ? o.raw.spec : {};
    if (Array.isArray(spec.ports)) for (const p of spec.ports) if (isRecord(p) && isPortNumber(p.nodePort)) standIns.reserve(p.nodePort);
    if (isPortNumber(spec.healthCheckNodePort)) standIns.reserve(spec.healthCheckNodePort);
  }
  const taken = reservedClusterIPs(cluster);

  return services.map((o): ServiceView => {
    const spec: Readonly<Record<string, unknown>> = isRecord(o.raw.spec) ? o.raw.spec : {};
    const namespace = o.namespace ?? 'default';
    const type = serviceTypeOf(spec) ?? 'ClusterIP';
    const headless = type !== 'ExternalName' && spec.clusterIP === 'None';

    let clusterIP: string | undefined;
    let clusterIPStandIn = false;
    if (type !== 'ExternalName' && !headless) {
      const written = writtenClusterIP(spec.clusterIP);
      if (written) {
        taken.add(written);
        clusterIP = written;
      } else {
        // The lower-cased namespace and the name as written: the same key cluster DNS always used.
        clusterIP = standInClusterIP(namespace.toLowerCase(), o.name, cluster.serviceCIDRs, taken);
        clusterIPStandIn = clusterIP !== undefined;
      }
    }

    const rawPorts = Array.isArray(spec.ports) ? spec.ports : [];
    const byPortNumber = new Map<number, { readonly nodePort: number; readonly standIn: boolean }>();
    const ports: ServicePortView[] = [];
    rawPorts.forEach((raw, index) => {
      if (!isRecord(raw) || !isPortNumber(raw.port)) return;
      const protocol = unset(raw.protocol) ? 'TCP' : raw.protocol;
      if (typeof protocol !== 'string' || !PROTOCOLS.has(protocol)) return;
      const tp = raw.targetPort;
      const targetPortWritten = !unset(tp) && tp !== 0;
      let targetPort: number | string;
      if (!targetPortWritten) targetPort = raw.port;
      else if (isPortNumber(tp) || typeof tp === 'string') targetPort = tp;
      else return;

      let nodePort: number | undefined;
      let nodePortStandIn = false;
      if (hasNodePorts(type)) {
        if (isPortNumber(raw.nodePort)) nodePort = raw.nodePort;
        else if ((unset(raw.nodePort) || raw.nodePort === 0) && allocatesNodePorts(spec)) {
          // alloc.go#initNodePorts: the nodePort an earlier entry with the same port number got, or
          // one that any entry with that port number writes (#findRequestedNodePort), else a new one.
          const earlier = byPortNumber.get(raw.port);
          const requested = rawPorts.find((q): q is Record<string, unknown> => isRecord(q) && q.port === raw.port && isPortNumber(q.nodePort))?.nodePort;
          if (earlier) {
            nodePort = earlier.nodePort;
            nodePortStandIn = earlier.standIn;
          } else if (isPortNumber(requested)) nodePort = requested;
          else {
            nodePort = standIns.next(`${namespace}/${o.name}/${raw.port}`);
            nodePortStandIn = nodePort !== undefined;
          }
        }
        if (nodePort !== undefined && !byPortNumber.has(raw.port)) byPortNumber.set(raw.port, { nodePort, standIn: nodePortStandIn });
      }
      ports.push({
        index,
        name: typeof raw.name === 'string' ? raw.name : '',
        protocol: protocol as ServiceProtocol,
        port: raw.port,
        targetPort,
        ...(nodePort === undefined ? {} : { nodePort }),
        nodePortStandIn,
        nodePortWritten: raw.nodePort,
        targetPortWritten,
        raw,
      });
    });

    const externalTrafficPolicy = spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster';
    let healthCheckNodePort: number | undefined;
    let healthCheckNodePortStandIn = false;
    if (type === 'LoadBalancer' && externalTrafficPolicy === 'Local') {
      if (isPortNumber(spec.healthCheckNodePort)) healthCheckNodePort = spec.healthCheckNodePort;
      else {
        healthCheckNodePort = standIns.next(`${namespace}/${o.name}/healthCheckNodePort`);
        healthCheckNodePortStandIn = healthCheckNodePort !== undefined;
      }
    }

    const sessionAffinity = spec.sessionAffinity === 'ClientIP' ? 'ClientIP' : 'None';
    const cfg = isRecord(spec.sessionAffinityConfig) && isRecord(spec.sessionAffinityConfig.clientIP) ? spec.sessionAffinityConfig.clientIP : {};
    const timeout = typeof cfg.timeoutSeconds === 'number' && Number.isInteger(cfg.timeoutSeconds) && cfg.timeoutSeconds > 0
      ? cfg.timeoutSeconds : DEFAULT_AFFINITY_TIMEOUT;

    const loadBalancerIPs: string[] = [];
    if (type === 'LoadBalancer') {
      const status = isRecord(o.raw.status) && isRecord(o.raw.status.loadBalancer) ? o.raw.status.loadBalancer : {};
      for (const ing of Array.isArray(status.ingress) ? status.ingress : []) {
        if (isRecord(ing) && typeof ing.ip === 'string' && ing.ip !== '') loadBalancerIPs.push(ing.ip);
      }
      if (typeof spec.loadBalancerIP === 'string' && spec.loadBalancerIP !== '' && !loadBalancerIPs.includes(spec.loadBalancerIP)) {
        loadBalancerIPs.push(spec.loadBalancerIP);
      }
    }

    return {
      object: o,
      namespace,
      name: o.name,
      type,
      spec,
      headless,
      ...(clusterIP === undefined ? {} : { clusterIP }),
      clusterIPStandIn,
      ports,
      ...(isRecord(spec.selector) ? { selector: stringMap(spec.selector) } : {}),
      externalTrafficPolicy,
      internalTrafficPolicy: spec.internalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
      sessionAffinity,
      sessionAffinityTimeout: timeout,
      ...(healthCheckNodePort === undefined ? {} : { healthCheckNodePort }),
      healthCheckNodePortStandIn,
      externalIPs: stringList(spec.externalIPs),
      loadBalancerIPs,
      loadBalancerSourceRanges: stringList(spec.loadBalancerSourceRanges).map((s) => s.trim()),
      publishNotReadyAddresses: spec.publishNotReadyAddresses === true,
    };
  });
}
