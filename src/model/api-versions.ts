/**
 * apiVersions Kubernetes stopped serving, what replaces them, and the defaults that change on the
 * way. The defaults are the point for host networking: the update strategy decides how pods that
 * hold host ports or the node's network namespace are replaced. Data only; the removed-api-version
 * rule reads it.
 *
 * Ref: kubernetes.io "Deprecated API Migration Guide" (v1.16 to v1.32 sections); kubernetes/kubernetes
 * v1.21 release notes (batch/v2alpha1); the removed groups' defaulters
 * (pkg/apis/extensions/v1beta1/defaults.go, pkg/apis/apps/v1beta1/defaults.go).
 */
import { versionAtLeast } from './cluster.js';
import type { FieldPath } from './types.js';

/** A default (or a requirement) that differs between the removed apiVersion and its replacement. */
export interface MigrationNote {
  /**
   * The field whose default changes, from the object root: the note is said only when the manifest
   * leaves it out, because only then does the API server's default decide. Absent: always said.
   */
  readonly unlessWritten?: FieldPath;
  /** Not said either when the manifest writes this value here (a Deployment with strategy.type Recreate has no maxSurge). */
  readonly unlessValue?: { readonly path: FieldPath; readonly value: string };
  /** What changes and what it does, as a clause: "spec.updateStrategy.type defaults to …". */
  readonly note: string;
}

/** An apiVersion that serves the same kind, and the first minor version that served it. */
export interface Replacement {
  readonly apiVersion: string;
  readonly since: string;
}

export interface RemovedApi {
  readonly apiVersion: string;
  readonly kinds: readonly string[];
  /** First minor version that no longer serves it. */
  readonly removedIn: string;
  /** Where the kind moved, oldest first; the newest one the target version serves is suggested. Empty when the kind is gone. */
  readonly replacements: readonly Replacement[];
  /** Defaults and requirements that change when moving to the replacement. */
  readonly notes: readonly MigrationNote[];
  /** What to do when no replacement is served at the target version (the kind itself was removed). */
  readonly instead?: string;
}

const SELECTOR_REQUIRED: MigrationNote = {
  unlessWritten: ['spec', 'selector'],
  note: 'spec.selector becomes required (and immutable) and must match the template labels, where the old version defaulted it from them',
};

const INGRESS_V1: MigrationNote = {
  note: 'spec.backend is renamed spec.defaultBackend, backends are written as service.name and service.port.number or service.port.name, and every path needs a pathType (ImplementationSpecific keeps the old matching)',
};

const PSA_INSTEAD = 'PodSecurityPolicy was removed in Kubernetes 1.25 with no replacement kind; enforce the pod security levels with Pod Security Admission namespace labels (pod-security.kubernetes.io/enforce) instead';

const RECREATE = { path: ['spec', 'strategy', 'type'], value: 'Recreate' } as const;
const APPS_V1: readonly Replacement[] = [{ apiVersion: 'apps/v1', since: '1.9' }];
const FLOWCONTROL = ['FlowSchema', 'PriorityLevelConfiguration'];

export const REMOVED_APIS: readonly RemovedApi[] = [
  // v1.16
  {
    apiVersion: 'extensions/v1beta1', kinds: ['DaemonSet'], removedIn: '1.16', replacements: APPS_V1,
    notes: [
      {
        unlessWritten: ['spec', 'updateStrategy', 'type'],
        note: 'spec.updateStrategy.type defaults to RollingUpdate (maxUnavailable 1) instead of OnDelete, so a template change now replaces the pods node by node on its own, each host-network or hostPort pod stopped on its node before its replacement starts there (write updateStrategy: {type: OnDelete} to keep rollouts manual)',
      },
      SELECTOR_REQUIRED,
    ],
  },
  {
    apiVersion: 'extensions/v1beta1', kinds: ['Deployment'], removedIn: '1.16', replacements: APPS_V1,
    notes: [
      { unlessWritten: ['spec', 'strategy', 'rollingUpdate', 'maxSurge'], unlessValue: RECREATE, note: 'spec.strategy.rollingUpdate.maxSurge defaults to 25% instead of 1' },
      { unlessWritten: ['spec', 'strategy', 'rollingUpdate', 'maxUnavailable'], unlessValue: RECREATE, note: 'spec.strategy.rollingUpdate.maxUnavailable defaults to 25% instead of 1' },
      { unlessWritten: ['spec', 'revisionHistoryLimit'], note: 'spec.revisionHistoryLimit defaults to 10 instead of keeping every old ReplicaSet' },
      { unlessWritten: ['spec', 'progressDeadlineSeconds'], note: 'spec.progressDeadlineSeconds defaults to 600, so a rollout that makes no progress for 10 minutes (for example surge pods Pending because their hostPort is taken on every node) is reported as failed, where before there was no deadline' },
      SELECTOR_REQUIRED,
    ],
  },
  { apiVersion: 'extensions/v1beta1', kinds: ['ReplicaSet'], removedIn: '1.16', replacements: APPS_V1, notes: [SELECTOR_REQUIRED] },
  { apiVersion: 'extensions/v1beta1', kinds: ['NetworkPolicy'], removedIn: '1.16', replacements: [{ apiVersion: 'networking.k8s.io/v1', since: '1.8' }], notes: [] },
  {
    apiVersion: 'extensions/v1beta1', kinds: ['PodSecurityPolicy'], removedIn: '1.16',
    replacements: [{ apiVersion: 'policy/v1beta1', since: '1.10' }], notes: [], instead: PSA_INSTEAD,
  },
  {
    apiVersion: 'apps/v1beta1', kinds: ['Deployment'], removedIn: '1.16', replacements: APPS_V1,
    notes: [
      { unlessWritten: ['spec', 'revisionHistoryLimit'], note: 'spec.revisionHistoryLimit defaults to 10 instead of 2' },
      SELECTOR_REQUIRED,
    ],
  },
  {
    apiVersion: 'apps/v1beta1', kinds: ['StatefulSet'], removedIn: '1.16', replacements: APPS_V1,
    notes: [
      {
        unlessWritten: ['spec', 'updateStrategy', 'type'],
        note: 'spec.updateStrategy.type defaults to RollingUpdate instead of OnDelete, so a template change now replaces the pods one at a time on its own (write updateStrategy: {type: OnDelete} to keep rollouts manual)',
      },
      SELECTOR_REQUIRED,
    ],
  },
  { apiVersion: 'apps/v1beta1', kinds: ['ReplicaSet'], removedIn: '1.16', replacements: APPS_V1, notes: [SELECTOR_REQUIRED] },
  { apiVersion: 'apps/v1beta2', kinds: ['Deployment', 'DaemonSet', 'ReplicaSet', 'StatefulSet'], removedIn: '1.16', replacements: APPS_V1, notes: [] },
  // v1.21
  {
    apiVersion: 'batch/v2alpha1', kinds: ['CronJob'], removedIn: '1.21',
    replacements: [{ apiVersion: 'batch/v1beta1', since: '1.8' }, { apiVersion: 'batch/v1', since: '1.21' }], notes: [],
  },
  // v1.22
  {
    apiVersion: 'extensions/v1beta1', kinds: ['Ingress'], removedIn: '1.22',
    replacements: [{ apiVersion: 'networking.k8s.io/v1beta1', since: '1.14' }, { apiVersion: 'networking.k8s.io/v1', since: '1.19' }],
    notes: [INGRESS_V1],
  },
  {
    apiVersion: 'networking.k8s.io/v1beta1', kinds: ['Ingress'], removedIn: '1.22', replacements: [{ apiVersion: 'networking.k8s.io/v1', since: '1.19' }],
    notes: [INGRESS_V1],
  },
  { apiVersion: 'networking.k8s.io/v1beta1', kinds: ['IngressClass'], removedIn: '1.22', replacements: [{ apiVersion: 'networking.k8s.io/v1', since: '1.19' }], notes: [] },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1beta1', kinds: ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'], removedIn: '1.22',
    replacements: [{ apiVersion: 'rbac.authorization.k8s.io/v1', since: '1.8' }], notes: [],
  },
  {
    apiVersion: 'apiextensions.k8s.io/v1beta1', kinds: ['CustomResourceDefinition'], removedIn: '1.22',
    replacements: [{ apiVersion: 'apiextensions.k8s.io/v1', since: '1.16' }],
    notes: [
      { unlessWritten: ['spec', 'scope'], note: 'spec.scope is no longer defaulted to Namespaced and must be written' },
      { unlessWritten: ['spec', 'preserveUnknownFields'], note: 'unknown fields are pruned (spec.preserveUnknownFields defaulted to true and may not be true in v1) unless the schema keeps them with x-kubernetes-preserve-unknown-fields' },
      { note: 'every version needs a structural spec.versions[*].schema.openAPIV3Schema' },
    ],
  },
  {
    apiVersion: 'admissionregistration.k8s.io/v1beta1', kinds: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'], removedIn: '1.22',
    replacements: [{ apiVersion: 'admissionregistration.k8s.io/v1', since: '1.16' }],
    notes: [{ note: 'webhooks[*].failurePolicy defaults to Fail instead of Ignore, matchPolicy to Equivalent instead of Exact and timeoutSeconds to 10 instead of 30, and sideEffects and admissionReviewVersions become required' }],
  },
  { apiVersion: 'apiregistration.k8s.io/v1beta1', kinds: ['APIService'], removedIn: '1.22', replacements: [{ apiVersion: 'apiregistration.k8s.io/v1', since: '1.10' }], notes: [] },
  { apiVersion: 'authentication.k8s.io/v1beta1', kinds: ['TokenReview'], removedIn: '1.22', replacements: [{ apiVersion: 'authentication.k8s.io/v1', since: '1.6' }], notes: [] },
  {
    apiVersion: 'authorization.k8s.io/v1beta1', kinds: ['LocalSubjectAccessReview', 'SelfSubjectAccessReview', 'SubjectAccessReview'], removedIn: '1.22',
    replacements: [{ apiVersion: 'authorization.k8s.io/v1', since: '1.6' }], notes: [],
  },
  {
    apiVersion: 'certificates.k8s.io/v1beta1', kinds: ['CertificateSigningRequest'], removedIn: '1.22', replacements: [{ apiVersion: 'certificates.k8s.io/v1', since: '1.19' }],
    notes: [{ unlessWritten: ['spec', 'signerName'], note: 'spec.signerName becomes required (v1beta1 defaulted it to kubernetes.io/legacy-unknown, which v1 does not accept)' }],
  },
  { apiVersion: 'coordination.k8s.io/v1beta1', kinds: ['Lease'], removedIn: '1.22', replacements: [{ apiVersion: 'coordination.k8s.io/v1', since: '1.14' }], notes: [] },
  { apiVersion: 'scheduling.k8s.io/v1beta1', kinds: ['PriorityClass'], removedIn: '1.22', replacements: [{ apiVersion: 'scheduling.k8s.io/v1', since: '1.14' }], notes: [] },
  {
    apiVersion: 'storage.k8s.io/v1beta1', kinds: ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'], removedIn: '1.22',
    replacements: [{ apiVersion: 'storage.k8s.io/v1', since: '1.19' }], notes: [],
  },
  // v1.25
  { apiVersion: 'batch/v1beta1', kinds: ['CronJob'], removedIn: '1.25', replacements: [{ apiVersion: 'batch/v1', since: '1.21' }], notes: [] },
  {
    apiVersion: 'discovery.k8s.io/v1beta1', kinds: ['EndpointSlice'], removedIn: '1.25', replacements: [{ apiVersion: 'discovery.k8s.io/v1', since: '1.21' }],
    notes: [{ note: 'endpoints name their node in nodeName and their zone in zone instead of topology, which becomes the read-only deprecatedTopology' }],
  },
  { apiVersion: 'events.k8s.io/v1beta1', kinds: ['Event'], removedIn: '1.25', replacements: [{ apiVersion: 'events.k8s.io/v1', since: '1.19' }], notes: [] },
  {
    apiVersion: 'autoscaling/v2beta1', kinds: ['HorizontalPodAutoscaler'], removedIn: '1.25', replacements: [{ apiVersion: 'autoscaling/v2', since: '1.23' }],
    notes: [{ note: 'each spec.metrics entry names its target as target: {type, averageUtilization, averageValue or value} instead of targetAverageUtilization, targetAverageValue or targetValue' }],
  },
  {
    apiVersion: 'policy/v1beta1', kinds: ['PodDisruptionBudget'], removedIn: '1.25', replacements: [{ apiVersion: 'policy/v1', since: '1.21' }],
    notes: [{ note: 'an empty spec.selector ({}) now selects every pod in the namespace instead of none' }],
  },
  { apiVersion: 'policy/v1beta1', kinds: ['PodSecurityPolicy'], removedIn: '1.25', replacements: [], notes: [], instead: PSA_INSTEAD },
  { apiVersion: 'node.k8s.io/v1beta1', kinds: ['RuntimeClass'], removedIn: '1.25', replacements: [{ apiVersion: 'node.k8s.io/v1', since: '1.20' }], notes: [] },
  // v1.26
  { apiVersion: 'autoscaling/v2beta2', kinds: ['HorizontalPodAutoscaler'], removedIn: '1.26', replacements: [{ apiVersion: 'autoscaling/v2', since: '1.23' }], notes: [] },
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta1', kinds: FLOWCONTROL, removedIn: '1.26',
    replacements: [
      { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta2', since: '1.23' },
      { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', since: '1.26' },
      { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', since: '1.29' },
    ],
    notes: [],
  },
  // v1.27
  { apiVersion: 'storage.k8s.io/v1beta1', kinds: ['CSIStorageCapacity'], removedIn: '1.27', replacements: [{ apiVersion: 'storage.k8s.io/v1', since: '1.24' }], notes: [] },
  // v1.29
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta2', kinds: FLOWCONTROL, removedIn: '1.29',
    replacements: [{ apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', since: '1.26' }, { apiVersion: 'flowcontrol.apiserver.k8s.io/v1', since: '1.29' }],
    notes: [],
  },
  // v1.32
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', kinds: FLOWCONTROL, removedIn: '1.32',
    replacements: [{ apiVersion: 'flowcontrol.apiserver.k8s.io/v1', since: '1.29' }], notes: [],
  },
];

/** The removal entry for an apiVersion and kind, whatever the target version. */
export function removedApi(apiVersion: string, kind: string): RemovedApi | undefined {
  return REMOVED_APIS.find((r) => r.apiVersion === apiVersion && r.kinds.includes(kind));
}

/** True when `version` no longer serves `apiVersion` for `kind`. */
export function isRemovedAt(apiVersion: string, kind: string, version: string): boolean {
  const r = removedApi(apiVersion, kind);
  return r !== undefined && versionAtLeast(version, r.removedIn);
}

/** The newest replacement that `version` serves for `kind`, or undefined when none is (the kind itself is gone). */
export function replacementAt(r: RemovedApi, kind: string, version: string): string | undefined {
  for (let i = r.replacements.length - 1; i >= 0; i--) {
    const candidate = r.replacements[i]!;
    if (versionAtLeast(version, candidate.since) && !isRemovedAt(candidate.apiVersion, kind, version)) return candidate.apiVersion;
  }
  return undefined;
}
