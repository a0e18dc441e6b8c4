/** Build a Model from YAML text for simulator tests; the YAML must load cleanly. */
import { deepFreeze } from '../engine/config.js';
import { findDuplicateObjects, loadText } from '../load/objects.js';
import type { Cluster, ClusterNode } from '../model/cluster.js';
import { DEFAULT_CLUSTER } from '../model/default-cluster.js';
import { buildModel, type Model } from '../model/model.js';

export function modelOf(source: string, cluster: Partial<Cluster> = {}): Model {
  const loaded = loadText('test.yaml', source);
  if (loaded.issues.length > 0) {
    throw new Error(`the test YAML does not load cleanly: ${loaded.issues.map((i) => `${i.line}:${i.column} ${i.message}`).join('; ')}`);
  }
  for (const o of loaded.objects) deepFreeze(o.raw);
  const { duplicates } = findDuplicateObjects(loaded.objects);
  return buildModel(loaded.objects, { ...DEFAULT_CLUSTER, ...cluster }, duplicates);
}

/** A plain Linux worker node for generated clusters. */
export function workerNode(name: string, extra: Partial<ClusterNode> = {}): ClusterNode {
  return {
    name,
    labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' },
    taints: [],
    addresses: [{ type: 'InternalIP', address: '192.168.0.1' }],
    allocatable: { cpu: '4', memory: '16Gi', pods: '110' },
    unschedulable: false,
    os: 'linux',
    ...extra,
  };
}
