/**
 * The endpoints the EndpointSlice controller publishes for each Service and the order kube-proxy
 * reads them in, for the pods the placement runs.
 *
 * - Which Services: those with a selector, except ExternalName (endpointslice_controller.go
 *   #syncService). An empty `selector: {}` selects nothing: the API server stores an empty map as no
 *   selector at all, so the controller sees none.
 * - Which pods: running pods of the Service's namespace whose labels match the selector. Every placed
 *   pod counts as ready and not terminating (EPS-1, EPS-2).
 * - Which port: per pod and Service port (endpointslice utils.go#getEndpointPorts, #FindPort): a
 *   numeric targetPort as it is, declared or not; a named one looked up in spec.containers and then in
 *   sidecar init containers (restartPolicy Always), the first port with that name and the Service
 *   port's protocol. A pod where the name does not resolve gets no endpoint for that port (KP-14).
 * - Deduplication and order: kube-proxy keys endpoints by `ip:port` and keeps one per key, so several
 *   hostNetwork pods of one node collapse into one endpoint (KP-14); it then sorts a service port's
 *   endpoints by that string (pkg/proxy/endpointslicecache.go#addEndpoints,
 *   #endpointsMapFromEndpointInfo; the string is net.JoinHostPort, pkg/proxy/endpoint.go).
 */
import type { ContainerView, PodView, PortView } from '../../model/pod-view.js';
import { stringMap } from '../schedule/sched-pod.js';
import type { Endpoint, RunningPod, ServiceEndpoints, ServicePortView, ServiceView } from './types.js';

/** The selector the EndpointSlice controller acts on; undefined when it publishes nothing. */
export function effectiveSelector(service: ServiceView): Readonly<Record<string, string>> | undefined {
  if (service.type === 'ExternalName' || service.selector === undefined) return undefined;
  return Object.keys(service.selector).length > 0 ? service.selector : undefined;
}

/** labels.SelectorFromSet: every key present with the same value. */
export function selectorMatches(selector: Readonly<Record<string, string>>, labels: Readonly<Record<string, string>>): boolean {
  for (const [k, v] of Object.entries(selector)) {
    if (!Object.prototype.hasOwnProperty.call(labels, k) || labels[k] !== v) return false;
  }
  return true;
}

/** The labels of a workload's pods (its template's, or the Pod's own). */
export function podLabels(view: PodView): Readonly<Record<string, string>> {
  return stringMap(view.podMetadata.labels);
}

/** Whether the Service selects this workload's pods: same namespace, selector matches the template. */
export function selectsPods(service: ServiceView, view: PodView): boolean {
  const selector = effectiveSelector(service);
  return selector !== undefined && view.namespace === service.namespace && selectorMatches(selector, podLabels(view));
}

/** Containers whose ports a named targetPort can resolve to, in FindPort's order. */
function portContainers(view: PodView): PodView['containers'] {
  return [
    ...view.containers.filter((c) => c.kind === 'container'),
    ...view.containers.filter((c) => c.kind === 'initContainer' && c.restartable),
  ];
}

/** The ports a Service can reach by name: spec.containers' then sidecar init containers', in FindPort's order. */
export function servingPorts(view: PodView): Array<{ readonly container: ContainerView; readonly port: PortView }> {
  return portContainers(view).flatMap((container) => container.ports.map((port) => ({ container, port })));
}

/**
 * endpointslice utils.go#FindPort for one pod: the port its endpoint gets for this Service port, or
 * undefined when a named targetPort does not resolve on it. Protocols compare after DEF-2.
 */
export function findPort(view: PodView, port: ServicePortView): number | undefined {
  if (typeof port.targetPort === 'number') return port.targetPort;
  for (const c of portContainers(view)) {
    for (const p of c.ports) {
      if (p.name === port.targetPort && p.protocol === port.protocol) {
        return typeof p.containerPort === 'number' && Number.isInteger(p.containerPort) && p.containerPort > 0 && p.containerPort <= 65535
          ? p.containerPort : undefined;
      }
    }
  }
  return undefined;
}

/** net.JoinHostPort: brackets around IPv6 addresses. */
export function endpointString(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

interface MutableEndpoint {
  readonly ip: string;
  readonly port: number;
  readonly nodeName: string;
  readonly pods: RunningPod[];
}

/** Go's string order is byte order; for the ASCII of `ip:port` that is UTF-16 code unit order. */
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** One entry per Service, in the order given. */
export function serviceEndpoints(services: readonly ServiceView[], running: readonly RunningPod[]): ServiceEndpoints[] {
  const labelsOf = new Map<PodView, Readonly<Record<string, string>>>();
  const labels = (v: PodView): Readonly<Record<string, string>> => {
    let l = labelsOf.get(v);
    if (!l) labelsOf.set(v, (l = podLabels(v)));
    return l;
  };
  return services.map((service) => {
    const selector = effectiveSelector(service);
    const selected = selector === undefined
      ? []
      : running.filter((p) => p.view.namespace === service.namespace && selectorMatches(selector, labels(p.view)));
    const ports = service.ports.map((port) => {
      const byKey = new Map<string, MutableEndpoint>();
      const unresolved: RunningPod[] = [];
      for (const p of selected) {
        const n = findPort(p.view, port);
        if (n === undefined) {
          unresolved.push(p);
          continue;
        }
        const key = endpointString(p.ip, n);
        const e = byKey.get(key);
        if (e) e.pods.push(p);
        else byKey.set(key, { ip: p.ip, port: n, nodeName: p.node, pods: [p] });
      }
      const endpoints: Endpoint[] = [...byKey.entries()]
        .sort(([a], [b]) => byString(a, b))
        .map(([, e]) => ({ ip: e.ip, port: e.port, nodeName: e.nodeName, pods: e.pods, ready: true }));
      return { port, endpoints, unresolved };
    });
    return { service, selected, ports };
  });
}
