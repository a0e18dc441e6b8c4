import { formatPath, type FieldPath, type KubeObject, type RelatedLocation } from '../model/types.js';
import { isPortNumber, needsHealthCheck, serviceTypeOf } from '../sim/services/service-view.js';
import { defineRule } from './define-rule.js';

/** A node port number the API server has handed to a Service of the input (in input order). */
interface Holder {
  readonly object: KubeObject;
  readonly path: FieldPath;
  /** `nodePort of port 80/TCP`, `healthCheckNodePort`: what the number is to its holder. */
  readonly what: string;
}

const serviceName = (o: KubeObject): string => `Service ${o.namespace ?? 'default'}/${o.name}`;
const unset = (v: unknown): boolean => v === undefined || v === null || v === '' || v === 0;

function at(o: KubeObject, path: FieldPath): { file: string; line: number; column: number } {
  const pos = o.source.locator.locate(path);
  return { file: o.source.file, line: pos.line, column: pos.column };
}

/**
 * Node port numbers as the API server hands them out (pkg/registry/core/service/storage/alloc.go
 * #txnAllocNodePorts, #initNodePorts, #allocHealthCheckNodePort; portallocator/allocator.go):
 *
 * - one allocator for the whole cluster, a bitmap over `--service-node-port-range` keyed by the
 *   number alone, so two Services cannot share a nodePort even for different protocols, and a
 *   healthCheckNodePort takes a number from the same pool;
 * - inside one Service, entries with the same `port` share one nodePort (53/TCP and 53/UDP);
 *   any other reuse of a number in the same Service is rejected;
 * - a number outside the range is rejected ("provided port is not in the valid range");
 * - a nodePort on a ClusterIP Service is rejected by validation ("may not be used when `type` is
 *   'ClusterIP'"); on ExternalName it is accepted and ignored, so it is not reported.
 *
 * Services are taken in input order, the order `kubectl apply -f` creates them in, so the second
 * holder of a number is the one reported. Stand-ins for unwritten nodePorts never collide and are
 * not checked; numbers held by Services outside the manifests are unknown.
 */
export default defineRule<'clusterIP' | 'outOfRange' | 'notANumber' | 'taken' | 'takenInService'>({
  id: 'node-port-conflict',
  meta: {
    severity: 'error',
    summary: 'A Service writes a nodePort or healthCheckNodePort that another Service of the manifests already holds, that lies outside the cluster\'s NodePort range, or that its type does not allow, so the API server rejects it.',
    sources: [
      'KP-7', 'KP-11', 'VAL-20', 'DEF-6',
      'kubernetes/kubernetes pkg/registry/core/service/storage/alloc.go#initNodePorts, #allocHealthCheckNodePort',
      'kubernetes/kubernetes pkg/registry/core/service/portallocator/allocator.go#Allocate',
      'kubernetes/kubernetes pkg/apis/core/validation/validation.go#ValidateService (nodePort on ClusterIP)',
    ],
    peers: [{ tool: 'kyverno', id: 'restrict-node-port', relation: 'related' }],
    messages: {
      clusterIP:
        'nodePort {{value}} is set on a Service of {{type}}, and the API server rejects it: spec.ports[{{index}}].nodePort: Forbidden: may not be used when `type` is \'ClusterIP\'. kube-proxy opens node ports only for NodePort and LoadBalancer Services (KP-7). Set type: NodePort if the port must be open on every node, or remove nodePort.',
      outOfRange:
        '{{field}} {{value}} lies outside the cluster\'s Service NodePort range {{min}}-{{max}}, and the API server rejects the Service: {{apiError}}. Pick a free number in {{min}}-{{max}}, or leave {{field}} out and let the API server choose one.',
      notANumber:
        '{{field}} {{value}} is not a whole number, and the API server cannot read the Service: a node port is an integer in the cluster\'s range {{min}}-{{max}}. Write the number without quotes or decimals, or leave {{field}} out and let the API server choose one.',
      taken:
        '{{field}} {{value}} is already held by {{other}} as the {{otherWhat}} ({{otherAt}}). The API server hands out each node port number once in the whole cluster, whatever the protocol, so the Service created second is rejected with "{{apiError}}"; with kubectl apply in file order, that is this one. Pick another free number in {{min}}-{{max}}, or leave {{field}} out on one of them and let the API server choose.',
      takenInService:
        '{{field}} {{value}} is already the {{otherWhat}} of this Service. Only entries with the same port number (such as 53/TCP and 53/UDP) share a nodePort; any other reuse is rejected with "{{apiError}}". Give each port its own nodePort, or leave nodePort out and let the API server choose.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const { min, max } = ctx.cluster.nodePortRange;
    return {
      end() {
        const holders = new Map<number, Holder>();
        for (const service of ctx.sims.services()) {
          const o = service.object;
          const spec = service.spec ?? {};
          const type = serviceTypeOf(spec);
          const rawPorts = Array.isArray(spec.ports) ? spec.ports : [];
          if (type === 'ClusterIP') {
            rawPorts.forEach((p, i) => {
              if (p === null || typeof p !== 'object' || Array.isArray(p)) return;
              const np = (p as Record<string, unknown>).nodePort;
              if (unset(np)) return;
              ctx.report({
                object: o, path: ['spec', 'ports', i, 'nodePort'], messageId: 'clusterIP',
                data: { value: JSON.stringify(np) ?? String(np), index: i, type: spec.type === undefined || spec.type === null || spec.type === '' ? 'type ClusterIP (type is not set)' : 'type ClusterIP' },
                fix: 'delete nodePort',
              });
            });
            continue;
          }
          if (type !== 'NodePort' && type !== 'LoadBalancer') continue;

          /** Claim a number for `path`; report when it cannot be had. */
          const claim = (value: unknown, path: FieldPath, what: string, field: 'nodePort' | 'healthCheckNodePort', apiField: string): boolean => {
            const data = { field, value: JSON.stringify(value) ?? String(value), min, max };
            if (typeof value !== 'number' || !Number.isInteger(value)) {
              ctx.report({ object: o, path, messageId: 'notANumber', data });
              return false;
            }
            const wrap = (reason: string): string => (field === 'nodePort'
              ? `${apiField}: Invalid value: ${value}: ${reason}`
              : `failed to allocate requested HealthCheck NodePort ${value}: ${reason}`);
            if (value < min || value > max) {
              ctx.report({
                object: o, path, messageId: 'outOfRange',
                data: { ...data, apiError: wrap(`provided port is not in the valid range. The range of valid ports is ${min}-${max}`) },
                evidence: [`cluster ${ctx.cluster.name}: Service NodePort range ${min}-${max}`],
              });
              return false;
            }
            const holder = holders.get(value);
            // A second copy of the same Service is an update of it, which keeps its own numbers.
            if (holder && holder.object !== o && serviceName(holder.object) === serviceName(o)) return true;
            if (holder) {
              const where = at(holder.object, holder.path);
              const related: RelatedLocation[] = [{
                message: `${serviceName(holder.object)} holds ${value} as the ${holder.what} here.`,
                ...where, path: formatPath(holder.path),
              }];
              const same = holder.object === o;
              ctx.report({
                object: o, path, messageId: same ? 'takenInService' : 'taken',
                data: {
                  ...data, other: serviceName(holder.object), otherWhat: holder.what, otherAt: `${where.file}:${where.line}`,
                  apiError: wrap('provided port is already allocated'),
                },
                related,
                evidence: [`${serviceName(holder.object)}: ${holder.what} is ${value}`],
              });
              return false;
            }
            holders.set(value, { object: o, path, what });
            return true;
          };

          // alloc.go#initNodePorts: per port number, the first nodePort wins; an entry with the
          // same port number and the same nodePort allocates nothing more.
          const byPortNumber = new Map<unknown, unknown>();
          rawPorts.forEach((p, i) => {
            if (p === null || typeof p !== 'object' || Array.isArray(p)) return;
            const entry = p as Record<string, unknown>;
            if (unset(entry.nodePort)) return;
            if (byPortNumber.has(entry.port) && byPortNumber.get(entry.port) === entry.nodePort) return;
            const protocol = typeof entry.protocol === 'string' && entry.protocol !== '' ? entry.protocol : 'TCP';
            const what = `nodePort of port ${String(entry.port)}/${protocol}`;
            if (claim(entry.nodePort, ['spec', 'ports', i, 'nodePort'], what, 'nodePort', `spec.ports[${i}].nodePort`) && !byPortNumber.has(entry.port)) {
              byPortNumber.set(entry.port, entry.nodePort);
            }
          });
          // alloc.go#allocHealthCheckNodePort, after the Service's nodePorts. A value that is not
          // a port number is invalid-traffic-policy's finding (VAL-20).
          if (needsHealthCheck(spec) && isPortNumber(spec.healthCheckNodePort)) {
            claim(spec.healthCheckNodePort, ['spec', 'healthCheckNodePort'], 'healthCheckNodePort', 'healthCheckNodePort', 'spec.healthCheckNodePort');
          }
        }
      },
    };
  },
});
