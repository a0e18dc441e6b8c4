import { isRecord } from '../model/pod-view.js';
import { defineRule } from './define-rule.js';

/** Capabilities that act on the network stack they run in: on hostNetwork, the node's. */
const NETWORK_CAPABILITIES = new Set(['NET_ADMIN', 'NET_RAW', 'ALL']);

function capabilityName(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const up = v.toUpperCase();
  return up.startsWith('CAP_') ? up.slice(4) : up;
}

export default defineRule({
  id: 'host-network-privileges',
  meta: {
    severity: 'warning',
    summary: 'privileged, NET_ADMIN or NET_RAW on a hostNetwork pod act on the node\'s own network (iptables, routes, interfaces, raw sockets).',
    sources: ['PSA-2', 'PSA-5', 'VAL-9', 'kubernetes/pod-security-admission policy/check_capabilities_baseline.go'],
    peers: [
      { tool: 'psa', id: 'baseline: capabilities, privileged', relation: 'related' },
      { tool: 'kube-linter', id: 'privileged-container', relation: 'related' },
      { tool: 'polaris', id: 'dangerousCapabilities', relation: 'related' },
    ],
    messages: {
      privileged: 'Container "{{container}}" is privileged on the host network, so it has every capability over the node\'s own network stack: it can rewrite the node\'s iptables, routes and interfaces, and PSA baseline rejects it. Grant only the capabilities it needs, or suppress this with a reason if it is a network agent.',
      capability: 'Container "{{container}}" adds {{capability}} on the host network, so it {{effect}} on the node itself, not in a pod sandbox, and PSA baseline rejects it. Drop {{capability}} unless this is a network agent that must manage the node, and then suppress this with a reason.',
    },
    optionDocs: {},
  },
  defaultOptions: {},
  create(ctx) {
    const effect: Record<string, string> = {
      NET_ADMIN: 'can change iptables, routes and interfaces',
      NET_RAW: 'can open raw sockets and forge or sniff packets',
      ALL: 'holds every capability, NET_ADMIN and NET_RAW among them,',
    };
    return {
      podView(v) {
        if (!v.hostNetwork) return;
        for (const c of v.containers) {
          const sc = c.raw.securityContext;
          if (!isRecord(sc)) continue;
          if (sc.privileged === true) {
            ctx.report({ object: v.object, path: [...c.path, 'securityContext', 'privileged'], messageId: 'privileged', data: { container: c.name } });
            continue;
          }
          const add = isRecord(sc.capabilities) ? sc.capabilities.add : undefined;
          if (!Array.isArray(add)) continue;
          add.forEach((cap, i) => {
            const name = capabilityName(cap);
            if (name === undefined || !NETWORK_CAPABILITIES.has(name)) return;
            ctx.report({
              object: v.object, path: [...c.path, 'securityContext', 'capabilities', 'add', i],
              messageId: 'capability', data: { container: c.name, capability: name, effect: effect[name]! },
            });
          });
        }
      },
    };
  },
});
