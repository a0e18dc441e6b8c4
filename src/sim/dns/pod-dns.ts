/**
 * The kubelet's DNS inputs from the Cluster value, and the resolv.conf of a PodView on it.
 */
import { versionAtLeast, type Cluster } from '../../model/cluster.js';
import type { PodView } from '../../model/pod-view.js';
import { podDns, type KubeletDns, type PodDns } from './resolv-conf.js';

/**
 * KDNS-1 from the cluster: clusterDNS, clusterDomain, the resolvConf path and content, the node's
 * addresses. ExpandedDNSConfig (32 searches, 2048 characters) is on by default from v1.26 (KDNS-9).
 */
export function kubeletDnsOf(cluster: Cluster, nodeName?: string): KubeletDns {
  const node = nodeName === undefined ? cluster.nodes[0] : cluster.nodes.find((n) => n.name === nodeName);
  return {
    clusterDNS: cluster.clusterDNS,
    clusterDomain: cluster.clusterDomain,
    resolvConf: cluster.resolvConf,
    nodeIPs: node?.addresses.filter((a) => a.type === 'InternalIP').map((a) => a.address) ?? [],
    expandedDNSConfig: versionAtLeast(cluster.kubernetesVersion, '1.26'),
  };
}

/** The pod's DNS as the kubelet builds it; undefined when the dnsPolicy is not a value Kubernetes knows (VAL-14). */
export function podDnsOf(view: PodView, kubelet: KubeletDns): PodDns | undefined {
  return podDns({ namespace: view.namespace, dnsPolicy: view.dnsPolicy, hostNetwork: view.hostNetwork, dnsConfig: view.spec.dnsConfig }, kubelet);
}
