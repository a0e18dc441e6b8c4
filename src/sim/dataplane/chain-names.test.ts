import { describe, expect, test } from 'vitest';
import { CNI_HOSTPORT_DNAT, formatHashWithPrefix, portmapDnatChainName, portmapSnatChainName } from './chain-names.js';

// The container id and the expected names are the values of containernetworking/plugins
// plugins/meta/portmap/portmap_iptables_test.go ("generates a correct standard container chain").
const CONTAINER_ID = 'icee6giejonei6sohng6ahngee7laquohquee9shiGo7fohferakah3Feiyoolu2pei7ciPhoh7shaoX6vai3vuf0ahfaeng8yohb9ceu0daez5hashee8ooYai5wa3y';

describe('portmap chain names, bit for bit', () => {
  test.for([
    ['testNetName', 'CNI-DN-bfd599665540dd91d5d28'],
    ['test', 'CNI-DN-67e92b96e692a494b6b85'],
  ] as const)('network %s', ([net, want]) => {
    expect(portmapDnatChainName(net, CONTAINER_ID)).toBe(want);
  });

  test('the SNAT chain shares the hash with another prefix', () => {
    expect(portmapSnatChainName('testNetName', CONTAINER_ID)).toBe('CNI-SN-bfd599665540dd91d5d28');
  });

  test('names are exactly 28 characters, the iptables limit', () => {
    expect(portmapDnatChainName('k8s-pod-network', 'a'.repeat(64))).toHaveLength(28);
    expect(CNI_HOSTPORT_DNAT).toBe('CNI-HOSTPORT-DNAT');
  });

  test('a prefix that leaves no room for the hash is a bug, not a finding', () => {
    expect(() => formatHashWithPrefix(4, 'CNI-', 'x')).toThrow(/hostnet bug/);
  });
});
