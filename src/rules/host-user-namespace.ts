import { versionAtLeast } from '../model/cluster.js';
import { formatPath, type RelatedLocation } from '../model/types.js';
import { defineRule } from './define-rule.js';

const HOST_NAMESPACES = ['hostNetwork', 'hostPID', 'hostIPC'] as const;
type HostNamespace = (typeof HOST_NAMESPACES)[number];

const SHARED: Readonly<Record<HostNamespace, string>> = {
  hostNetwork: 'network namespace',
  hostPID: 'process namespace',
  hostIPC: 'IPC namespace',
};

/** UserNamespacesSupport is on by default from v1.33 (beta), GA in v1.36; before, the API server drops hostUsers. */
const USERNS_ON_BY_DEFAULT = '1.33';
/** The alpha gate UserNamespacesHostNetworkSupport (KEP-5607, off by default) exists from v1.35. */
const HOSTNET_GATE_SINCE = '1.35';

export default defineRule({
  id: 'host-user-namespace',
  meta: {
    severity: 'error',
    summary: 'hostUsers: false (a user namespace) cannot be combined with hostNetwork, hostPID or hostIPC; the API server rejects the pod.',
    sources: [
      'VAL-11',
      'kubernetes/kubernetes pkg/apis/core/validation/validation.go#validateHostUsers',
      'kubernetes/kubernetes pkg/api/pod/util.go#dropDisabledFields (hostUsers)',
      'kubernetes/kubernetes PR #134893 (KEP 5607, UserNamespacesHostNetworkSupport)',
    ],
    messages: {
      forbidden:
        'hostUsers: false asks for a user namespace of the pod\'s own, but this {{kind}} also sets {{field}}: true, sharing the node\'s {{shared}}; Kubernetes does not allow a pod in its own user namespace to join the node\'s namespaces, so the API server rejects it ({{fieldPath}}: Forbidden: when `hostUsers` is false). Drop hostUsers: false, or drop {{field}}.',
      forbiddenUnlessGate:
        'hostUsers: false asks for a user namespace of the pod\'s own, but this {{kind}} also sets hostNetwork: true, sharing the node\'s network namespace; the API server rejects it ({{fieldPath}}: Forbidden: when `hostUsers` is false) unless the alpha feature gate UserNamespacesHostNetworkSupport (v1.35, off by default) is enabled on the API server. Drop hostUsers: false, or drop hostNetwork.',
      droppedOrForbidden:
        'hostUsers: false asks for a user namespace of the pod\'s own, but this {{kind}} also sets {{field}}: true, sharing the node\'s {{shared}}; on Kubernetes {{version}} the API server drops hostUsers unless user namespaces are enabled with a feature gate (UserNamespacesSupport, off by default before v1.33), so the pod either runs silently in the node\'s user namespace or, with the gate on, is rejected ({{fieldPath}}: Forbidden). Drop hostUsers: false, or drop {{field}}.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    const version = ctx.cluster.kubernetesVersion;
    const usernsOn = versionAtLeast(version, USERNS_ON_BY_DEFAULT);
    const gateExists = versionAtLeast(version, HOSTNET_GATE_SINCE);
    return {
      podView(v) {
        if (v.spec.hostUsers !== false) return;
        for (const field of HOST_NAMESPACES) {
          if (v.spec[field] !== true) continue;
          const messageId = !usernsOn ? 'droppedOrForbidden' : field === 'hostNetwork' && gateExists ? 'forbiddenUnlessGate' : 'forbidden';
          const pos = v.object.source.locator.locate(v.at(field));
          const related: RelatedLocation = {
            message: `${field}: true is set here.`,
            file: v.object.source.file, line: pos.line, column: pos.column, path: formatPath(v.at(field)),
          };
          ctx.report({
            object: v.object, path: v.at('hostUsers'), messageId,
            data: { field, fieldPath: formatPath(v.at(field)), shared: SHARED[field], kind: v.kind, version },
            related: [related],
          });
        }
      },
    };
  },
});
