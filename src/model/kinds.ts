/**
 * Which kinds carry pods, where each keeps its pod template, and the apiVersions they were served under.
 * Only this module and pod-view.ts know where a kind keeps its template.
 */
import type { FieldPath } from './types.js';

export type WorkloadKind = 'Pod' | 'Deployment' | 'DaemonSet' | 'StatefulSet' | 'ReplicaSet' | 'ReplicationController' | 'Job' | 'CronJob';

export const POD_SPEC_PATH: Readonly<Record<WorkloadKind, FieldPath>> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Every apiVersion each workload kind has been served under, oldest first. */
export const WORKLOAD_API_VERSIONS: Readonly<Record<WorkloadKind, readonly string[]>> = {
  Pod: ['v1'],
  Deployment: ['extensions/v1beta1', 'apps/v1beta1', 'apps/v1beta2', 'apps/v1'],
  DaemonSet: ['extensions/v1beta1', 'apps/v1beta2', 'apps/v1'],
  StatefulSet: ['apps/v1beta1', 'apps/v1beta2', 'apps/v1'],
  ReplicaSet: ['extensions/v1beta1', 'apps/v1beta2', 'apps/v1'],
  ReplicationController: ['v1'],
  Job: ['batch/v1'],
  CronJob: ['batch/v2alpha1', 'batch/v1beta1', 'batch/v1'],
};

export function isWorkloadKind(kind: string): kind is WorkloadKind {
  return Object.prototype.hasOwnProperty.call(POD_SPEC_PATH, kind);
}

/** Kinds whose objects are not namespaced, so `metadata.namespace` is ignored and identity has no namespace. */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace', 'Node', 'PersistentVolume', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition',
  'StorageClass', 'PriorityClass', 'IngressClass', 'RuntimeClass', 'CSIDriver', 'CSINode', 'APIService',
  'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding', 'PodSecurityPolicy', 'VolumeAttachment', 'CertificateSigningRequest',
  'ComponentStatus', 'SecurityContextConstraints', 'ClusterRoleList', 'GatewayClass',
]);
