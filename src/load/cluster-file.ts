/**
 * `--cluster FILE`: real `Node` objects (`kubectl get nodes -o yaml`), a `KubeletConfiguration`
 * and/or a `hostnet.dev/v1 ClusterProfile`, in any order and number of documents, applied over
 * the embedded default in this order: profile, kubelet configuration, Node objects.
 */
import type { Cluster, ClusterNode, NodeAddress, Taint } from '../model/cluster.js';
import { parseVersion } from '../model/cluster.js';
import { applyProfile, ClusterProfileSchema } from '../model/cluster-profile.js';
import { DEFAULT_CLUSTER } from '../model/default-cluster.js';
import { isRecord } from '../model/pod-view.js';
import { formatPath, type Finding, type KubeObject } from '../model/types.js';
import { loadIssue, loadText } from './objects.js';

export interface ClusterLoad {
  readonly cluster: Cluster;
  readonly issues: Finding[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function nodeFrom(o: KubeObject, issues: Finding[]): ClusterNode {
  const raw = o.raw as Record<string, unknown>;
  const meta = isRecord(raw.metadata) ? raw.metadata : {};
  const spec = isRecord(raw.spec) ? raw.spec : {};
  const status = isRecord(raw.status) ? raw.status : {};
  const labels: Record<string, string> = {};
  if (isRecord(meta.labels)) for (const [k, v] of Object.entries(meta.labels)) labels[k] = String(v);
  const taints: Taint[] = [];
  if (Array.isArray(spec.taints)) {
    spec.taints.forEach((t, i) => {
      if (isRecord(t) && typeof t.key === 'string' && (t.effect === 'NoSchedule' || t.effect === 'PreferNoSchedule' || t.effect === 'NoExecute')) {
        taints.push({ key: t.key, effect: t.effect, ...(typeof t.value === 'string' ? { value: t.value } : {}) });
      } else {
        const at = o.source.locator.locate(['spec', 'taints', i]);
        issues.push(loadIssue('invalid-cluster-file', `Node ${o.name} has a taint without a key or with an unknown effect; hostnet ignores that taint.`, o.source.file, at.line, at.column));
      }
    });
  }
  const addresses: NodeAddress[] = Array.isArray(status.addresses)
    ? status.addresses.filter(isRecord).filter((a) => typeof a.address === 'string' && typeof a.type === 'string')
      .map((a) => ({ type: a.type as NodeAddress['type'], address: a.address as string }))
    : [];
  const allocatable: Record<string, string> = {};
  if (isRecord(status.allocatable)) for (const [k, v] of Object.entries(status.allocatable)) allocatable[k] = String(v);
  const podCIDR = str(spec.podCIDR);
  return {
    name: o.name,
    labels,
    taints,
    addresses,
    allocatable,
    unschedulable: spec.unschedulable === true,
    ...(podCIDR ? { podCIDR } : {}),
    os: labels['kubernetes.io/os'] === 'windows' ? 'windows' : 'linux',
  };
}

/** Read a cluster description; problems are findings and the rest still applies. */
export function loadClusterText(file: string, text: string, base: Cluster = DEFAULT_CLUSTER): ClusterLoad {
  const loaded = loadText(file, text);
  const issues: Finding[] = [...loaded.issues];
  let cluster: Cluster = base;
  const nodes: ClusterNode[] = [];
  let kubeletVersion: [number, number] | undefined;
  const kubelets: KubeObject[] = [];
  let profileVersion = false;

  for (const o of loaded.objects) {
    if (o.kind === 'ClusterProfile') {
      const parsed = ClusterProfileSchema.safeParse(o.raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) {
          const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
          const at = o.source.locator.locate(path);
          issues.push(loadIssue('invalid-cluster-file', `ClusterProfile ${o.name}: ${formatPath(path) || 'the document'}: ${issue.message}.`, file, at.line, at.column));
        }
        continue;
      }
      cluster = applyProfile(cluster, parsed.data);
      profileVersion ||= parsed.data.spec.kubernetesVersion !== undefined;
    } else if (o.kind === 'KubeletConfiguration') {
      kubelets.push(o);
    } else if (o.kind === 'Node') {
      nodes.push(nodeFrom(o, issues));
      const info = (o.raw as { status?: { nodeInfo?: { kubeletVersion?: unknown } } }).status?.nodeInfo?.kubeletVersion;
      const v = typeof info === 'string' ? parseVersion(info) : undefined;
      if (v && (!kubeletVersion || v[0] < kubeletVersion[0] || (v[0] === kubeletVersion[0] && v[1] < kubeletVersion[1]))) kubeletVersion = v;
    } else {
      const at = o.source.locator.locate([]);
      issues.push(loadIssue('invalid-cluster-file', `A cluster file holds Node, KubeletConfiguration and ClusterProfile objects; this ${o.kind} is ignored.`, file, at.line, at.column, { severity: 'warning' }));
    }
  }
  for (const k of kubelets) {
    const raw = k.raw as Record<string, unknown>;
    const dns = raw.clusterDNS;
    const clusterDNS = Array.isArray(dns) ? dns.filter((x): x is string => typeof x === 'string') : undefined;
    const domain = str(raw.clusterDomain);
    const resolv = str(raw.resolvConf);
    cluster = {
      ...cluster,
      ...(clusterDNS ? { clusterDNS } : {}),
      ...(domain !== undefined ? { clusterDomain: domain } : {}),
      ...(resolv !== undefined ? { resolvConf: { path: resolv, content: resolv === '' ? '' : cluster.resolvConf.content } } : {}),
    };
  }
  if (nodes.length > 0) cluster = { ...cluster, nodes };
  if (kubeletVersion && !profileVersion) cluster = { ...cluster, kubernetesVersion: `${kubeletVersion[0]}.${kubeletVersion[1]}` };
  if (loaded.objects.length === 0 && issues.length === 0) {
    issues.push(loadIssue('invalid-cluster-file', `${file} holds no Node, KubeletConfiguration or ClusterProfile object, so hostnet uses the embedded default cluster.`, file, 1, 1, { severity: 'warning' }));
  }
  if (cluster.nodes.length === 0) {
    issues.push(loadIssue('invalid-cluster-file', `The cluster from ${file} has no nodes, so nothing can be scheduled; add Node objects or spec.nodes.`, file, 1, 1));
  }
  return { cluster, issues };
}
