/**
 * kube-proxy writes its high-volume rules directly in iptables-save form so that normalizeRule
 * keeps them as they are (a speed measure for the 10k-Service bench). This proves the writing is
 * canonical: normalizing any rule writeKubeProxyRules stored gives the same tokens back, and the
 * rules written canonically are kept as the very same array (the fast path is taken).
 */
import { describe, expect, test } from 'vitest';
import { benchServices } from '../../bench/dataplane.js';
import { DEFAULT_KUBE_PROXY_CONFIG, writeKubeProxyRules, type KubeProxyConfig } from './kube-proxy.js';
import { normalizeRule } from './normalize.js';
import { RulesetBuilder } from './ruleset.js';

const node = { name: 'node-0', ips: ['192.168.0.10'] };

function rulesOf(services: number, endpoints: number, config: KubeProxyConfig): (readonly string[])[] {
  const b = new RulesetBuilder('ipv4');
  writeKubeProxyRules(b, node, benchServices(services, endpoints, 2), config);
  return b.build().tables.flatMap((t) => t.chains.flatMap((c) => c.rules));
}

const configs: [string, KubeProxyConfig][] = [
  ['default', DEFAULT_KUBE_PROXY_CONFIG],
  ['cluster CIDR', { ...DEFAULT_KUBE_PROXY_CONFIG, clusterCIDRs: ['10.244.0.0/16'] }],
  ['masquerade-all', { ...DEFAULT_KUBE_PROXY_CONFIG, masqueradeAll: true }],
];

describe('writeKubeProxyRules stores rules that normalizeRule gives back unchanged', () => {
  // 40 Services × 3 endpoints keeps the per-endpoint comments; 400 × 3 is above the large-cluster threshold.
  for (const [services, endpoints] of [[40, 3], [400, 3]] as const) {
    for (const [label, config] of configs) {
      test(`${services} services × ${endpoints} endpoints, ${label}`, () => {
        const rules = rulesOf(services, endpoints, config);
        const changed = rules.filter((r) => normalizeRule(r, 'ipv4').join(' ') !== r.join(' '));
        expect(changed).toEqual([]);
        // Every rule of a KUBE-SEP chain and the service jumps come back as the same array.
        const kept = rules.filter((r) => normalizeRule(r, 'ipv4') === r).length;
        expect(kept).toBeGreaterThan(rules.length * 0.9);
      });
    }
  }
});

describe('normalizeRule keeps canonical rules and still rewrites the rest', () => {
  test('a canonical rule is returned as it is', () => {
    const rule = ['-d', '10.96.0.1/32', '-p', 'tcp', '-m', 'comment', '--comment', 'x', '-m', 'tcp', '--dport', '443', '-j', 'KUBE-SVC-X'];
    expect(normalizeRule(rule, 'ipv4')).toBe(rule);
  });
  test.each([
    [['-d', '10.96.0.1', '-j', 'X'], '-d 10.96.0.1/32 -j X'],
    [['-d', '10.244.1.5/24', '-j', 'X'], '-d 10.244.1.0/24 -j X'],
    [['-d', '10.244.1.0/024', '-j', 'X'], '-d 10.244.1.0/24 -j X'],
    [['-d', '010.96.0.1/32', '-j', 'X'], '-d 010.96.0.1/32 -j X'],
    [['-p', 'tcp', '-d', '10.96.0.1/32', '-j', 'X'], '-d 10.96.0.1/32 -p tcp -j X'],
    [['-m', 'comment', '--comment', 'x', '-s', '10.0.0.1/32', '-j', 'X'], '-s 10.0.0.1/32 -m comment --comment x -j X'],
    [['-p', 'tcp', '--dport', '80', '-j', 'X'], '-p tcp -m tcp --dport 80 -j X'],
    [['-m', 'statistic', '--mode', 'random', '--probability', '0.5000000000', '-j', 'X'], '-m statistic --mode random --probability 0.50000000000 -j X'],
    [['-m', 'statistic', '--mode', 'random', '--probability', '0.20000000019', '-j', 'X'], '-m statistic --mode random --probability 0.20000000019 -j X'],
    [['-j', 'REJECT'], '-j REJECT --reject-with icmp-port-unreachable'],
    [['--jump', 'X'], '-j X'],
    [['!', '--source', '10.0.0.0/8', '-j', 'X'], '! -s 10.0.0.0/8 -j X'],
  ])('%j → %s', (rule, saved) => {
    expect(normalizeRule(rule, 'ipv4').join(' ')).toBe(saved);
  });
});
