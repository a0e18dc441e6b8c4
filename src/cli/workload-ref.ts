/**
 * `kind/name` arguments as kubectl takes them (`deploy/web`, `DaemonSet/agent`, `-n kube-system`),
 * resolved against the loaded workloads.
 */
import type { PodView } from '../model/pod-view.js';

const ALIASES: Readonly<Record<string, string>> = {
  po: 'Pod', pod: 'Pod', pods: 'Pod',
  deploy: 'Deployment', deployment: 'Deployment', deployments: 'Deployment',
  ds: 'DaemonSet', daemonset: 'DaemonSet', daemonsets: 'DaemonSet',
  sts: 'StatefulSet', statefulset: 'StatefulSet', statefulsets: 'StatefulSet',
  rs: 'ReplicaSet', replicaset: 'ReplicaSet', replicasets: 'ReplicaSet',
  rc: 'ReplicationController', replicationcontroller: 'ReplicationController', replicationcontrollers: 'ReplicationController',
  job: 'Job', jobs: 'Job',
  cj: 'CronJob', cronjob: 'CronJob', cronjobs: 'CronJob',
};

export type Resolved = { readonly view: PodView } | { readonly error: string };

export function resolveWorkload(ref: string, views: readonly PodView[], namespace?: string): Resolved {
  const m = /^([A-Za-z]+)\/([^/\s]+)$/.exec(ref);
  if (!m) return { error: `${ref}: name a workload as kind/name, for example deploy/web or daemonset/node-agent (add -n NAMESPACE when the name is in several namespaces).` };
  const kind = ALIASES[m[1]!.toLowerCase()];
  if (!kind) return { error: `${ref}: ${m[1]} is not a kind that runs pods; use Pod, Deployment, DaemonSet, StatefulSet, ReplicaSet, ReplicationController, Job or CronJob.` };
  const name = m[2]!;
  const found = views.filter((v) => v.kind === kind && v.object.name === name && (namespace === undefined || v.namespace === namespace));
  if (found.length === 0) {
    const where = namespace === undefined ? '' : ` in namespace ${namespace}`;
    const same = views.filter((v) => v.kind === kind).map((v) => `${v.namespace}/${v.object.name}`);
    const hint = same.length > 0 ? ` The ${kind}s loaded are: ${same.slice(0, 10).join(', ')}${same.length > 10 ? ', …' : ''}.` : ` No ${kind} was loaded.`;
    return { error: `${ref}: no ${kind} named ${name}${where} in the manifests.${hint}` };
  }
  const namespaces = [...new Set(found.map((v) => v.namespace))];
  if (namespaces.length > 1) return { error: `${ref}: there is a ${kind} named ${name} in several namespaces (${namespaces.join(', ')}); add -n NAMESPACE.` };
  return { view: found[0]! };
}
