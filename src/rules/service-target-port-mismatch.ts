import type { Model } from '../model/model.js';
import { isRecord, type PodView } from '../model/pod-view.js';
import { formatPath, type FieldPath, type RelatedLocation } from '../model/types.js';
import { endpointString, findPort, selectsPods, servingPorts } from '../sim/services/endpoints.js';
import type { ServicePortEndpoints, ServicePortView, ServiceView } from '../sim/services/types.js';
import { defineRule } from './define-rule.js';
import { forEachNameSource } from './dns-names.js';

/** Workloads the related locations and messages name one by one; the rest are counted. */
const NAMED = 5;

const workloadName = (v: PodView): string => `${v.kind} ${v.namespace}/${v.object.name}`;
const serviceName = (s: ServiceView): string => `${s.namespace}/${s.name}`;

function describeServicePort(p: ServicePortView): string {
  return p.name === '' ? `${p.port}/${p.protocol}` : `${p.port}/${p.protocol} ("${p.name}")`;
}

/** `"http" 8080/TCP, 9090/UDP` for one workload; `no ports` when it declares none. */
function declaredOf(v: PodView): string {
  const ports = servingPorts(v).map(({ port }) => {
    const n = typeof port.containerPort === 'number' ? port.containerPort : JSON.stringify(port.containerPort);
    const text = `${String(n)}/${String(port.protocol)}`;
    return typeof port.name === 'string' && port.name !== '' ? `"${port.name}" ${text}` : text;
  });
  return ports.length === 0 ? 'no ports' : ports.join(', ');
}

function declaredSentence(selected: readonly PodView[]): string {
  const parts = selected.slice(0, NAMED).map((v) => `${workloadName(v)} declares ${declaredOf(v)}`);
  const more = selected.length > NAMED ? `, and ${selected.length - NAMED} more selected workloads` : '';
  return `${parts.join('; ')}${more}`;
}

/** Where a workload's ports are written: its first serving container's ports, else the container, else the pod spec. */
function portsPathOf(v: PodView): FieldPath {
  const first = servingPorts(v)[0];
  if (first) return [...first.container.path, 'ports'];
  const container = v.containers.find((c) => c.kind === 'container');
  return container ? container.path : v.specPath;
}

function relatedOf(selected: readonly PodView[]): RelatedLocation[] {
  return selected.slice(0, NAMED).map((v) => {
    const path = portsPathOf(v);
    const at = v.object.source.locator.locate(path);
    const declares = servingPorts(v).length > 0;
    return {
      message: declares
        ? `${workloadName(v)}, selected by the Service, declares its container ports here.`
        : `${workloadName(v)}, selected by the Service, declares no container ports.`,
      file: v.object.source.file, line: at.line, column: at.column, path: formatPath(path),
    };
  });
}

function evidenceOf(service: ServiceView, port: ServicePortView, eps: ServicePortEndpoints | undefined): string[] {
  if (!eps) return [];
  const where = `simulated EndpointSlice of Service ${serviceName(service)}, port ${describeServicePort(port)}`;
  const list = eps.endpoints.slice(0, 10).map((e) => endpointString(e.ip, e.port)).join(', ');
  return [
    `${where}: ${eps.endpoints.length} endpoint${eps.endpoints.length === 1 ? '' : 's'}${list === '' ? '' : ` (${list})`}`,
    ...(eps.unresolved.length > 0 ? [`${where}: ${eps.unresolved.length} running pods where "${String(port.targetPort)}" does not resolve (KP-14)`] : []),
  ];
}

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;

/**
 * Whether the workload shows signs of listening on `port` without declaring it: a probe on that
 * port, or the number standing alone in an env value, command or args, or a ConfigMap the pod
 * reads (`0.0.0.0:5317`, `port = 8443`, `--listen=:9000`). Such a number is left alone.
 */
function mentionsPort(v: PodView, port: number, model: Model): string | undefined {
  for (const c of v.containers) {
    if (c.kind === 'ephemeralContainer') continue;
    for (const probe of PROBES) {
      const p = c.raw[probe];
      if (!isRecord(p)) continue;
      for (const handler of ['httpGet', 'tcpSocket', 'grpc'] as const) {
        const h = p[handler];
        if (isRecord(h) && h.port === port) return `${probe} of container ${c.name}`;
      }
    }
  }
  const standalone = new RegExp(`(?<!\\d|\\d\\.)${port}(?!\\d|\\.\\d)`);
  let found: string | undefined;
  forEachNameSource(v, model, (s) => {
    if (standalone.test(s.text)) found = s.where;
    return found !== undefined;
  });
  return found;
}

/** Hints for a name that is almost there: other protocol, a plain init container, other case. */
function namedHints(selected: readonly PodView[], port: ServicePortView): string {
  const name = String(port.targetPort);
  for (const v of selected) {
    const other = servingPorts(v).find(({ port: p }) => p.name === name);
    if (other) return ` ${workloadName(v)} has a port named "${name}", but with protocol ${String(other.port.protocol)}, and the protocol must match the Service port's ${port.protocol}.`;
  }
  for (const v of selected) {
    const init = v.containers.find((c) => c.kind === 'initContainer' && !c.restartable && c.ports.some((p) => p.name === name));
    if (init) return ` Init container "${init.name}" of ${workloadName(v)} has a port named "${name}", but only regular containers and sidecar init containers (restartPolicy: Always) count.`;
  }
  for (const v of selected) {
    const folded = servingPorts(v).find(({ port: p }) => typeof p.name === 'string' && p.name.toLowerCase() === name.toLowerCase());
    if (folded) return ` ${workloadName(v)} has a port named "${String(folded.port.name)}": names are compared case-sensitively.`;
  }
  return '';
}

/**
 * A Service port whose targetPort no selected pod serves, judged on the pod templates of the
 * manifests (so workloads that never get placed count too):
 *
 * - a **name** that resolves on none of the selected templates (FindPort: spec.containers, then
 *   sidecar init containers, same protocol). The EndpointSlice controller publishes no endpoint
 *   for such pods (KP-14), so the port has no endpoints and kube-proxy rejects it (KP-10).
 * - a **number** that none of the selected templates declares (with any protocol: an unwritten
 *   protocol is TCP, DEF-2, and a UDP server declared that way does use the number), when every
 *   selected template declares at least one port. A number needs no declaration: the
 *   endpoint is `<pod IP>:<number>` either way (KP-14), and a hostNetwork pod's containerPort is
 *   the port it listens on on the node (DEF-3, RT-6). So templates that declare no ports say
 *   nothing and are not reported; templates that list their ports and leave this one out almost
 *   always mean a wrong targetPort (`port: 80` with the container on 8080). A process that does
 *   listen on an undeclared port is the exception: a probe on the number, or the number standing
 *   alone in the pods' env, args or ConfigMaps (`0.0.0.0:5317` in a collector's config), is taken
 *   as a sign of it and silences the finding, and so does declaring the port.
 */
export default defineRule<'namedPort' | 'numberedPort'>({
  id: 'service-target-port-mismatch',
  meta: {
    severity: 'error',
    summary: 'A Service\'s targetPort names or numbers a port that none of the pods it selects serves, so the port gets no endpoints or its connections are refused.',
    sources: [
      'KP-14', 'KP-10', 'EPS-1', 'DEF-2', 'DEF-3', 'DEF-6', 'RT-6',
      'kubernetes/kubernetes staging/src/k8s.io/endpointslice/utils.go#getEndpointPorts, #FindPort',
      'kubernetes/kubernetes pkg/proxy/iptables/proxier.go#syncProxyRules',
    ],
    peers: [
      { tool: 'popeye', id: 'POP-1106', relation: 'related' },
      { tool: 'kube-linter', id: 'invalid-target-ports', relation: 'related' },
    ],
    messages: {
      namedPort:
        'Service port {{servicePort}} sends traffic to the container port named "{{name}}" with protocol {{protocol}}, but none of the pods this Service selects has such a port: {{declared}}. The EndpointSlice controller looks the name up on each pod, in spec.containers and then in sidecar init containers, and publishes no endpoint for a pod where it finds none (KP-14); with no endpoint at all, kube-proxy rejects every connection to this Service port (KP-10).{{hint}} Name the container port that serves this traffic "{{name}}" with protocol {{protocol}}, or set targetPort to its number.',
      numberedPort:
        'Service port {{servicePort}} sends traffic to port {{target}}/{{protocol}}{{defaulted}}, but none of the pods this Service selects declares that port ({{declared}}), and no probe, env value, argument or ConfigMap of theirs mentions {{target}}. kube-proxy forwards each connection to {{address}} whether the port is declared or not (KP-14), so unless the process also listens on {{target}} without declaring it, every connection through this Service port is refused. Set targetPort to the port the pods listen on{{suggestion}}, or declare {{target}}/{{protocol}} in the container\'s ports if the process does listen there.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    return {
      end() {
        const views = ctx.model.podViews.filter((v) => !ctx.model.duplicates.has(v.object));
        const services = ctx.sims.services();
        let endpoints: ReturnType<typeof ctx.sims.endpoints> | undefined;
        services.forEach((service, i) => {
          const selected = views.filter((v) => selectsPods(service, v));
          if (selected.length === 0) return;
          for (const port of service.ports) {
            const path: FieldPath = ['spec', 'ports', port.index, port.targetPortWritten ? 'targetPort' : 'port'];
            const eps = (): ServicePortEndpoints | undefined => (endpoints ??= ctx.sims.endpoints())[i]?.ports.find((p) => p.port.index === port.index);
            if (typeof port.targetPort === 'string') {
              if (selected.some((v) => findPort(v, port) !== undefined)) continue;
              ctx.report({
                object: service.object, path, messageId: 'namedPort',
                data: {
                  servicePort: describeServicePort(port), name: port.targetPort, protocol: port.protocol,
                  declared: declaredSentence(selected), hint: namedHints(selected, port),
                },
                related: relatedOf(selected),
                evidence: evidenceOf(service, port, eps()),
              });
              continue;
            }
            const target = port.targetPort;
            // The number declared with any protocol counts: the protocol defaults to TCP when left
            // out (DEF-2), so `containerPort: 10002` in front of a UDP server is a sloppy
            // declaration of a port the process does use, not a wrong targetPort.
            const declaresAny = selected.every((v) => servingPorts(v).length > 0);
            const declaresTarget = selected.some((v) => servingPorts(v).some(({ port: p }) => p.containerPort === target));
            if (!declaresAny || declaresTarget) continue;
            if (selected.some((v) => mentionsPort(v, target, ctx.model) !== undefined)) continue;
            const candidates = [...new Set(selected.flatMap((v) => servingPorts(v).filter(({ port: p }) => p.protocol === port.protocol).map(({ port: p }) => p.containerPort)))]
              .filter((n): n is number => typeof n === 'number');
            const suggestion = candidates.length === 1 ? ` (${candidates[0]})` : '';
            const hostNetwork = selected.every((v) => v.hostNetwork);
            ctx.report({
              object: service.object, path, messageId: 'numberedPort',
              data: {
                servicePort: describeServicePort(port), target, protocol: port.protocol,
                defaulted: port.targetPortWritten ? '' : ' (targetPort is not set, so it is the Service port, DEF-6)',
                declared: declaredSentence(selected),
                address: hostNetwork
                  ? `<node IP>:${target} (these pods use hostNetwork, so their endpoints are node addresses, RT-6, and a declared containerPort is the port the process listens on on the node, DEF-3)`
                  : `<pod IP>:${target}`,
                suggestion,
              },
              related: relatedOf(selected),
              evidence: evidenceOf(service, port, eps()),
              ...(candidates.length === 1 ? { fix: `targetPort: ${candidates[0]}` } : {}),
            });
          }
        });
      },
    };
  },
});
