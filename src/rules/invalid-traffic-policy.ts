import { isRecord } from '../model/pod-view.js';
import { externallyAccessible, isPortNumber, needsHealthCheck, serviceTypeOf } from '../sim/services/service-view.js';
import { defineRule } from './define-rule.js';

const POLICIES = ['Cluster', 'Local'];

/** How Go's field errors print a value: strings quoted, numbers bare. */
function goValue(v: unknown): string {
  return typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v);
}

/** Go treats "" like an absent field. */
const unset = (v: unknown): boolean => v === undefined || v === null || v === '';

function policyHint(v: unknown, field: 'externalTrafficPolicy' | 'internalTrafficPolicy'): string {
  if (typeof v !== 'string') return ' The value must be a string.';
  const fold = POLICIES.find((p) => p.toLowerCase() === v.trim().toLowerCase());
  if (fold) return ` The values are case-sensitive and take no spaces: write "${fold}".`;
  if (field === 'externalTrafficPolicy' && /^global$/i.test(v)) return ' "Global" was the value of the old beta annotation; the field calls it "Cluster".';
  if (/^prefer/i.test(v)) return ` "${v}" looks like a value of trafficDistribution, a separate field.`;
  return '';
}

function typeText(spec: Readonly<Record<string, unknown>>): string {
  const type = serviceTypeOf(spec);
  if (type === undefined) return `type ${goValue(spec.type)}, which the API server does not know,`;
  if (unset(spec.type)) return 'type ClusterIP (type is not set)';
  return `type ${type}`;
}

/**
 * VAL-20, as pkg/apis/core/validation/validation.go#validateServiceExternalTrafficPolicy and
 * #validateServiceInternalTrafficFieldsValue check it on create: externalTrafficPolicy only on
 * externally accessible Services (NodePort, LoadBalancer, ClusterIP with externalIPs;
 * pkg/api/service/util.go#ExternallyAccessible) and only Cluster or Local; internalTrafficPolicy
 * only Cluster or Local; healthCheckNodePort only on a LoadBalancer with externalTrafficPolicy
 * Local (#NeedsHealthCheck), and then a port number. Each finding quotes the API server's error.
 * Whether the number is free and in the NodePort range is node-port-conflict's part.
 */
export default defineRule<'externalNotAllowed' | 'externalUnsupported' | 'internalUnsupported' | 'healthCheckNotAllowed' | 'healthCheckInvalid'>({
  id: 'invalid-traffic-policy',
  meta: {
    severity: 'error',
    summary: 'A Service sets externalTrafficPolicy, internalTrafficPolicy or healthCheckNodePort in a way the API server rejects.',
    sources: [
      'VAL-20', 'DEF-6', 'KP-4', 'KP-8', 'KP-9', 'KP-11',
      'kubernetes/kubernetes pkg/apis/core/validation/validation.go#validateServiceExternalTrafficPolicy, #validateServiceInternalTrafficFieldsValue',
      'kubernetes/kubernetes pkg/api/service/util.go#ExternallyAccessible, #NeedsHealthCheck',
    ],
    messages: {
      externalNotAllowed:
        'externalTrafficPolicy is set on a Service of {{type}}{{without}}, which is not externally accessible, and the API server rejects it: spec.externalTrafficPolicy: Invalid value: {{value}}: may only be set for externally-accessible services (VAL-20). Only NodePort and LoadBalancer Services, and ClusterIP Services with externalIPs, receive traffic from outside the cluster. Remove the field; to keep connections from inside the cluster on the client\'s node, the field is internalTrafficPolicy: Local.',
      externalUnsupported:
        'externalTrafficPolicy {{value}} is not a value the API server accepts, and it rejects the Service: spec.externalTrafficPolicy: Unsupported value: {{value}}: supported values: "Cluster", "Local" (VAL-20).{{hint}} Use Cluster (every node forwards to any endpoint and the client address is lost, KP-8) or Local (only nodes with an endpoint serve, and the client address is kept, KP-9).',
      internalUnsupported:
        'internalTrafficPolicy {{value}} is not a value the API server accepts, and it rejects the Service: spec.internalTrafficPolicy: Unsupported value: {{value}}: supported values: "Cluster", "Local" (VAL-20).{{hint}} Use Cluster (connections from inside the cluster go to any endpoint) or Local (only to endpoints on the client\'s own node, and dropped when it has none, KP-4, KP-10).',
      healthCheckNotAllowed:
        'healthCheckNodePort is set, but this Service is {{what}}, and the API server rejects it: spec.healthCheckNodePort: Invalid value: {{value}}: may only be set when `type` is \'LoadBalancer\' and `externalTrafficPolicy` is \'Local\' (VAL-20). Only for such a Service does kube-proxy answer health checks on that port, so the load balancer sends traffic only to nodes with a local endpoint (KP-11). Remove healthCheckNodePort{{or}}.',
      healthCheckInvalid:
        'healthCheckNodePort {{value}} is not a port number, and the API server rejects the Service: spec.healthCheckNodePort: Invalid value: {{value}}: must be between 1 and 65535, inclusive (VAL-20). Remove it and let the API server pick a free one from the NodePort range, or write a free number from that range.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    return {
      object(o) {
        if (o.kind !== 'Service' || o.apiVersion !== 'v1') return;
        const spec = isRecord(o.raw.spec) ? o.raw.spec : {};
        const type = serviceTypeOf(spec);
        const etp = spec.externalTrafficPolicy;
        if (!unset(etp)) {
          if (!externallyAccessible(spec)) {
            ctx.report({
              object: o, path: ['spec', 'externalTrafficPolicy'], messageId: 'externalNotAllowed',
              data: { type: typeText(spec), without: type === 'ClusterIP' ? ' without externalIPs' : '', value: goValue(etp) },
              evidence: [`type ${type ?? goValue(spec.type)}, ${Array.isArray(spec.externalIPs) ? spec.externalIPs.length : 0} externalIPs: not externally accessible`],
              fix: 'delete externalTrafficPolicy',
            });
          } else if (typeof etp !== 'string' || !POLICIES.includes(etp)) {
            ctx.report({
              object: o, path: ['spec', 'externalTrafficPolicy'], messageId: 'externalUnsupported',
              data: { value: goValue(etp), hint: policyHint(etp, 'externalTrafficPolicy') },
            });
          }
        }
        const itp = spec.internalTrafficPolicy;
        if (!unset(itp) && (typeof itp !== 'string' || !POLICIES.includes(itp))) {
          ctx.report({
            object: o, path: ['spec', 'internalTrafficPolicy'], messageId: 'internalUnsupported',
            data: { value: goValue(itp), hint: policyHint(itp, 'internalTrafficPolicy') },
          });
        }
        const hc = spec.healthCheckNodePort;
        if (unset(hc) || hc === 0) return;
        if (!needsHealthCheck(spec)) {
          const lb = type === 'LoadBalancer';
          const what = lb
            ? `a LoadBalancer with externalTrafficPolicy ${unset(etp) ? 'Cluster (externalTrafficPolicy is not set)' : goValue(etp)}`
            : `of ${typeText(spec)}`;
          ctx.report({
            object: o, path: ['spec', 'healthCheckNodePort'], messageId: 'healthCheckNotAllowed',
            data: { what, value: goValue(hc), or: lb ? ', or set externalTrafficPolicy: Local if the load balancer should send traffic only to nodes that run an endpoint' : '' },
          });
        } else if (!isPortNumber(hc)) {
          ctx.report({ object: o, path: ['spec', 'healthCheckNodePort'], messageId: 'healthCheckInvalid', data: { value: goValue(hc) } });
        }
      },
    };
  },
});
