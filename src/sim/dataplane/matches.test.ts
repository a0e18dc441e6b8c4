import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { compileRule, parseNatDestination, ruleMatches, toAddr, type Iface, type MatchContext } from './matches.js';
import { tokenize } from './iptables-save.js';

/** The first packet of a TCP connection from a pod to a Service, as the tracer would describe it in nat PREROUTING. */
function ctx(over: Partial<Omit<MatchContext, 'src' | 'dst'>> & { src?: string; dst?: string } = {}): MatchContext {
  const src = toAddr(over.src ?? '10.244.1.9')!;
  const dst = toAddr(over.dst ?? '10.96.0.20')!;
  return {
    family: src.family,
    protocol: 'tcp',
    sport: 40000,
    dport: 80,
    mark: 0,
    ctmark: 0,
    srcLocal: false,
    dstLocal: false,
    ctstates: new Set(['NEW']),
    origSrc: src,
    origDst: dst,
    origSport: 40000,
    origDport: 80,
    inIface: { kind: 'unknown', notLo: true },
    outIface: { kind: 'none' },
    recent: new Set(),
    ...over,
    src,
    dst,
  };
}

/** A rule written as iptables-save prints it after `-A <chain>`. */
const rule = (line: string): readonly string[] => tokenize(line).tokens;

function verdict(line: string, c: MatchContext = ctx()): { matches: boolean; assumed: string[] } {
  const assumed: string[] = [];
  return { matches: ruleMatches(compileRule(rule(line)), c, assumed), assumed };
}

describe('addresses and protocol', () => {
  test.for([
    ['-d 10.96.0.20/32 -p tcp -j X', true],
    ['-d 10.96.0.21/32 -p tcp -j X', false],
    ['! -s 10.244.0.0/16 -d 10.96.0.20/32 -j X', false],
    ['! -s 10.245.0.0/16 -j X', true],
    ['-s 10.244.1.0/24 -j X', true],
    ['-p udp -j X', false],
    ['! -p udp -j X', true],
    ['-p 6 -j X', true],
    ['-p all -j X', true],
    ['-d fd00::1/128 -j X', false],
  ] as const)('%s → %s', ([line, want]) => {
    expect(verdict(line).matches).toBe(want);
  });
});

describe('tcp, udp and multiport ports', () => {
  test.for([
    ['-p tcp -m tcp --dport 80 -j X', true],
    ['-p tcp -m tcp --dport 81 -j X', false],
    ['-p tcp -m tcp ! --dport 22 -j X', true],
    ['-p tcp -m tcp --dport ! 80 -j X', false], // the old spelling of the negation
    ['-p tcp -m tcp --dport 79:81 -j X', true],
    ['-p tcp -m tcp --dport 81: -j X', false],
    ['-p tcp -m tcp --sport 40000 -j X', true],
    ['-p tcp -m multiport --dports 8080,9090,7070 -j X', false],
    ['-p tcp -m multiport --dports 22,70:90 -j X', true],
    ['-p tcp -m multiport ! --dports 22,443 -j X', true],
    ['-p tcp -m multiport --ports 40000 -j X', true],
    ['-p tcp -m multiport --sports 1:1024 -j X', false],
  ] as const)('%s → %s', ([line, want]) => {
    expect(verdict(line).matches).toBe(want);
  });

  test('a source port match on a packet without a source port is assumed, and said so', () => {
    expect(verdict('-p tcp -m tcp --sport 53 -j X', ctx({ sport: undefined }))).toEqual({ matches: true, assumed: ['the source port, which the packet does not give'] });
  });

  test('the first TCP packet is a SYN', () => {
    expect(verdict('-p tcp -m tcp --syn -j X').matches).toBe(true);
    expect(verdict('-p tcp -m tcp ! --syn -j X').matches).toBe(false);
    expect(verdict('-p tcp -m tcp --tcp-flags SYN,ACK SYN -j X').matches).toBe(true);
    expect(verdict('-p tcp -m tcp --tcp-flags SYN,ACK ACK -j X').matches).toBe(false);
    expect(verdict('-p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j X').matches).toBe(true);
  });
});

describe('addrtype', () => {
  test.for([
    ['-m addrtype --dst-type LOCAL -j X', { dstLocal: true }, true],
    ['-m addrtype --dst-type LOCAL -j X', { dstLocal: false }, false],
    ['-m addrtype ! --dst-type LOCAL -j X', { dstLocal: false }, true],
    ['-m addrtype --src-type LOCAL -j X', { srcLocal: true }, true],
    ['-m addrtype --dst-type UNICAST -j X', { dstLocal: false }, true],
    ['-m addrtype --dst-type MULTICAST,BROADCAST -j X', { dstLocal: false }, false],
  ] as const)('%s with %o → %s', ([line, over, want]) => {
    expect(verdict(line, ctx(over))).toEqual({ matches: want, assumed: [] });
  });

  test('--limit-iface-in is ignored with a note', () => {
    const r = compileRule(rule('-m addrtype --dst-type LOCAL --limit-iface-in -j X'));
    expect(r.assumed).toEqual(['addrtype --limit-iface-in, which hostnet ignores (the address is checked against every interface)']);
  });

  test('a type hostnet cannot tell is assumed', () => {
    expect(verdict('-m addrtype --dst-type BLACKHOLE -j X').assumed).toEqual(['the address type BLACKHOLE, which hostnet cannot tell for the destination']);
  });
});

describe('mark, connmark, conntrack', () => {
  test.for([
    ['-m mark --mark 0x4000/0x4000 -j X', 0x4000, true],
    ['-m mark --mark 0x4000/0x4000 -j X', 0x4001, true],
    ['-m mark --mark 0x4000/0x4000 -j X', 0x2000, false],
    ['-m mark ! --mark 0x4000/0x4000 -j RETURN', 0, true],
    ['-m mark --mark 0x2000 -j X', 0x2000, true],
    ['-m mark --mark 0x2000 -j X', 0x6000, false],
  ] as const)('%s with mark %i → %s', ([line, mark, want]) => {
    expect(verdict(line, ctx({ mark })).matches).toBe(want);
  });

  test('a new connection has no connmark', () => {
    expect(verdict('-m connmark --mark 0x1/0x1 -j X').matches).toBe(false);
    expect(verdict('-m connmark --mark 0x0/0x1 -j X').matches).toBe(true);
  });

  test.for([
    ['-m conntrack --ctstate NEW -j X', ['NEW'], true],
    ['-m conntrack --ctstate INVALID -j DROP', ['NEW'], false],
    ['-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', ['NEW'], false],
    ['-m state --state NEW,ESTABLISHED -j ACCEPT', ['NEW'], true],
    // KUBE-FIREWALL's localnet guard lets DNATed packets through.
    ['-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP', ['NEW'], true],
    ['-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP', ['NEW', 'DNAT'], false],
    ['-m conntrack --ctstate NEW -j X', ['UNTRACKED'], false],
    ['-m conntrack --ctdir ORIGINAL -j X', ['NEW'], true],
  ] as const)('%s with %o → %s', ([line, states, want]) => {
    expect(verdict(line, ctx({ ctstates: new Set(states) })).matches).toBe(want);
  });

  test('the original tuple', () => {
    const c = ctx({ dst: '10.244.1.5', dport: 8080, origDst: toAddr('10.96.0.20')! });
    expect(verdict('-m conntrack --ctorigdst 10.96.0.20 --ctorigdstport 80 -j X', c).matches).toBe(true);
    expect(verdict('-m conntrack --ctorigdst 10.244.1.5 -j X', c).matches).toBe(false);
  });
});

describe('statistic, recent, nfacct', () => {
  test('statistic is a chance, not a match: the tracer branches on it', () => {
    const r = compileRule(rule('-m comment --comment "default/web:http -> 10.244.1.5:8080" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-AFGSLHOD2HFNCBX4'));
    expect(r.chance).toBe(0.33333333349);
    expect(ruleMatches(r, ctx(), [])).toBe(true);
    expect(compileRule(rule('-m statistic --mode nth --every 4 --packet 0 -j X')).chance).toBe(0.25);
    expect(compileRule(rule('-m statistic --mode random ! --probability 0.25 -j X')).chance).toBe(0.75);
    expect(compileRule(rule('-j X')).chance).toBeUndefined();
  });

  test('recent: nothing is recorded before the first packet, --set records it', () => {
    const check = '-m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-AFGSLHOD2HFNCBX4 --mask 255.255.255.255 --rsource -j KUBE-SEP-AFGSLHOD2HFNCBX4';
    expect(verdict(check).matches).toBe(false);
    expect(verdict(check, ctx({ recent: new Set(['KUBE-SEP-AFGSLHOD2HFNCBX4']) })).matches).toBe(true);
    expect(verdict(check, ctx({ recent: new Set(['KUBE-SEP-OTHER']) })).matches).toBe(false);
    const set = compileRule(rule('-p tcp -m comment --comment "default/web:http" -m recent --set --name KUBE-SEP-AFGSLHOD2HFNCBX4 --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.1.5:8080'));
    expect(set.recentSet).toEqual(['KUBE-SEP-AFGSLHOD2HFNCBX4']);
    expect(ruleMatches(set, ctx(), [])).toBe(true);
    expect(verdict('-m recent --update --name X -j DROP').matches).toBe(false);
    expect(verdict('-m recent ! --rcheck --name X -j ACCEPT').matches).toBe(true);
  });

  test('nfacct and comment always match', () => {
    expect(verdict('-d 127.0.0.0/8 -p tcp -m comment --comment "default/edge" -m tcp --dport 80 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-X', ctx({ dst: '127.0.0.1' }))).toEqual({ matches: true, assumed: [] });
  });
});

describe('interfaces', () => {
  const at = (inIface: Iface, outIface: Iface = { kind: 'none' }): MatchContext => ctx({ inIface, outIface });
  test.for([
    ['-i eth0 -j X', at({ kind: 'known', name: 'eth0' }), true, []],
    ['-i veth+ -j X', at({ kind: 'known', name: 'veth1234' }), true, []],
    ['-i cali+ -j X', at({ kind: 'known', name: 'veth1234' }), false, []],
    ['-i lo -j X', at({ kind: 'unknown', notLo: true }), false, []],
    ['! -i lo -j X', at({ kind: 'unknown', notLo: true }), true, []],
    ['-o eth0 -j X', at({ kind: 'unknown', notLo: true }, { kind: 'unknown', notLo: true }), true, ['the output interface eth0, which the trace does not know for this packet']],
    ['-o eth0 -j X', at({ kind: 'unknown', notLo: true }, { kind: 'none' }), false, []],
    ['! -o eth0 -j X', at({ kind: 'unknown', notLo: true }, { kind: 'none' }), true, []],
    ['-o lo -j X', at({ kind: 'none' }, { kind: 'known', name: 'lo' }), true, []],
  ] as const)('%s', ([line, c, want, assumed]) => {
    expect(verdict(line, c)).toEqual({ matches: want, assumed });
  });
});

describe('what hostnet does not model', () => {
  test('an unknown match module is assumed to match and named', () => {
    const r = compileRule(rule('-m physdev --physdev-is-bridged -m comment --comment "bridged pod traffic" -j ACCEPT'));
    expect(r.assumed).toEqual(['the physdev match']);
    expect(r.target).toEqual({ kind: 'ACCEPT' });
    expect(ruleMatches(r, ctx(), [])).toBe(true);
  });

  test('an unknown option of a known module is assumed too', () => {
    expect(compileRule(rule('-m conntrack --ctstatus CONFIRMED -j X')).assumed).toEqual(['conntrack --ctstatus']);
  });

  test('a rule that is not an address does not throw', () => {
    expect(compileRule(rule('-s not-an-ip -j X')).assumed).toEqual(['the address "not-an-ip", which is not an IP address or prefix']);
  });

  test('no input makes compileRule or ruleMatches throw', () => {
    const token = fc.oneof(
      fc.constantFrom('!', '-s', '-d', '-p', '-i', '-o', '-m', '-j', '-g', '--dport', '--dports', '--mark', '--ctstate', '--probability', '--mode', '--to-destination', '--set-xmark', 'tcp', 'multiport', 'statistic', 'recent', 'MARK', 'DNAT', '10.0.0.0/8', '0x4000/0x4000', '80:90'),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 14 }), (args) => {
        const r = compileRule(args);
        ruleMatches(r, ctx(), []);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('targets', () => {
  test.for([
    ['-j KUBE-SVC-CDGGSHYLG3RE2FKL', { kind: 'jump', chain: 'KUBE-SVC-CDGGSHYLG3RE2FKL' }],
    ['-g KUBE-SVL-CDGGSHYLG3RE2FKL', { kind: 'goto', chain: 'KUBE-SVL-CDGGSHYLG3RE2FKL' }],
    ['-p tcp -j DNAT --to-destination 10.244.1.5:8080', { kind: 'DNAT', ip: '10.244.1.5', port: 8080, range: false }],
    ['-p tcp -j DNAT --to-destination [fd00:10:244::5]:8080', { kind: 'DNAT', ip: 'fd00:10:244::5', port: 8080, range: false }],
    ['-j MARK --set-xmark 0x4000/0x4000', { kind: 'MARK', value: 0x4000, mask: 0x4000 }],
    ['-j MARK --set-xmark 0x4000/0x0', { kind: 'MARK', value: 0x4000, mask: 0 }],
    ['-j MARK --or-mark 0x4000', { kind: 'MARK', value: 0x4000, mask: 0x4000 }],
    ['-j MARK --set-mark 0x1', { kind: 'MARK', value: 1, mask: 0xffffffff }],
    ['-j MARK --and-mark 0xffffbfff', { kind: 'MARK', value: 0, mask: 0x4000 }],
    ['-j REJECT --reject-with icmp-port-unreachable', { kind: 'REJECT', with: 'icmp-port-unreachable' }],
    ['-j MASQUERADE --random-fully', { kind: 'MASQUERADE' }],
    ['-j SNAT --to-source 192.168.1.10', { kind: 'SNAT', ip: '192.168.1.10' }],
    ['-p tcp -j REDIRECT --to-ports 15001', { kind: 'REDIRECT', port: 15001 }],
    ['-j CT --notrack', { kind: 'NOTRACK' }],
    ['-j LOG --log-prefix "dropped: "', { kind: 'continue', name: 'LOG' }],
    ['-m comment --comment "other traffic to default/lb will be dropped by KUBE-PROXY-FIREWALL"', { kind: 'none' }],
  ] as const)('%s', ([line, want]) => {
    expect(compileRule(rule(line)).target).toEqual(want);
  });

  test.for([
    ['10.244.1.5:80', { ip: '10.244.1.5', port: 80, range: false }],
    ['10.244.1.5', { ip: '10.244.1.5', range: false }],
    ['10.0.0.1-10.0.0.9:80-90', { ip: '10.0.0.1', port: 80, range: true }],
    ['[fd00::5]:80', { ip: 'fd00::5', port: 80, range: false }],
    ['fd00::5', { ip: 'fd00::5', range: false }],
    [':8080', { port: 8080, range: false }],
    ['pod:80', undefined],
    ['10.0.0.1:99999', undefined],
  ] as const)('--to-destination %s', ([text, want]) => {
    expect(parseNatDestination(text)).toEqual(want);
  });
});

test('each rule array is compiled once', () => {
  const args = rule('-d 10.96.0.20/32 -p tcp -m tcp --dport 80 -j X');
  expect(compileRule(args)).toBe(compileRule(args));
});
