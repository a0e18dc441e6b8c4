import { isRecord } from '../model/pod-view.js';
import { defineRule } from './define-rule.js';

/** Capabilities that act on the network stack the container runs in: on hostNetwork, the node's. */
const NETWORK_CAPABILITIES = ['NET_ADMIN', 'NET_RAW', 'ALL'] as const;
type NetworkCapability = (typeof NETWORK_CAPABILITIES)[number];

/** `cap_net_admin`, `CAP_NET_ADMIN` and `net_admin` are all NET_ADMIN to the runtime; undefined for other values. */
export function networkCapability(v: unknown): NetworkCapability | undefined {
  if (typeof v !== 'string') return undefined;
  const up = v.trim().toUpperCase();
  const name = up.startsWith('CAP_') ? up.slice(4) : up;
  return (NETWORK_CAPABILITIES as readonly string[]).includes(name) ? (name as NetworkCapability) : undefined;
}

const EFFECT: Readonly<Record<NetworkCapability, string>> = {
  NET_ADMIN: 'can rewrite the node\'s iptables and nftables rules (where kube-proxy and portmap keep theirs), routes and interfaces',
  NET_RAW: 'can open raw and packet sockets on the node\'s interfaces, sniffing and forging any traffic the node carries',
  ALL: 'holds every capability, NET_ADMIN and NET_RAW among them, and so can rewrite the node\'s iptables, routes and interfaces',
};

export default defineRule({
  id: 'host-network-privileges',
  meta: {
    severity: 'warning',
    summary: 'privileged, NET_ADMIN or NET_RAW on a hostNetwork pod act on the node\'s own network (iptables, routes, interfaces, raw sockets).',
    sources: ['PSA-2', 'PSA-5', 'VAL-9', 'kubernetes/pod-security-admission policy/check_capabilities_baseline.go', 'kubernetes/pod-security-admission policy/check_privileged.go'],
    peers: [
      { tool: 'psa', id: 'baseline: capabilities, privileged', relation: 'related' },
      { tool: 'kube-linter', id: 'privileged-container', relation: 'related' },
      { tool: 'polaris', id: 'dangerousCapabilities', relation: 'related' },
    ],
    messages: {
      privileged:
        '{{container}} is privileged and this pod uses the node\'s network namespace (hostNetwork: true), so it holds every capability over the node\'s own network: it can rewrite the node\'s iptables, routes and interfaces and sniff its traffic; the Pod Security baseline level forbids privileged containers, as it forbids hostNetwork. Drop privileged and add only the capabilities it needs, or, for a network agent that must manage the node, keep it and annotate the object with hostnet.dev/ignore: "host-network-privileges; <reason>".',
      capability:
        '{{container}} adds {{capability}} and this pod uses the node\'s network namespace (hostNetwork: true), so it {{effect}}, on the node itself rather than in a pod sandbox; the Pod Security baseline level forbids {{capability}}, as it forbids hostNetwork. Remove {{capability}} from capabilities.add, or, for a network agent that must manage the node, keep it and annotate the object with hostnet.dev/ignore: "host-network-privileges; <reason>".',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const label = (kind: string, name: string): string =>
      kind === 'initContainer' ? `Init container "${name}"` : kind === 'ephemeralContainer' ? `Ephemeral container "${name}"` : `Container "${name}"`;
    return {
      podView(v) {
        if (!v.hostNetwork) return;
        // Windows pods have no Linux capabilities and cannot be privileged: the API server rejects both
        // there (validation.go#validateWindows), which is not this rule's finding.
        const os = v.spec.os;
        if (isRecord(os) && os.name === 'windows') return;
        for (const c of v.containers) {
          const sc = c.raw.securityContext;
          if (!isRecord(sc)) continue;
          const container = label(c.kind, c.name);
          if (sc.privileged === true) {
            // privileged already grants every capability: one finding, not one per capability as well.
            ctx.report({ object: v.object, path: [...c.path, 'securityContext', 'privileged'], messageId: 'privileged', data: { container } });
            continue;
          }
          const add = isRecord(sc.capabilities) ? sc.capabilities.add : undefined;
          if (!Array.isArray(add)) continue;
          const seen = new Set<NetworkCapability>();
          add.forEach((cap, i) => {
            const name = networkCapability(cap);
            if (name === undefined || seen.has(name)) return;
            seen.add(name);
            ctx.report({
              object: v.object,
              path: [...c.path, 'securityContext', 'capabilities', 'add', i],
              messageId: 'capability',
              data: { container, capability: name, effect: EFFECT[name] },
            });
          });
        }
      },
    };
  },
});
