/**
 * The portmap plugin's iptables backend (PM-1..9, PM-11) and the runtime's port mappings (RT-1..3).
 *
 * The first block ports containernetworking/plugins plugins/meta/portmap/portmap_iptables_test.go
 * and portmap_test.go (@ 3d27709f): same inputs, same expected argument lists, compared raw and,
 * after writing into a fresh RulesetBuilder, through normalizeRule. Upstream has no iptables test
 * for masqAll or for more than 15 ports; those cases are derived from fillDnatRules and
 * splitPortList and say so.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { ClusterNode } from '../../model/cluster.js';
import { modelOf, workerNode } from '../../testing/model.js';
import { kernelRoundTrip, kernelUnavailable } from '../../testing/netns.js';
import { yaml } from '../../testing/yaml.js';
import type { RunningPod } from '../services/types.js';
import { portmapDnatChainName } from './chain-names.js';
import { renderIptablesSave } from './iptables-save.js';
import { normalizeRule } from './normalize.js';
import {
  DEFAULT_PORTMAP_CONFIG, fillDnatRules, genDnatChain, genMarkMasqChain, genSetMarkChain, genToplevelDnatChain,
  parseContainerNet, portMappingsOf, portmapAddProblems, portmapConfigOf, portmapConfigProblems, portmapSetsRouteLocalnet,
  sandboxOf, sandboxesOnNode, splitPortList, standInContainerId, writePortmapRules,
  type PortMapping, type PortmapConfig, type Sandbox,
} from './portmap.js';
import { findChain, RulesetBuilder, type Family, type Ruleset } from './ruleset.js';

// portmap_iptables_test.go's container ID and network names.
const CONTAINER_ID = 'icee6giejonei6sohng6ahngee7laquohquee9shiGo7fohferakah3Feiyoolu2pei7ciPhoh7shaoX6vai3vuf0ahfaeng8yohb9ceu0daez5hashee8ooYai5wa3y';
const COMMENT = `dnat name: "test" id: "${CONTAINER_ID}"`;

const map = (hostPort: number, containerPort: number, protocol: string, hostIP = ''): PortMapping => ({ hostPort, containerPort, protocol, hostIP });

// "generates a correct standard container chain": its runtimeConfig.portMappings.
const STANDARD_MAPPINGS: readonly PortMapping[] = [
  map(8080, 80, 'tcp'),
  map(8081, 80, 'tcp'),
  map(8080, 81, 'udp'),
  map(8082, 82, 'udp'),
  map(8083, 83, 'tcp', '192.168.0.2'),
  map(8084, 84, 'tcp', '0.0.0.0'),
  map(8085, 85, 'tcp', '2001:db8:a::1'),
  map(8086, 86, 'tcp', '::'),
];
const STANDARD_CONFIG: PortmapConfig = { ...DEFAULT_PORTMAP_CONFIG, netName: 'test', snat: true, conditionsV4: ['-a', 'b'], conditionsV6: ['-c', 'd'] };
const NET4 = parseContainerNet('10.0.0.2/24')!;
const NET6 = parseContainerNet('2001:db8::2/64')!;

const STANDARD_V4_RULES = [
  // tcp rules and not hostIP
  ['-p', 'tcp', '--dport', '8080', '-s', '10.0.0.2/24', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'tcp', '--dport', '8080', '-s', '127.0.0.1', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '10.0.0.2:80'],
  ['-p', 'tcp', '--dport', '8081', '-s', '10.0.0.2/24', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'tcp', '--dport', '8081', '-s', '127.0.0.1', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'tcp', '--dport', '8081', '-j', 'DNAT', '--to-destination', '10.0.0.2:80'],
  // udp rules and not hostIP
  ['-p', 'udp', '--dport', '8080', '-s', '10.0.0.2/24', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'udp', '--dport', '8080', '-s', '127.0.0.1', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'udp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '10.0.0.2:81'],
  ['-p', 'udp', '--dport', '8082', '-s', '10.0.0.2/24', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'udp', '--dport', '8082', '-s', '127.0.0.1', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'udp', '--dport', '8082', '-j', 'DNAT', '--to-destination', '10.0.0.2:82'],
  // tcp rules and hostIP
  ['-p', 'tcp', '--dport', '8083', '-d', '192.168.0.2', '-s', '10.0.0.2/24', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'tcp', '--dport', '8083', '-d', '192.168.0.2', '-s', '127.0.0.1', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'tcp', '--dport', '8083', '-d', '192.168.0.2', '-j', 'DNAT', '--to-destination', '10.0.0.2:83'],
  // tcp rules and hostIP = "0.0.0.0"
  ['-p', 'tcp', '--dport', '8084', '-s', '10.0.0.2/24', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'tcp', '--dport', '8084', '-s', '127.0.0.1', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'tcp', '--dport', '8084', '-j', 'DNAT', '--to-destination', '10.0.0.2:84'],
];
const STANDARD_V4_ENTRY_RULES = [
  ['-m', 'comment', '--comment', COMMENT, '-m', 'multiport', '-p', 'tcp', '--destination-ports', '8080,8081,8083,8084,8085,8086', '-a', 'b'],
  ['-m', 'comment', '--comment', COMMENT, '-m', 'multiport', '-p', 'udp', '--destination-ports', '8080,8082', '-a', 'b'],
];
const STANDARD_V6_RULES = [
  // tcp rules and not hostIP
  ['-p', 'tcp', '--dport', '8080', '-s', '2001:db8::2/64', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '[2001:db8::2]:80'],
  ['-p', 'tcp', '--dport', '8081', '-s', '2001:db8::2/64', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'tcp', '--dport', '8081', '-j', 'DNAT', '--to-destination', '[2001:db8::2]:80'],
  // udp rules and not hostIP
  ['-p', 'udp', '--dport', '8080', '-s', '2001:db8::2/64', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'udp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '[2001:db8::2]:81'],
  ['-p', 'udp', '--dport', '8082', '-s', '2001:db8::2/64', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'udp', '--dport', '8082', '-j', 'DNAT', '--to-destination', '[2001:db8::2]:82'],
  // tcp rules and hostIP
  ['-p', 'tcp', '--dport', '8085', '-d', '2001:db8:a::1', '-s', '2001:db8::2/64', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'tcp', '--dport', '8085', '-d', '2001:db8:a::1', '-j', 'DNAT', '--to-destination', '[2001:db8::2]:85'],
  // tcp rules and hostIP = "::"
  ['-p', 'tcp', '--dport', '8086', '-s', '2001:db8::2/64', '-j', 'CNI-HOSTPORT-SETMARK'],
  ['-p', 'tcp', '--dport', '8086', '-j', 'DNAT', '--to-destination', '[2001:db8::2]:86'],
];
const STANDARD_V4_RULES_NO_SNAT = [
  ['-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '10.0.0.2:80'],
  ['-p', 'tcp', '--dport', '8081', '-j', 'DNAT', '--to-destination', '10.0.0.2:80'],
  ['-p', 'udp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '10.0.0.2:81'],
  ['-p', 'udp', '--dport', '8082', '-j', 'DNAT', '--to-destination', '10.0.0.2:82'],
  ['-p', 'tcp', '--dport', '8083', '-d', '192.168.0.2', '-j', 'DNAT', '--to-destination', '10.0.0.2:83'],
  ['-p', 'tcp', '--dport', '8084', '-j', 'DNAT', '--to-destination', '10.0.0.2:84'],
];

const sandbox = (mappings: readonly PortMapping[], extra: Partial<Sandbox> = {}): Sandbox => ({
  containerId: CONTAINER_ID, podIPv4: '10.0.0.2/24', podIPv6: '2001:db8::2/64', mappings, from: 'Pod default/test', ...extra,
});

function written(family: Family, sandboxes: readonly Sandbox[], config: PortmapConfig, before?: (b: RulesetBuilder) => void): Ruleset {
  const b = new RulesetBuilder(family);
  before?.(b);
  writePortmapRules(b, sandboxes, config);
  return b.build();
}

const rulesOf = (rs: Ruleset, chain: string): (readonly string[])[] | undefined => findChain(rs, 'nat', chain)?.rules.map((r) => r);
const norm = (family: Family, rules: readonly (readonly string[])[]): string[][] => rules.map((r) => normalizeRule(r, family));

describe('fillDnatRules, as portmap_iptables_test.go expects it', () => {
  const chain = genDnatChain('test', CONTAINER_ID);

  test('the chain names of the upstream test', () => {
    expect(genDnatChain('testNetName', CONTAINER_ID)).toEqual({ table: 'nat', name: 'CNI-DN-bfd599665540dd91d5d28', entryChains: ['CNI-HOSTPORT-DNAT'], entryRules: [], rules: [], prependEntry: false });
    expect(chain.name).toBe('CNI-DN-67e92b96e692a494b6b85');
  });

  test('IPv4: entry rules per protocol with conditionsV4; hairpin, localhost, DNAT per mapping; IPv6 hostIPs skipped', () => {
    const c = fillDnatRules(chain, STANDARD_CONFIG, CONTAINER_ID, STANDARD_MAPPINGS, NET4);
    expect(c.entryRules).toEqual(STANDARD_V4_ENTRY_RULES);
    expect(c.rules).toEqual(STANDARD_V4_RULES);
  });

  test('IPv6: no localhost rule, brackets around the DNAT address, IPv4 hostIPs skipped', () => {
    expect(fillDnatRules(chain, STANDARD_CONFIG, CONTAINER_ID, STANDARD_MAPPINGS, NET6).rules).toEqual(STANDARD_V6_RULES);
  });

  test('IPv6 entry rules carry conditionsV6 and still list every port (derived: upstream does not assert them)', () => {
    expect(fillDnatRules(chain, STANDARD_CONFIG, CONTAINER_ID, STANDARD_MAPPINGS, NET6).entryRules).toEqual(
      STANDARD_V4_ENTRY_RULES.map((r) => [...r.slice(0, -2), '-c', 'd']),
    );
  });

  test('snat false: only the DNAT rules', () => {
    expect(fillDnatRules(chain, { ...STANDARD_CONFIG, snat: false }, CONTAINER_ID, STANDARD_MAPPINGS, NET4).rules).toEqual(STANDARD_V4_RULES_NO_SNAT);
  });

  test('externalSetMarkChain: the mark rules jump to it', () => {
    const config: PortmapConfig = { ...STANDARD_CONFIG, externalSetMarkChain: 'PLZ-SET-MARK' };
    expect(fillDnatRules(chain, config, CONTAINER_ID, [map(8080, 80, 'tcp')], NET4).rules).toEqual([
      ['-p', 'tcp', '--dport', '8080', '-s', '10.0.0.2/24', '-j', 'PLZ-SET-MARK'],
      ['-p', 'tcp', '--dport', '8080', '-s', '127.0.0.1', '-j', 'PLZ-SET-MARK'],
      ['-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '10.0.0.2:80'],
    ]);
  });

  test('the top-level chain and the mark chains (mark bit 5)', () => {
    expect(genToplevelDnatChain()).toEqual({ table: 'nat', name: 'CNI-HOSTPORT-DNAT', entryChains: ['PREROUTING', 'OUTPUT'], entryRules: [['-m', 'addrtype', '--dst-type', 'LOCAL']], rules: [], prependEntry: false });
    expect(genSetMarkChain(5)).toEqual({
      table: 'nat', name: 'CNI-HOSTPORT-SETMARK', entryChains: [], entryRules: [], prependEntry: false,
      rules: [['-m', 'comment', '--comment', 'CNI portfwd masquerade mark', '-j', 'MARK', '--set-xmark', '0x20/0x20']],
    });
    expect(genMarkMasqChain(5)).toEqual({
      table: 'nat', name: 'CNI-HOSTPORT-MASQ', entryChains: ['POSTROUTING'], prependEntry: true,
      entryRules: [['-m', 'comment', '--comment', 'CNI portfwd requiring masquerade']],
      rules: [['-m', 'mark', '--mark', '0x20/0x20', '-j', 'MASQUERADE']],
    });
    expect(genSetMarkChain(DEFAULT_PORTMAP_CONFIG.markMasqBit).rules[0]).toContain('0x2000/0x2000');
    expect(genSetMarkChain(31).rules[0]).toContain('0x80000000/0x80000000');
  });

  test('masqAll (derived from fillDnatRules): every source is marked, no localhost rule', () => {
    const config: PortmapConfig = { ...STANDARD_CONFIG, masqAll: true };
    expect(fillDnatRules(chain, config, CONTAINER_ID, [map(8080, 80, 'tcp')], NET4).rules).toEqual([
      ['-p', 'tcp', '--dport', '8080', '-s', '0.0.0.0/0', '-j', 'CNI-HOSTPORT-SETMARK'],
      ['-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '10.0.0.2:80'],
    ]);
    expect(fillDnatRules(chain, config, CONTAINER_ID, [map(8080, 80, 'tcp')], NET6).rules).toEqual([
      ['-p', 'tcp', '--dport', '8080', '-s', '::/0', '-j', 'CNI-HOSTPORT-SETMARK'],
      ['-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', '[2001:db8::2]:80'],
    ]);
  });

  test('more than 15 ports (derived from splitPortList): multiport groups of 15, in mapping order, protocols sorted', () => {
    const tcp = Array.from({ length: 17 }, (_, i) => map(9000 + i, 80, 'tcp'));
    const mappings = [map(53, 53, 'udp'), ...tcp, map(9100, 9100, 'sctp')];
    const c = fillDnatRules(chain, { ...STANDARD_CONFIG, conditionsV4: undefined }, CONTAINER_ID, mappings, NET4);
    expect(c.entryRules.map((r) => [r[7], r[9]])).toEqual([
      ['sctp', '9100'],
      ['tcp', '9000,9001,9002,9003,9004,9005,9006,9007,9008,9009,9010,9011,9012,9013,9014'],
      ['tcp', '9015,9016'],
      ['udp', '53'],
    ]);
    expect(c.rules).toHaveLength(3 * mappings.length);
    expect(splitPortList([])).toEqual([]);
    expect(splitPortList(Array.from({ length: 30 }, (_, i) => i + 1))).toHaveLength(2);
  });

  test('duplicate host ports stay in the multiport list (groupByProto does not de-duplicate)', () => {
    const c = fillDnatRules(chain, STANDARD_CONFIG, CONTAINER_ID, [map(80, 80, 'tcp', '10.0.0.1'), map(80, 80, 'tcp', '10.0.0.9')], NET4);
    expect(c.entryRules[0]![9]).toBe('80,80');
  });

  test('a comment over 255 characters is cut to 253 and "..." (trimComment)', () => {
    const long = fillDnatRules(chain, { ...STANDARD_CONFIG, netName: 'n'.repeat(300) }, CONTAINER_ID, [map(80, 80, 'tcp')], NET4);
    const comment = long.entryRules[0]![3]!;
    expect(comment).toHaveLength(256);
    expect(comment.endsWith('nnn...')).toBe(true);
  });
});

describe('writePortmapRules writes what the plugin leaves on the node', () => {
  test('IPv4: the CNI-DN chain holds the upstream rules as iptables-save prints them', () => {
    const rs = written('ipv4', [sandbox(STANDARD_MAPPINGS)], STANDARD_CONFIG);
    expect(rulesOf(rs, 'CNI-DN-67e92b96e692a494b6b85')).toEqual(norm('ipv4', STANDARD_V4_RULES));
    expect(rulesOf(rs, 'CNI-HOSTPORT-DNAT')).toEqual(norm('ipv4', STANDARD_V4_ENTRY_RULES.map((r) => [...r, '-j', 'CNI-DN-67e92b96e692a494b6b85'])));
    expect(rulesOf(rs, 'CNI-HOSTPORT-DNAT')![0]!.join(' ')).toBe(`-p tcp -m comment --comment ${COMMENT} -m multiport --dports 8080,8081,8083,8084,8085,8086 -a b -j CNI-DN-67e92b96e692a494b6b85`);
    expect(rulesOf(rs, 'CNI-DN-67e92b96e692a494b6b85')![12]!.join(' ')).toBe('-s 10.0.0.0/24 -d 192.168.0.2/32 -p tcp -m tcp --dport 8083 -j CNI-HOSTPORT-SETMARK');
  });

  test('IPv6 and snat false through the builder', () => {
    expect(rulesOf(written('ipv6', [sandbox(STANDARD_MAPPINGS)], STANDARD_CONFIG), 'CNI-DN-67e92b96e692a494b6b85')).toEqual(norm('ipv6', STANDARD_V6_RULES));
    const noSnat = written('ipv4', [sandbox(STANDARD_MAPPINGS)], { ...STANDARD_CONFIG, snat: false });
    expect(rulesOf(noSnat, 'CNI-DN-67e92b96e692a494b6b85')).toEqual(norm('ipv4', STANDARD_V4_RULES_NO_SNAT));
    expect(rulesOf(noSnat, 'CNI-HOSTPORT-SETMARK')).toBeUndefined();
    expect(rulesOf(noSnat, 'CNI-HOSTPORT-MASQ')).toBeUndefined();
    expect(rulesOf(noSnat, 'POSTROUTING')).toEqual([]);
  });

  test('the shared chains: jumps from PREROUTING and OUTPUT, MASQ from POSTROUTING, SETMARK (PM-5, PM-6)', () => {
    const rs = written('ipv4', [sandbox([map(8080, 80, 'tcp')])], { ...DEFAULT_PORTMAP_CONFIG, netName: 'test' });
    const jump = ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT'];
    expect(rulesOf(rs, 'PREROUTING')).toEqual([jump]);
    expect(rulesOf(rs, 'OUTPUT')).toEqual([jump]);
    expect(rulesOf(rs, 'POSTROUTING')).toEqual([['-m', 'comment', '--comment', 'CNI portfwd requiring masquerade', '-j', 'CNI-HOSTPORT-MASQ']]);
    expect(rulesOf(rs, 'CNI-HOSTPORT-MASQ')).toEqual([['-m', 'mark', '--mark', '0x2000/0x2000', '-j', 'MASQUERADE']]);
    expect(rulesOf(rs, 'CNI-HOSTPORT-SETMARK')).toEqual([['-m', 'comment', '--comment', 'CNI portfwd masquerade mark', '-j', 'MARK', '--set-xmark', '0x2000/0x2000']]);
    expect(rs.tables.map((t) => t.name)).toEqual(['nat']);
  });

  test('externalSetMarkChain: no SETMARK or MASQ chain, mark rules jump to the external chain', () => {
    const rs = written('ipv4', [sandbox([map(8080, 80, 'tcp')])], { ...DEFAULT_PORTMAP_CONFIG, netName: 'test', externalSetMarkChain: 'KUBE-MARK-MASQ' }, (b) => b.chain('nat', 'KUBE-MARK-MASQ'));
    expect(rulesOf(rs, 'CNI-HOSTPORT-SETMARK')).toBeUndefined();
    expect(rulesOf(rs, 'CNI-HOSTPORT-MASQ')).toBeUndefined();
    expect(rulesOf(rs, 'CNI-DN-67e92b96e692a494b6b85')!.map((r) => r.join(' '))).toEqual([
      '-s 10.0.0.0/24 -p tcp -m tcp --dport 8080 -j KUBE-MARK-MASQ',
      '-s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j KUBE-MARK-MASQ',
      '-p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80',
    ]);
  });

  test('PM-11: portmap appends its jump, so kube-proxy\'s inserted KUBE-SERVICES jump stays first whatever ran first', () => {
    const kube = ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES'];
    const config: PortmapConfig = { ...DEFAULT_PORTMAP_CONFIG, netName: 'test' };
    const kubeFirst = written('ipv4', [sandbox([map(30080, 80, 'tcp')])], config, (b) => b.chain('nat', 'KUBE-SERVICES').insert('nat', 'PREROUTING', kube));
    expect(rulesOf(kubeFirst, 'PREROUTING')!.map((r) => r.at(-1))).toEqual(['KUBE-SERVICES', 'CNI-HOSTPORT-DNAT']);

    const b = new RulesetBuilder('ipv4');
    writePortmapRules(b, [sandbox([map(30080, 80, 'tcp')])], config);
    b.chain('nat', 'KUBE-SERVICES').insert('nat', 'PREROUTING', kube).insert('nat', 'OUTPUT', kube);
    expect(rulesOf(b.build(), 'OUTPUT')!.map((r) => r.at(-1))).toEqual(['KUBE-SERVICES', 'CNI-HOSTPORT-DNAT']);
  });

  test('the MASQ jump is prepended to POSTROUTING, before what was there', () => {
    const rs = written('ipv4', [sandbox([map(8080, 80, 'tcp')])], { ...DEFAULT_PORTMAP_CONFIG, netName: 'test' },
      (b) => b.chain('nat', 'KUBE-POSTROUTING').append('nat', 'POSTROUTING', ['-j', 'KUBE-POSTROUTING']));
    expect(rulesOf(rs, 'POSTROUTING')!.map((r) => r.at(-1))).toEqual(['CNI-HOSTPORT-MASQ', 'KUBE-POSTROUTING']);
  });

  test('two sandboxes: shared rules once (InsertUnique), entry rules in ADD order, one CNI-DN chain each', () => {
    const a = sandbox([map(8080, 80, 'tcp')], { containerId: 'a'.repeat(64), podIPv4: '10.244.1.2/24', from: 'Pod x/a' });
    const c = sandbox([map(8081, 80, 'tcp')], { containerId: 'c'.repeat(64), podIPv4: '10.244.1.3/24', from: 'Pod x/c' });
    const config: PortmapConfig = { ...DEFAULT_PORTMAP_CONFIG, netName: 'cbr0' };
    const rs = written('ipv4', [c, a], config);
    expect(rulesOf(rs, 'PREROUTING')).toHaveLength(1);
    expect(rulesOf(rs, 'POSTROUTING')).toHaveLength(1);
    expect(rulesOf(rs, 'CNI-HOSTPORT-SETMARK')).toHaveLength(1);
    expect(rulesOf(rs, 'CNI-HOSTPORT-DNAT')!.map((r) => r.at(-1))).toEqual([portmapDnatChainName('cbr0', 'c'.repeat(64)), portmapDnatChainName('cbr0', 'a'.repeat(64))]);
    expect(rulesOf(rs, portmapDnatChainName('cbr0', 'a'.repeat(64)))).toHaveLength(3);
    // Writing the same ADDs again changes nothing: every rule is already there.
    const b = new RulesetBuilder('ipv4');
    writePortmapRules(b, [c, a], config);
    writePortmapRules(b, [c, a], config);
    expect(b.build()).toEqual(rs);
  });

  test('equal rules inside one CNI-DN chain are written once (two mappings differing only in containerPort share their mark rules)', () => {
    const rs = written('ipv4', [sandbox([map(8080, 80, 'tcp'), map(8080, 81, 'tcp')])], { ...DEFAULT_PORTMAP_CONFIG, netName: 'test' });
    expect(rulesOf(rs, 'CNI-DN-67e92b96e692a494b6b85')!.map((r) => r.at(-1))).toEqual(['CNI-HOSTPORT-SETMARK', 'CNI-HOSTPORT-SETMARK', '10.0.0.2:80', '10.0.0.2:81']);
  });

  test('PM-1: a sandbox without mappings writes nothing at all', () => {
    expect(written('ipv4', [sandbox([])], STANDARD_CONFIG).tables).toEqual([]);
  });

  test('PM-3: a family the sandbox has no address in gets nothing', () => {
    expect(written('ipv6', [sandbox([map(80, 80, 'tcp')], { podIPv6: undefined })], STANDARD_CONFIG).tables).toEqual([]);
  });

  test('PM-4: a mapping whose hostIP is of the other family leaves an empty CNI-DN chain but keeps its entry rule', () => {
    const rs = written('ipv4', [sandbox([map(8085, 85, 'tcp', '2001:db8:a::1')])], STANDARD_CONFIG);
    expect(rulesOf(rs, 'CNI-DN-67e92b96e692a494b6b85')).toEqual([]);
    expect(rulesOf(rs, 'CNI-HOSTPORT-DNAT')).toHaveLength(1);
  });

  test('PM-2: a sandbox the plugin rejects writes nothing; the next one is written', () => {
    const bad = sandbox([map(8080, 0, 'tcp')], { containerId: 'b'.repeat(64) });
    const good = sandbox([map(8081, 81, 'tcp')]);
    const rs = written('ipv4', [bad, good], STANDARD_CONFIG);
    expect(rulesOf(rs, portmapDnatChainName('test', 'b'.repeat(64)))).toBeUndefined();
    expect(rulesOf(rs, 'CNI-DN-67e92b96e692a494b6b85')).toHaveLength(3);
  });

  test('a hostIP that is no address fails the IPv6 half: the shared chains stay in both families, no CNI-DN chain (PM-4, PM-9)', () => {
    const s = sandbox([map(8080, 80, 'tcp'), map(8081, 81, 'tcp', 'node-1')]);
    for (const family of ['ipv4', 'ipv6'] as const) {
      const rs = written(family, [s], STANDARD_CONFIG);
      expect(rulesOf(rs, 'CNI-DN-67e92b96e692a494b6b85')).toBeUndefined();
      expect(rulesOf(rs, 'CNI-HOSTPORT-DNAT')).toEqual([]);
      expect(rulesOf(rs, 'PREROUTING')).toHaveLength(1);
      expect(rulesOf(rs, 'CNI-HOSTPORT-SETMARK')).toHaveLength(1);
    }
    // An IPv4-only sandbox never calls ip6tables: the mapping is skipped, the rest is written.
    const v4only = written('ipv4', [{ ...s, podIPv6: undefined }], STANDARD_CONFIG);
    expect(rulesOf(v4only, 'CNI-DN-67e92b96e692a494b6b85')!.map((r) => r.join(' '))).toEqual([
      '-s 10.0.0.0/24 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK',
      '-s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK',
      '-p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80',
    ]);
  });

  test('a configuration the plugin rejects writes nothing', () => {
    expect(written('ipv4', [sandbox([map(80, 80, 'tcp')])], { ...STANDARD_CONFIG, markMasqBit: 32 }).tables).toEqual([]);
  });

  test('a sandbox address that is not an address is hostnet\'s bug', () => {
    expect(() => written('ipv4', [sandbox([map(80, 80, 'tcp')], { podIPv4: 'nope' })], STANDARD_CONFIG)).toThrow(/hostnet bug/);
  });
});

describe('problems that fail the ADD, as values (PM-2, PM-4)', () => {
  test('hostPort 0 gives the upstream parseConfig error (portmap_test.go "fails with invalid mappings")', () => {
    const [p, ...rest] = portmapAddProblems(sandbox([map(0, 80, 'tcp')], { from: 'Pod shop/web-0' }));
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ kind: 'invalid-host-port', index: 0, pluginError: 'failed to parse config: Invalid host port number: 0' });
    expect(p!.family).toBeUndefined();
    expect(p!.message).toBe('Pod shop/web-0: the CNI portmap plugin rejects the mapping to container port 80/tcp because its hostPort is 0 ("Invalid host port number"), so the pod sandbox cannot be created and the pod stays in ContainerCreating.');
  });

  test('containerPort 0 (a hostPort without containerPort) comes first, as parseConfig checks it first', () => {
    const ps = portmapAddProblems(sandbox([map(8080, 80, 'tcp'), map(-1, 0, 'udp')]));
    expect(ps.map((p) => [p.kind, p.index, p.pluginError])).toEqual([
      ['invalid-container-port', 1, 'failed to parse config: Invalid container port number: 0'],
      ['invalid-host-port', 1, 'failed to parse config: Invalid host port number: -1'],
    ]);
    expect(ps[0]!.message).toMatch(/^Pod default\/test: the CNI portmap plugin rejects host port -1\/udp because its containerPort is 0 .*ContainerCreating\.$/);
  });

  test('a hostIP that is no address is a problem only where ip6tables sees it', () => {
    const s = sandbox([map(8080, 80, 'tcp', 'node-1.example'), map(8081, 81, 'tcp', '10.0.0.1/24'), map(8082, 82, 'tcp', '::ffff:10.0.0.1'), map(8083, 83, 'tcp', '')]);
    expect(portmapAddProblems(s).map((p) => [p.kind, p.index, p.family])).toEqual([
      ['host-ip-not-an-address', 0, 'ipv6'],
      ['host-ip-not-an-address', 1, 'ipv6'],
    ]);
    expect(portmapAddProblems(s)[0]!.pluginError).toBe("unable to setup DNAT: ip6tables: host/network `node-1.example' not found");
    expect(portmapAddProblems({ ...s, podIPv6: undefined })).toEqual([]);
  });

  test('an IPv4-mapped IPv6 hostIP counts as IPv4, as net.IP.To4 says', () => {
    const rs = written('ipv4', [sandbox([map(8082, 82, 'tcp', '::ffff:10.0.0.1')], { podIPv6: undefined })], STANDARD_CONFIG);
    expect(rulesOf(rs, 'CNI-DN-67e92b96e692a494b6b85')).toHaveLength(3);
    expect(rulesOf(written('ipv6', [sandbox([map(8082, 82, 'tcp', '::ffff:10.0.0.1')])], STANDARD_CONFIG), 'CNI-DN-67e92b96e692a494b6b85')).toEqual([]);
  });

  test('configuration errors, with upstream\'s text (portmap_test.go "rejects nftables options with backend: iptables")', () => {
    expect(portmapConfigProblems(STANDARD_CONFIG)).toEqual([]);
    expect(portmapConfigProblems({ ...STANDARD_CONFIG, conditionsV4: ['ip', 'saddr', '1.2.3.4'], conditionsV6: ['ip6', 'saddr', '12::34'] }).map((p) => p.pluginError))
      .toEqual(['failed to parse config: iptables backend was requested but configuration contains nftables-specific options [conditionsV4 conditionsV6]']);
    expect(portmapConfigProblems({ ...STANDARD_CONFIG, conditionsV4: ['!', '-s', '1.2.3.4'], conditionsV6: [] })).toEqual([]);
    const [bit] = portmapConfigProblems({ ...STANDARD_CONFIG, markMasqBit: -1 });
    expect(bit).toEqual({
      pluginError: 'failed to parse config: MasqMarkBit must be between 0 and 31',
      message: 'The CNI portmap plugin\'s markMasqBit is -1, but it must be between 0 and 31, so every pod with a host port fails its network setup.',
    });
    expect(portmapConfigProblems({ ...STANDARD_CONFIG, markMasqBit: 99, externalSetMarkChain: 'KUBE-MARK-MASQ' })).toEqual([]);
  });

  test('PM-7: route_localnet is set for an IPv4 sandbox with mappings and snat', () => {
    const config: PortmapConfig = { ...DEFAULT_PORTMAP_CONFIG, netName: 'test' };
    expect(portmapSetsRouteLocalnet(sandbox([map(80, 80, 'tcp')]), config)).toBe(true);
    expect(portmapSetsRouteLocalnet(sandbox([map(80, 80, 'tcp')]), { ...config, snat: false })).toBe(false);
    expect(portmapSetsRouteLocalnet(sandbox([map(80, 80, 'tcp')], { podIPv4: undefined }), config)).toBe(false);
    expect(portmapSetsRouteLocalnet(sandbox([]), config)).toBe(false);
    expect(portmapSetsRouteLocalnet(sandbox([map(0, 80, 'tcp')]), config)).toBe(false);
  });
});

describe('port mappings the runtime passes to CNI (RT-1..3)', () => {
  const mappingsOf = (spec: string): PortMapping[] =>
    portMappingsOf(modelOf(`apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n${spec}\n`).podViews[0]!);

  test('hostPort > 0 only, protocol lower-cased, hostIP as written, spec order', () => {
    expect(mappingsOf(`  containers:
  - name: a
    image: x
    ports:
    - {containerPort: 80, hostPort: 8080}
    - {containerPort: 81}
    - {containerPort: 53, hostPort: 53, protocol: UDP, hostIP: 192.168.0.1}
    - {containerPort: 82, hostPort: 0}
  - name: b
    image: x
    ports:
    - {containerPort: 9000, hostPort: 9000, protocol: SCTP, hostIP: "::"}`)).toEqual([
      map(8080, 80, 'tcp'), map(53, 53, 'udp', '192.168.0.1'), map(9000, 9000, 'sctp', '::'),
    ]);
  });

  test('hostNetwork pods get no mappings: no CNI ADD happens (RT-3)', () => {
    expect(mappingsOf(`  hostNetwork: true
  containers:
  - name: a
    image: x
    ports:
    - {containerPort: 8080, hostPort: 8080}`)).toEqual([]);
  });

  test('init containers, restartable sidecars included, get none: the kubelet reads spec.containers only (RT-2)', () => {
    expect(mappingsOf(`  initContainers:
  - name: sidecar
    image: x
    restartPolicy: Always
    ports:
    - {containerPort: 15000, hostPort: 15000}
  - name: init
    image: x
    ports:
    - {containerPort: 15001, hostPort: 15001}
  containers:
  - name: a
    image: x
    ports:
    - {containerPort: 80, hostPort: 8080}`)).toEqual([map(8080, 80, 'tcp')]);
  });

  test('MakePortMappings drops a repeated name or a repeated unnamed port within a container', () => {
    expect(mappingsOf(`  containers:
  - name: a
    image: x
    ports:
    - {name: web, containerPort: 80, hostPort: 8080}
    - {name: web, containerPort: 81, hostPort: 8081}
    - {containerPort: 82, hostPort: 8082}
    - {containerPort: 82, hostPort: 8082}
    - {containerPort: 82, hostPort: 8082, hostIP: 10.0.0.1}`)).toEqual([map(8080, 80, 'tcp'), map(8082, 82, 'tcp'), map(8082, 82, 'tcp', '10.0.0.1')]);
  });

  test('a hostPort without containerPort is passed on with containerPort 0, which portmap rejects (PM-2)', () => {
    const mappings = mappingsOf(`  containers:
  - name: a
    image: x
    ports:
    - {hostPort: 8080}`);
    expect(mappings).toEqual([map(8080, 0, 'tcp')]);
    expect(portmapAddProblems(sandbox(mappings)).map((p) => p.kind)).toEqual(['invalid-container-port']);
  });
});

describe('sandboxes of the placement', () => {
  const model = modelOf(yaml`
    apiVersion: v1
    kind: Pod
    metadata: {name: web-0, namespace: shop}
    spec:
      containers:
      - name: a
        image: x
        ports:
        - {containerPort: 80, hostPort: 8080}
    ---
    apiVersion: v1
    kind: Pod
    metadata: {name: agent, namespace: kube-system}
    spec:
      hostNetwork: true
      containers:
      - name: a
        image: x
        ports:
        - {containerPort: 9100, hostPort: 9100}
  `);
  const [web, agent] = model.podViews;
  const node: ClusterNode = workerNode('worker-1', { podCIDR: '10.244.1.0/24' });
  const running = (view: typeof web, name: string, ip: string, nodeName = 'worker-1'): RunningPod => ({ view: view!, name, node: nodeName, ip, hostNetwork: view!.hostNetwork, ipStandIn: !view!.hostNetwork });

  test('a pod network pod: stand-in ID, the pod IP with the podCIDR\'s prefix length, its mappings', () => {
    expect(sandboxOf(running(web, 'web-0', '10.244.1.2'), node)).toEqual({
      containerId: standInContainerId('shop', 'web-0'),
      podIPv4: '10.244.1.2/24',
      mappings: [map(8080, 80, 'tcp')],
      from: 'web-0',
    });
  });

  test('outside the podCIDR or without a node, a single-address prefix; IPv6 goes to podIPv6', () => {
    expect(sandboxOf(running(web, 'web-0', '10.9.0.7'), node)!.podIPv4).toBe('10.9.0.7/32');
    expect(sandboxOf(running(web, 'web-0', 'FD00::7'))).toMatchObject({ podIPv6: 'fd00::7/128' });
    expect(sandboxOf(running(web, 'web-0', 'FD00::7'))!.podIPv4).toBeUndefined();
  });

  test('hostNetwork pods have no sandbox for portmap (RT-3)', () => {
    expect(sandboxOf(running(agent, 'agent', '192.168.0.1'), node)).toBeUndefined();
  });

  test('sandboxesOnNode keeps the node\'s pods in placement order', () => {
    const pods = [running(web, 'web-1', '10.244.1.3'), running(web, 'web-x', '10.244.2.2', 'worker-2'), running(agent, 'agent', '192.168.0.1'), running(web, 'web-0', '10.244.1.2')];
    expect(sandboxesOnNode(pods, node).map((s) => s.from)).toEqual(['web-1', 'web-0']);
  });

  test('stand-in container IDs: 64 hex characters, stable, different per pod', () => {
    const id = standInContainerId('shop', 'web-0');
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(standInContainerId('shop', 'web-0')).toBe(id);
    expect(standInContainerId('shop', 'web-1')).not.toBe(id);
    expect(standInContainerId('sho', 'p/web-0')).not.toBe(standInContainerId('shop', '/web-0'));
  });

  test('the cluster\'s portmap configuration: the CNI network name and the defaults, none without portmap', () => {
    expect(portmapConfigOf(model.cluster)).toEqual({ netName: model.cluster.cni.name, snat: true, markMasqBit: 13, masqAll: false });
    expect(portmapConfigOf({ ...model.cluster, cni: { name: 'cilium', portmap: false } })).toBeUndefined();
  });
});

// Golden files: src/sim/dataplane/__golden__/portmap-*.rules, written by hand from PM-5/PM-6 and
// checked on the kernel (iptables 1.8.9): what iptables-save prints on a node after the ADDs.
const GOLDEN = join(import.meta.dirname, '__golden__');
const GOLDEN_NODE: readonly Sandbox[] = [
  { containerId: standInContainerId('shop', 'web-0'), podIPv4: '10.244.1.2/24', podIPv6: 'fd00:10:244:1::2/64', mappings: [map(8080, 80, 'tcp'), map(5353, 53, 'udp')], from: 'Pod shop/web-0' },
  { containerId: standInContainerId('shop', 'api-0'), podIPv4: '10.244.1.3/24', podIPv6: 'fd00:10:244:1::3/64', mappings: [map(9090, 9090, 'tcp', '192.168.0.1'), map(9091, 9091, 'tcp', 'fd00::1')], from: 'Pod shop/api-0' },
];
const GOLDEN_CASES = [['ipv4', 'portmap-node-ipv4.rules'], ['ipv6', 'portmap-node-ipv6.rules']] as const;
const renderNode = (family: Family): string => renderIptablesSave(written(family, GOLDEN_NODE, { ...DEFAULT_PORTMAP_CONFIG, netName: 'bridge' }));
const golden = (file: string): string => readFileSync(join(GOLDEN, file), 'utf8');

describe('golden iptables-save of a node (byte for byte)', () => {
  test.for(GOLDEN_CASES)('%s', ([family, file]) => {
    expect(renderNode(family)).toBe(golden(file));
  });
});

const noKernel = kernelUnavailable();
describe.skipIf(noKernel !== undefined)(`the real kernel agrees with the golden files${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  test.for(GOLDEN_CASES)('%s: iptables-restore then iptables-save gives the file back', ([family, file]) => {
    const r = kernelRoundTrip(golden(file), family);
    if (!r.ok) throw new Error(r.error);
    expect(r.saved).toBe(golden(file));
  });
});
