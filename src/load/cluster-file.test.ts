import { DUMP_SCHEMA, dump } from 'js-yaml';
import { describe, expect, test } from 'vitest';
import { toProfile } from '../model/cluster-profile.js';
import { DEFAULT_CLUSTER } from '../model/default-cluster.js';
import { yaml } from '../testing/yaml.js';
import { loadClusterText } from './cluster-file.js';

describe('loadClusterText', () => {
  test('the embedded cluster printed as a ClusterProfile loads back to the same cluster', () => {
    const text = dump(toProfile(DEFAULT_CLUSTER), { schema: DUMP_SCHEMA });
    const { cluster, issues } = loadClusterText('default.yaml', text);
    expect(issues).toEqual([]);
    expect(cluster).toEqual(DEFAULT_CLUSTER);
  });

  test('kubectl get nodes -o yaml (a List of Node objects) replaces the nodes and sets the version', () => {
    const { cluster, issues } = loadClusterText('nodes.yaml', yaml`
      apiVersion: v1
      kind: List
      items:
        - apiVersion: v1
          kind: Node
          metadata:
            name: cp
            labels: {kubernetes.io/os: linux, node-role.kubernetes.io/control-plane: ""}
          spec:
            podCIDR: 10.244.0.0/24
            taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]
          status:
            addresses: [{type: InternalIP, address: 172.18.0.2}]
            allocatable: {cpu: "8", pods: "110"}
            nodeInfo: {kubeletVersion: v1.29.4}
        - apiVersion: v1
          kind: Node
          metadata: {name: w1}
          spec: {unschedulable: true}
          status:
            nodeInfo: {kubeletVersion: v1.30.1}
    `);
    expect(issues).toEqual([]);
    expect(cluster.nodes.map((n) => [n.name, n.unschedulable, n.taints.length, n.addresses[0]?.address])).toEqual([
      ['cp', false, 1, '172.18.0.2'],
      ['w1', true, 0, undefined],
    ]);
    expect(cluster.kubernetesVersion).toBe('1.29');
    expect(cluster.clusterDNS).toEqual(DEFAULT_CLUSTER.clusterDNS);
  });

  test('a KubeletConfiguration sets clusterDNS, clusterDomain and resolvConf', () => {
    const { cluster } = loadClusterText('kubelet.yaml', yaml`
      apiVersion: kubelet.config.k8s.io/v1beta1
      kind: KubeletConfiguration
      clusterDNS: [169.254.20.10]
      clusterDomain: corp.local
      resolvConf: /run/systemd/resolve/resolv.conf
    `);
    expect(cluster.clusterDNS).toEqual(['169.254.20.10']);
    expect(cluster.clusterDomain).toBe('corp.local');
    expect(cluster.resolvConf.path).toBe('/run/systemd/resolve/resolv.conf');
  });

  test('an invalid ClusterProfile field is a finding at its line; other documents still apply', () => {
    const { cluster, issues } = loadClusterText('bad.yaml', yaml`
      apiVersion: hostnet.dev/v1
      kind: ClusterProfile
      metadata: {name: bad}
      spec:
        proxyMode: userspace
      ---
      apiVersion: kubelet.config.k8s.io/v1beta1
      kind: KubeletConfiguration
      clusterDomain: still.applied
    `);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ ruleId: 'invalid-cluster-file', line: 5, column: 3 });
    expect(issues[0]!.message).toMatch(/^ClusterProfile bad: spec\.proxyMode: .+\.$/);
    expect(cluster.clusterDomain).toBe('still.applied');
  });

  test('other kinds are ignored with a warning', () => {
    const { issues } = loadClusterText('mixed.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n');
    expect(issues.map((i) => [i.ruleId, i.severity])).toEqual([['invalid-cluster-file', 'warning']]);
  });
});
