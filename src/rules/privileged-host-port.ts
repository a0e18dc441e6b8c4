import { isRecord } from '../model/pod-view.js';
import { defineRule } from './define-rule.js';

/** Capabilities in `capabilities.add` that let a process bind ports below the limit. */
const GRANTS_BIND = new Set(['NET_BIND_SERVICE', 'CAP_NET_BIND_SERVICE', 'ALL']);

interface Options {
  /** The nodes' net.ipv4.ip_unprivileged_port_start. */
  readonly unprivilegedPortStart: number;
}

const record = (v: unknown): Readonly<Record<string, unknown>> => (isRecord(v) ? v : {});

/**
 * A hostNetwork pod shares the node's network namespace, so the node's
 * net.ipv4.ip_unprivileged_port_start (1024 unless changed) decides who may bind low ports. On a pod
 * network containerd ≥ 2.0 sets it to 0 in the pod's own namespace, which is why only hostNetwork
 * pods are flagged. The API accepts any port (VAL-2); the failure is a bind() EACCES at runtime.
 * Only reported when the user is known to be non-root: runAsUser > 0, or runAsNonRoot true.
 */
export default defineRule<'lowPort', Options>({
  id: 'privileged-host-port',
  meta: {
    severity: 'warning',
    summary: 'A non-root container in a hostNetwork pod cannot bind a port below 1024 without NET_BIND_SERVICE, because the node\'s unprivileged-port limit applies.',
    sources: [
      'VAL-2', 'DEF-3',
      'linux Documentation/networking/ip-sysctl.rst#ip_unprivileged_port_start',
      'containerd/containerd CRI enable_unprivileged_ports (default true since 2.0)',
      'kubernetes/kubernetes#56374 (no ambient capabilities)',
    ],
    peers: [
      { tool: 'kube-linter', id: 'privileged-ports', relation: 'related' },
      { tool: 'trivy', id: 'KSV-0117', relation: 'related' },
    ],
    messages: {
      lowPort:
        'containerPort {{port}} of {{container}} is below {{limit}}, and this hostNetwork pod runs the container as a non-root user ({{user}}) without NET_BIND_SERVICE, so bind() fails with EACCES (permission denied) and the server cannot start: on the host network the node\'s net.ipv4.ip_unprivileged_port_start ({{limit}}) applies, not the pod network\'s. Use a port of {{limit}} or above, run the process as root, or add NET_BIND_SERVICE to securityContext.capabilities.add and give the binary that capability (a file capability).',
    },
    optionDocs: {
      unprivilegedPortStart: 'The nodes\' net.ipv4.ip_unprivileged_port_start: ports below it need root or NET_BIND_SERVICE. Default 1024, the kernel default; 0 turns the rule off.',
    },
  },
  defaultOptions: { unprivilegedPortStart: 1024 },
  create(ctx) {
    const start = ctx.options.unprivilegedPortStart;
    const limit = typeof start === 'number' && Number.isFinite(start) ? start : 1024;
    return {
      podView(v) {
        if (!v.hostNetwork || limit <= 1) return;
        // Windows nodes have no such sysctl.
        if (record(v.spec.os).name === 'windows') return;
        const podSc = record(v.spec.securityContext);
        for (const c of v.containers) {
          if (c.kind === 'ephemeralContainer' || c.ports.length === 0) continue;
          const sc = record(c.raw.securityContext);
          if (sc.privileged === true) continue;

          // The effective user: the container's runAsUser, else the pod's; runAsNonRoot when neither says.
          let user: string;
          const containerUser = typeof sc.runAsUser === 'number' ? sc.runAsUser : undefined;
          const podUser = typeof podSc.runAsUser === 'number' ? podSc.runAsUser : undefined;
          if (containerUser !== undefined) {
            if (containerUser <= 0) continue;
            user = `runAsUser ${containerUser} in the container's securityContext`;
          } else if (podUser !== undefined) {
            if (podUser <= 0) continue;
            user = `runAsUser ${podUser} in the pod's securityContext`;
          } else {
            const nonRoot = typeof sc.runAsNonRoot === 'boolean' ? sc.runAsNonRoot : podSc.runAsNonRoot;
            if (nonRoot !== true) continue; // unknown: the image decides
            user = typeof sc.runAsNonRoot === 'boolean' ? "runAsNonRoot: true in the container's securityContext" : "runAsNonRoot: true in the pod's securityContext";
          }

          const add = record(sc.capabilities).add;
          if (Array.isArray(add) && add.some((x) => typeof x === 'string' && GRANTS_BIND.has(x.toUpperCase()))) continue;

          for (const p of c.ports) {
            const port = p.containerPort;
            if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port >= limit) continue;
            ctx.report({
              object: v.object,
              path: [...p.path, 'containerPort'],
              messageId: 'lowPort',
              data: { port, container: `${c.kind === 'initContainer' ? 'init container' : 'container'} "${c.name}"`, user, limit },
            });
          }
        }
      },
    };
  },
});
