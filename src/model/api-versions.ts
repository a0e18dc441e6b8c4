/**
 * apiVersions Kubernetes stopped serving, the replacement, and the defaults that change on the way
 * (the part that matters for host networking: update strategies decide how pods holding host
 * ports are replaced). Ref: kubernetes.io "Deprecated API Migration Guide"; the removed groups'
 * defaulters (extensions/v1beta1, apps/v1beta1, apps/v1beta2).
 */

export interface RemovedApi {
  readonly apiVersion: string;
  readonly kinds: readonly string[];
  /** First minor version that no longer serves it. */
  readonly removedIn: string;
  /** The apiVersion to use instead, or undefined when the kind itself is gone. */
  readonly replacement?: string;
  /** What changes when moving, said for the message. */
  readonly changes?: string;
}

export const REMOVED_APIS: readonly RemovedApi[] = [
  {
    apiVersion: 'extensions/v1beta1', kinds: ['DaemonSet'], removedIn: '1.16', replacement: 'apps/v1',
    changes: 'the default updateStrategy changes from OnDelete to RollingUpdate (maxUnavailable 1), so template changes now replace the host-network pods node by node on their own, and spec.selector becomes required',
  },
  {
    apiVersion: 'extensions/v1beta1', kinds: ['Deployment'], removedIn: '1.16', replacement: 'apps/v1',
    changes: 'rolling-update defaults change from maxSurge 1 / maxUnavailable 1 to 25% / 25%, revisionHistoryLimit from unlimited to 10, progressDeadlineSeconds is set to 600, and spec.selector becomes required',
  },
  { apiVersion: 'extensions/v1beta1', kinds: ['ReplicaSet'], removedIn: '1.16', replacement: 'apps/v1', changes: 'spec.selector becomes required' },
  { apiVersion: 'extensions/v1beta1', kinds: ['NetworkPolicy'], removedIn: '1.16', replacement: 'networking.k8s.io/v1' },
  { apiVersion: 'extensions/v1beta1', kinds: ['PodSecurityPolicy'], removedIn: '1.16', replacement: 'policy/v1beta1', changes: 'PodSecurityPolicy itself was removed in 1.25; use Pod Security Admission' },
  { apiVersion: 'extensions/v1beta1', kinds: ['Ingress'], removedIn: '1.22', replacement: 'networking.k8s.io/v1' },
  {
    apiVersion: 'apps/v1beta1', kinds: ['Deployment'], removedIn: '1.16', replacement: 'apps/v1',
    changes: 'revisionHistoryLimit changes from 2 to 10 and spec.selector becomes required',
  },
  {
    apiVersion: 'apps/v1beta1', kinds: ['StatefulSet'], removedIn: '1.16', replacement: 'apps/v1',
    changes: 'the default updateStrategy changes from OnDelete to RollingUpdate, so pods are replaced one by one on their own',
  },
  { apiVersion: 'apps/v1beta2', kinds: ['Deployment', 'DaemonSet', 'ReplicaSet', 'StatefulSet'], removedIn: '1.16', replacement: 'apps/v1' },
  { apiVersion: 'batch/v2alpha1', kinds: ['CronJob'], removedIn: '1.21', replacement: 'batch/v1' },
  { apiVersion: 'batch/v1beta1', kinds: ['CronJob'], removedIn: '1.25', replacement: 'batch/v1' },
  { apiVersion: 'policy/v1beta1', kinds: ['PodSecurityPolicy'], removedIn: '1.25', changes: 'there is no replacement; use Pod Security Admission namespace labels' },
  { apiVersion: 'policy/v1beta1', kinds: ['PodDisruptionBudget'], removedIn: '1.25', replacement: 'policy/v1', changes: 'an empty selector now selects every pod in the namespace' },
  { apiVersion: 'networking.k8s.io/v1beta1', kinds: ['Ingress', 'IngressClass'], removedIn: '1.22', replacement: 'networking.k8s.io/v1' },
  { apiVersion: 'rbac.authorization.k8s.io/v1beta1', kinds: ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'], removedIn: '1.22', replacement: 'rbac.authorization.k8s.io/v1' },
  { apiVersion: 'apiextensions.k8s.io/v1beta1', kinds: ['CustomResourceDefinition'], removedIn: '1.22', replacement: 'apiextensions.k8s.io/v1', changes: 'spec.preserveUnknownFields defaults to false and a structural schema is required' },
  { apiVersion: 'admissionregistration.k8s.io/v1beta1', kinds: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'], removedIn: '1.22', replacement: 'admissionregistration.k8s.io/v1', changes: 'failurePolicy defaults to Fail instead of Ignore and timeoutSeconds to 10 instead of 30' },
  { apiVersion: 'scheduling.k8s.io/v1beta1', kinds: ['PriorityClass'], removedIn: '1.22', replacement: 'scheduling.k8s.io/v1' },
  { apiVersion: 'discovery.k8s.io/v1beta1', kinds: ['EndpointSlice'], removedIn: '1.25', replacement: 'discovery.k8s.io/v1' },
  { apiVersion: 'node.k8s.io/v1beta1', kinds: ['RuntimeClass'], removedIn: '1.25', replacement: 'node.k8s.io/v1' },
  { apiVersion: 'autoscaling/v2beta1', kinds: ['HorizontalPodAutoscaler'], removedIn: '1.25', replacement: 'autoscaling/v2' },
  { apiVersion: 'autoscaling/v2beta2', kinds: ['HorizontalPodAutoscaler'], removedIn: '1.26', replacement: 'autoscaling/v2' },
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta1', kinds: ['FlowSchema', 'PriorityLevelConfiguration'], removedIn: '1.26', replacement: 'flowcontrol.apiserver.k8s.io/v1' },
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta2', kinds: ['FlowSchema', 'PriorityLevelConfiguration'], removedIn: '1.29', replacement: 'flowcontrol.apiserver.k8s.io/v1' },
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', kinds: ['FlowSchema', 'PriorityLevelConfiguration'], removedIn: '1.32', replacement: 'flowcontrol.apiserver.k8s.io/v1' },
  { apiVersion: 'storage.k8s.io/v1beta1', kinds: ['CSIStorageCapacity'], removedIn: '1.27', replacement: 'storage.k8s.io/v1' },
  { apiVersion: 'storage.k8s.io/v1beta1', kinds: ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'], removedIn: '1.22', replacement: 'storage.k8s.io/v1' },
  { apiVersion: 'certificates.k8s.io/v1beta1', kinds: ['CertificateSigningRequest'], removedIn: '1.22', replacement: 'certificates.k8s.io/v1' },
  { apiVersion: 'coordination.k8s.io/v1beta1', kinds: ['Lease'], removedIn: '1.22', replacement: 'coordination.k8s.io/v1' },
  { apiVersion: 'events.k8s.io/v1beta1', kinds: ['Event'], removedIn: '1.25', replacement: 'events.k8s.io/v1' },
];

/** The removal entry for an apiVersion and kind, if that pair is not served any more by some version. */
export function removedApi(apiVersion: string, kind: string): RemovedApi | undefined {
  return REMOVED_APIS.find((r) => r.apiVersion === apiVersion && r.kinds.includes(kind));
}
