/**
 * The registry: every rule, sorted by id. A meta-test checks that each file in this folder is here
 * and that each has its test table and its doc page.
 */
import type { AnyRule } from './define-rule.js';
import clusterFirstWithHostNetWithoutHostNetwork from './cluster-first-with-host-net-without-host-network.js';
import dnsConfigLimits from './dns-config-limits.js';
import dnsNoneWithoutNameservers from './dns-none-without-nameservers.js';
import duplicateHostPort from './duplicate-host-port.js';
import hostNetworkClusterDns from './host-network-cluster-dns.js';
import hostNetworkPrivileges from './host-network-privileges.js';
import hostNetworkSysctl from './host-network-sysctl.js';
import hostPortMismatch from './host-port-mismatch.js';
import hostUserNamespace from './host-user-namespace.js';
import invalidDnsPolicy from './invalid-dns-policy.js';
import invalidPort from './invalid-port.js';
import misplacedPodField from './misplaced-pod-field.js';
import privilegedHostPort from './privileged-host-port.js';
import removedApiVersion from './removed-api-version.js';

export const RULES: readonly AnyRule[] = [
  clusterFirstWithHostNetWithoutHostNetwork,
  dnsConfigLimits,
  dnsNoneWithoutNameservers,
  duplicateHostPort,
  hostNetworkClusterDns,
  hostNetworkPrivileges,
  hostNetworkSysctl,
  hostPortMismatch,
  hostUserNamespace,
  invalidDnsPolicy,
  invalidPort,
  misplacedPodField,
  privilegedHostPort,
  removedApiVersion,
];

export function ruleById(id: string): AnyRule | undefined {
  return RULES.find((r) => r.id === id);
}
