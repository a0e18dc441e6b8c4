/**
 * The registry: every rule, sorted by id. A meta-test checks that each file in this folder is here
 * and that each has its test table and its doc page.
 */
import type { AnyRule } from './define-rule.js';
import clusterFirstWithHostNetWithoutHostNetwork from './cluster-first-with-host-net-without-host-network.js';
import dnsConfigLimits from './dns-config-limits.js';
import dnsNoneWithoutNameservers from './dns-none-without-nameservers.js';
import hostNetworkClusterDns from './host-network-cluster-dns.js';
import invalidDnsPolicy from './invalid-dns-policy.js';

export const RULES: readonly AnyRule[] = [
  clusterFirstWithHostNetWithoutHostNetwork,
  dnsConfigLimits,
  dnsNoneWithoutNameservers,
  hostNetworkClusterDns,
  invalidDnsPolicy,
];

export function ruleById(id: string): AnyRule | undefined {
  return RULES.find((r) => r.id === id);
}
