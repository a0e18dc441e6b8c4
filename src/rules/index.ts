/**
 * The registry: every rule, sorted by id. A meta-test checks that each file in this folder is here
 * and that each has its test table and its doc page.
 */
import type { AnyRule } from './define-rule.js';
import clusterFirstWithHostNetWithoutHostNetwork from './cluster-first-with-host-net-without-host-network.js';
import daemonsetSkipsNodes from './daemonset-skips-nodes.js';
import dnsConfigLimits from './dns-config-limits.js';
import dnsNoneWithoutNameservers from './dns-none-without-nameservers.js';
import dnsOutageExposure from './dns-outage-exposure.js';
import dnsSearchTruncated from './dns-search-truncated.js';
import duplicateHostPort from './duplicate-host-port.js';
import externalTrafficPolicyLocalGaps from './external-traffic-policy-local-gaps.js';
import hostIpNotNodeAddress from './host-ip-not-node-address.js';
import hostNetworkClusterDns from './host-network-cluster-dns.js';
import hostNetworkPrivileges from './host-network-privileges.js';
import hostNetworkSysctl from './host-network-sysctl.js';
import hostPortConflict from './host-port-conflict.js';
import hostPortInNodePortRange from './host-port-in-node-port-range.js';
import hostPortMismatch from './host-port-mismatch.js';
import hostPortReserved from './host-port-reserved.js';
import hostPortWithoutPortmap from './host-port-without-portmap.js';
import hostUserNamespace from './host-user-namespace.js';
import invalidDnsPolicy from './invalid-dns-policy.js';
import invalidPort from './invalid-port.js';
import invalidTrafficPolicy from './invalid-traffic-policy.js';
import misplacedPodField from './misplaced-pod-field.js';
import ndotsQueryAmplification from './ndots-query-amplification.js';
import networkPolicyBlocksDns from './network-policy-blocks-dns.js';
import nodePortConflict from './node-port-conflict.js';
import nodePortShadowsHostPort from './node-port-shadows-host-port.js';
import privilegedHostPort from './privileged-host-port.js';
import removedApiVersion from './removed-api-version.js';
import rolloutStalls from './rollout-stalls.js';
import serviceSelectsNothing from './service-selects-nothing.js';
import serviceTargetPortMismatch from './service-target-port-mismatch.js';
import unresolvableServiceName from './unresolvable-service-name.js';
import unschedulableReplicas from './unschedulable-replicas.js';

export const RULES: readonly AnyRule[] = [
  clusterFirstWithHostNetWithoutHostNetwork,
  daemonsetSkipsNodes,
  dnsConfigLimits,
  dnsNoneWithoutNameservers,
  dnsOutageExposure,
  dnsSearchTruncated,
  duplicateHostPort,
  externalTrafficPolicyLocalGaps,
  hostIpNotNodeAddress,
  hostNetworkClusterDns,
  hostNetworkPrivileges,
  hostNetworkSysctl,
  hostPortConflict,
  hostPortInNodePortRange,
  hostPortMismatch,
  hostPortReserved,
  hostPortWithoutPortmap,
  hostUserNamespace,
  invalidDnsPolicy,
  invalidPort,
  invalidTrafficPolicy,
  misplacedPodField,
  ndotsQueryAmplification,
  networkPolicyBlocksDns,
  nodePortConflict,
  nodePortShadowsHostPort,
  privilegedHostPort,
  removedApiVersion,
  rolloutStalls,
  serviceSelectsNothing,
  serviceTargetPortMismatch,
  unresolvableServiceName,
  unschedulableReplicas,
];

export function ruleById(id: string): AnyRule | undefined {
  return RULES.find((r) => r.id === id);
}
