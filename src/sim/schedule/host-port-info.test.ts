/**
 * HostPortInfo against SCHED-2 (key normalisation: empty hostIP is 0.0.0.0, empty protocol TCP,
 * hostIP a raw string, ports ≤ 0 ignored) and SCHED-3 (the 0.0.0.0 wildcard works both ways;
 * protocols never mix). Ref: kubernetes/kubernetes pkg/scheduler/framework/types.go#HostPortInfo.
 */
import { describe, expect, test } from 'vitest';
import { HostPortInfo, sanitize } from './host-port-info.js';

type Triple = readonly [hostIP: string, protocol: string, port: number];

interface Case {
  readonly name: string;
  /** Ports already held on the node; each holder is named by its index (`h0`, `h1`, …). */
  readonly held: readonly Triple[];
  readonly wanted: Triple;
  /** The holders `conflicts()` returns, in insertion order. */
  readonly holders: readonly string[];
}

const cases: readonly Case[] = [
  // SCHED-2: an empty hostIP is 0.0.0.0, on either side.
  { name: 'empty hostIP vs 0.0.0.0', held: [['0.0.0.0', 'TCP', 80]], wanted: ['', 'TCP', 80], holders: ['h0'] },
  { name: '0.0.0.0 vs held empty hostIP', held: [['', 'TCP', 80]], wanted: ['0.0.0.0', 'TCP', 80], holders: ['h0'] },
  { name: 'empty vs empty', held: [['', 'TCP', 80]], wanted: ['', 'TCP', 80], holders: ['h0'] },
  { name: 'empty protocol is TCP (wanted)', held: [['', 'TCP', 80]], wanted: ['', '', 80], holders: ['h0'] },
  { name: 'empty protocol is TCP (held)', held: [['', '', 80]], wanted: ['', 'TCP', 80], holders: ['h0'] },
  { name: 'empty protocol is not UDP', held: [['', '', 80]], wanted: ['', 'UDP', 80], holders: [] },
  // SCHED-3: a wanted wildcard conflicts with the port on any hostIP.
  { name: 'wanted 0.0.0.0 vs held specific', held: [['10.0.0.1', 'TCP', 80]], wanted: ['0.0.0.0', 'TCP', 80], holders: ['h0'] },
  { name: 'wanted empty hostIP vs held specific', held: [['10.0.0.1', 'TCP', 80]], wanted: ['', 'TCP', 80], holders: ['h0'] },
  {
    name: 'wanted 0.0.0.0 returns every holder of the port',
    held: [['10.0.0.1', 'TCP', 80], ['10.0.0.2', 'TCP', 80], ['', 'TCP', 80], ['10.0.0.1', 'TCP', 81], ['10.0.0.1', 'UDP', 80]],
    wanted: ['0.0.0.0', 'TCP', 80],
    holders: ['h0', 'h1', 'h2'],
  },
  // SCHED-3: a specific hostIP conflicts with the same hostIP or 0.0.0.0 only.
  { name: 'wanted specific vs held 0.0.0.0', held: [['0.0.0.0', 'TCP', 80]], wanted: ['10.0.0.1', 'TCP', 80], holders: ['h0'] },
  { name: 'wanted specific vs held empty hostIP', held: [['', 'TCP', 80]], wanted: ['10.0.0.1', 'TCP', 80], holders: ['h0'] },
  { name: 'same specific hostIP', held: [['10.0.0.1', 'TCP', 80]], wanted: ['10.0.0.1', 'TCP', 80], holders: ['h0'] },
  { name: 'two specific hostIPs coexist', held: [['10.0.0.1', 'TCP', 80]], wanted: ['10.0.0.2', 'TCP', 80], holders: [] },
  {
    name: 'specific: only the same IP and the wildcard are returned',
    held: [['10.0.0.2', 'TCP', 80], ['0.0.0.0', 'TCP', 80], ['10.0.0.1', 'TCP', 80]],
    wanted: ['10.0.0.1', 'TCP', 80],
    holders: ['h1', 'h2'],
  },
  // Protocols and ports never mix.
  { name: 'TCP vs UDP', held: [['0.0.0.0', 'TCP', 53]], wanted: ['0.0.0.0', 'UDP', 53], holders: [] },
  { name: 'UDP vs UDP', held: [['0.0.0.0', 'UDP', 53]], wanted: ['', 'UDP', 53], holders: ['h0'] },
  { name: 'SCTP vs SCTP', held: [['', 'SCTP', 9899]], wanted: ['', 'SCTP', 9899], holders: ['h0'] },
  { name: 'SCTP vs TCP', held: [['', 'SCTP', 9899]], wanted: ['', 'TCP', 9899], holders: [] },
  { name: 'different ports', held: [['0.0.0.0', 'TCP', 80]], wanted: ['0.0.0.0', 'TCP', 8080], holders: [] },
  // SCHED-2: hostIP is a raw string; `::` is not a wildcard, and no address is canonicalised.
  { name: ':: does not block IPv4 specific', held: [['::', 'TCP', 80]], wanted: ['10.0.0.1', 'TCP', 80], holders: [] },
  { name: 'specific is not blocked by ::', held: [['::', 'TCP', 80]], wanted: ['::1', 'TCP', 80], holders: [] },
  { name: 'wanted :: is not a wildcard', held: [['10.0.0.1', 'TCP', 80]], wanted: ['::', 'TCP', 80], holders: [] },
  { name: 'wanted :: vs held :: (same string)', held: [['::', 'TCP', 80]], wanted: ['::', 'TCP', 80], holders: ['h0'] },
  { name: 'wanted :: vs held 0.0.0.0', held: [['0.0.0.0', 'TCP', 80]], wanted: ['::', 'TCP', 80], holders: ['h0'] },
  { name: 'wanted 0.0.0.0 vs held ::', held: [['::', 'TCP', 80]], wanted: ['0.0.0.0', 'TCP', 80], holders: ['h0'] },
  { name: 'no canonicalisation of spellings', held: [['10.0.0.01', 'TCP', 80]], wanted: ['10.0.0.1', 'TCP', 80], holders: [] },
  // SCHED-2: ports ≤ 0 are neither held nor wanted.
  { name: 'held port 0 is ignored', held: [['', 'TCP', 0]], wanted: ['', 'TCP', 0], holders: [] },
  { name: 'held negative port is ignored', held: [['', 'TCP', -80]], wanted: ['', 'TCP', -80], holders: [] },
  { name: 'wanted port 0 never conflicts', held: [['', 'TCP', 80]], wanted: ['', 'TCP', 0], holders: [] },
];

function infoWith(held: readonly Triple[]): HostPortInfo<string> {
  const info = new HostPortInfo<string>();
  held.forEach(([ip, proto, port], i) => info.add(ip, proto, port, `h${i}`));
  return info;
}

describe('HostPortInfo.conflicts (SCHED-2, SCHED-3)', () => {
  test.for(cases.map((c) => [c.name, c] as const))('%s', ([, c]) => {
    const got = infoWith(c.held).conflicts(...c.wanted);
    expect(got.map((h) => h.holder)).toEqual(c.holders);
  });

  test('returned holders carry the normalised hostIP and protocol', () => {
    const info = new HostPortInfo<string>();
    info.add('', '', 80, 'a');
    expect(info.conflicts('10.0.0.1', 'TCP', 80)).toEqual([{ hostIP: '0.0.0.0', protocol: 'TCP', port: 80, holder: 'a' }]);
  });

  test.for([
    ['', '', '0.0.0.0', 'TCP'],
    ['', 'UDP', '0.0.0.0', 'UDP'],
    ['10.0.0.1', '', '10.0.0.1', 'TCP'],
    ['::', 'SCTP', '::', 'SCTP'],
  ] as const)('sanitize(%j, %j) = [%s, %s]', ([ip, proto, wantIP, wantProto]) => {
    expect(sanitize(ip, proto)).toEqual([wantIP, wantProto]);
  });
});

describe('HostPortInfo.remove and all', () => {
  test('remove drops every port of one holder and nothing else', () => {
    const info = infoWith([['', 'TCP', 80], ['', 'TCP', 443], ['10.0.0.1', 'UDP', 53]]);
    info.add('10.0.0.2', 'TCP', 80, 'other');
    info.remove('h0');
    expect(info.conflicts('', 'TCP', 80).map((h) => h.holder)).toEqual(['other']);
    expect(info.conflicts('', 'TCP', 443).map((h) => h.holder)).toEqual(['h1']);
    expect(info.conflicts('', 'UDP', 53).map((h) => h.holder)).toEqual(['h2']);
    // With the wildcard holder gone, a specific IP next to `other` is free again.
    expect(info.conflicts('10.0.0.1', 'TCP', 80)).toEqual([]);
    info.remove('other');
    expect(info.conflicts('', 'TCP', 80)).toEqual([]);
  });

  test('remove of a holder that holds nothing changes nothing', () => {
    const info = infoWith([['', 'TCP', 80]]);
    info.remove('nobody');
    expect(info.all().map((h) => h.holder)).toEqual(['h0']);
  });

  test('a port freed by remove can be added and found again', () => {
    const info = infoWith([['', 'TCP', 80]]);
    info.remove('h0');
    expect(info.all()).toEqual([]);
    info.add('', 'TCP', 80, 'again');
    expect(info.conflicts('10.0.0.9', 'TCP', 80).map((h) => h.holder)).toEqual(['again']);
  });

  test('all() lists every held port sorted by protocol, port and hostIP', () => {
    const info = infoWith([['10.0.0.2', 'UDP', 53], ['', 'TCP', 443], ['10.0.0.1', 'TCP', 80], ['', 'TCP', 80], ['', 'TCP', 0]]);
    expect(info.all().map((h) => `${h.protocol}/${h.port}@${h.hostIP}=${h.holder}`)).toEqual([
      'TCP/80@0.0.0.0=h3',
      'TCP/80@10.0.0.1=h2',
      'TCP/443@0.0.0.0=h1',
      'UDP/53@10.0.0.2=h0',
    ]);
  });
});
