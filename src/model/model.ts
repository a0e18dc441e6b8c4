import type { Cluster } from './cluster.js';
import { podViewOf, type PodView } from './pod-view.js';
import type { KubeObject } from './types.js';

/** Everything the analyses read: the objects, their pod views, and the cluster. */
export interface Model {
  readonly objects: readonly KubeObject[];
  readonly podViews: readonly PodView[];
  readonly cluster: Cluster;
  /** Later copies of an object defined more than once; cross-object analyses skip them. */
  readonly duplicates: ReadonlySet<KubeObject>;
  /** Find an object by kind, namespace (`default` when unwritten) and name. */
  find(kind: string, namespace: string, name: string): KubeObject | undefined;
}

export function buildModel(objects: readonly KubeObject[], cluster: Cluster, duplicates: ReadonlySet<KubeObject> = new Set()): Model {
  const podViews: PodView[] = [];
  const index = new Map<string, KubeObject>();
  for (const o of objects) {
    const v = podViewOf(o);
    if (v) podViews.push(v);
    const key = `${o.kind}\u0000${o.namespace ?? 'default'}\u0000${o.name}`;
    if (!index.has(key)) index.set(key, o);
  }
  return {
    objects, podViews, cluster, duplicates,
    find: (kind, namespace, name) => index.get(`${kind}\u0000${namespace}\u0000${name}`),
  };
}
