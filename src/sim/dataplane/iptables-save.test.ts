import { describe, expect, test } from 'vitest';
import { kernelRoundTrip, kernelUnavailable } from '../../testing/netns.js';
import { parseIptablesSave, renderIptablesSave, renderRule, saveString, tokenize } from './iptables-save.js';
import { normalizeRule } from './normalize.js';
import { RulesetBuilder } from './ruleset.js';

/** Rules written the way kube-proxy and portmap write them, covering every normalisation. */
function sampleRuleset(): RulesetBuilder {
  const b = new RulesetBuilder('ipv4');
  b.chain('nat', 'KUBE-SERVICES').chain('nat', 'KUBE-MARK-MASQ').chain('nat', 'KUBE-SVC-ZZZ').chain('nat', 'CNI-HOSTPORT-DNAT');
  b.insert('nat', 'PREROUTING', ['-m', 'comment', '--comment', 'kubernetes service portals', '-j', 'KUBE-SERVICES']);
  b.append('nat', 'PREROUTING', ['-m', 'addrtype', '--dst-type', 'LOCAL', '-j', 'CNI-HOSTPORT-DNAT']);
  b.append('nat', 'KUBE-SERVICES', ['-m', 'comment', '--comment', 'ns1/svc1:p80 cluster IP', '-m', 'tcp', '-p', 'tcp', '-d', '172.30.0.41', '--dport', '80', '-j', 'KUBE-SVC-ZZZ']);
  b.append('nat', 'KUBE-SVC-ZZZ', ['-m', 'comment', '--comment', 'ns1/svc1:p80', '-m', 'statistic', '--mode', 'random', '--probability', '0.3333333333', '-j', 'KUBE-MARK-MASQ']);
  b.append('nat', 'KUBE-SVC-ZZZ', ['!', '-s', '10.244.0.0/16', '-j', 'KUBE-MARK-MASQ']);
  b.append('nat', 'KUBE-MARK-MASQ', ['-j', 'MARK', '--or-mark', '0x4000']);
  b.append('nat', 'KUBE-MARK-MASQ', ['-j', 'MARK', '--xor-mark', '0x4000']);
  b.append('nat', 'CNI-HOSTPORT-DNAT', ['-p', 'tcp', '-s', '10.244.1.5/24', '--dport', '8080', '-j', 'DNAT', '--to-destination', '10.244.1.5:80']);
  b.append('nat', 'CNI-HOSTPORT-DNAT', ['-p', 'udp', '-m', 'multiport', '--dports', '53,54', '-m', 'comment', '--comment', 'dnat name: "cbr0" id: "abc"', '-j', 'KUBE-MARK-MASQ']);
  b.chain('filter', 'KUBE-FORWARD');
  b.append('filter', 'KUBE-FORWARD', ['-m', 'conntrack', '--ctstate', 'INVALID', '-j', 'DROP']);
  b.append('filter', 'KUBE-FORWARD', ['-m', 'tcp', '-p', 'tcp', '-d', '10.96.0.5', '--dport', '80', '-j', 'REJECT']);
  return b;
}

describe('normalizeRule writes what iptables-save prints back', () => {
  test.each([
    [['-m', 'tcp', '-p', 'tcp', '-d', '10.96.0.1', '--dport', '443', '-j', 'X'], '-d 10.96.0.1/32 -p tcp -m tcp --dport 443 -j X'],
    [['-p', 'udp', '--dport', '53', '-j', 'X'], '-p udp -m udp --dport 53 -j X'],
    [['-s', '10.244.1.5/24', '-j', 'X'], '-s 10.244.1.0/24 -j X'],
    [['!', '-s', '10.0.0.0/8', '-j', 'X'], '! -s 10.0.0.0/8 -j X'],
    [['-j', 'MARK', '--or-mark', '0x4000'], '-j MARK --set-xmark 0x4000/0x4000'],
    [['-j', 'MARK', '--xor-mark', '0x4000'], '-j MARK --set-xmark 0x4000/0x0'],
    [['-j', 'REJECT'], '-j REJECT --reject-with icmp-port-unreachable'],
    [['-m', 'multiport', '-p', 'tcp', '--destination-ports', '80,443', '-j', 'X'], '-p tcp -m multiport --dports 80,443 -j X'],
    [['-m', 'statistic', '--mode', 'random', '--probability', '0.5000000000', '-j', 'X'], '-m statistic --mode random --probability 0.50000000000 -j X'],
    [['-m', 'statistic', '--mode', 'random', '--probability', '0.3333333333', '-j', 'X'], '-m statistic --mode random --probability 0.33333333349 -j X'],
  ])('%j', (args, saved) => {
    expect(normalizeRule(args, 'ipv4').join(' ')).toBe(saved);
  });

  test('IPv6 addresses get /128 and compressed form', () => {
    expect(normalizeRule(['-d', 'fd00:0:0::1', '-j', 'X'], 'ipv6').join(' ')).toBe('-d fd00::1/128 -j X');
  });
});

describe('iptables-save text', () => {
  test('comment values are quoted and escaped the way xtables_save_string does', () => {
    expect(saveString('ns1_svc-1')).toBe('ns1_svc-1');
    expect(saveString('ns1/svc1:p80')).toBe('"ns1/svc1:p80"');
    expect(saveString(`it's "q"`)).toBe(`"it\\'s \\"q\\""`);
    expect(renderRule('X', ['-m', 'comment', '--comment', 'a b', '-j', 'Y'])).toBe('-A X -m comment --comment "a b" -j Y');
  });

  test('tokenize reads quotes and escapes back', () => {
    expect(tokenize(`-A X -m comment --comment "it\\'s \\"q\\"" -j Y`).tokens).toEqual(['-A', 'X', '-m', 'comment', '--comment', `it's "q"`, '-j', 'Y']);
    expect(tokenize('-A X --comment "open').error).toMatch(/not closed/);
  });

  test('render → parse → render is byte-identical', () => {
    const text = renderIptablesSave(sampleRuleset().build());
    const parsed = parseIptablesSave(text);
    expect(parsed.problems).toEqual([]);
    expect(renderIptablesSave(parsed.ruleset)).toBe(text);
  });

  test('user chains are printed by name after the built-ins, each chain\'s rules together', () => {
    const text = renderIptablesSave(sampleRuleset().build(), { tables: ['nat'] });
    const chainLines = text.split('\n').filter((l) => l.startsWith(':')).map((l) => l.split(' ')[0]);
    expect(chainLines).toEqual([':PREROUTING', ':INPUT', ':OUTPUT', ':POSTROUTING', ':CNI-HOSTPORT-DNAT', ':KUBE-MARK-MASQ', ':KUBE-SERVICES', ':KUBE-SVC-ZZZ']);
  });

  test('bad lines are reported with their numbers and the rest is read', () => {
    const { ruleset, problems } = parseIptablesSave(['*nat', ':PREROUTING ACCEPT [0:0]', 'garbage here', '[3:120] -A UNDECLARED -j RETURN', '-A PREROUTING --comment "open', 'COMMIT', '*bogus', '-A X -j Y', 'COMMIT'].join('\n'));
    expect(problems.map((p) => p.line)).toEqual([3, 4, 5, 7]);
    expect(problems[0]!.message).toMatch(/is none of them/);
    const undeclared = ruleset.tables[0]!.chains.find((c) => c.name === 'UNDECLARED')!;
    expect(undeclared.rules).toEqual([['-j', 'RETURN']]);
    expect(problems[1]!.message).toMatch(/was not declared/);
  });
});

const noKernel = kernelUnavailable();
describe.skipIf(noKernel !== undefined)(`the real kernel agrees${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
  test('iptables-restore loads the rendered rules and iptables-save prints them back byte for byte', () => {
    const text = renderIptablesSave(sampleRuleset().build());
    const r = kernelRoundTrip(text);
    if (!r.ok) throw new Error(r.error);
    expect(r.saved).toBe(text);
  });
});
