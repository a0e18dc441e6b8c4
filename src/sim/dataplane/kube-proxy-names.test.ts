import { describe, expect, test } from 'vitest';
import { base32Std, servicePortChainName, servicePortEndpointChainName, servicePortNameOf } from './kube-proxy-names.js';

// The expected names come from kubernetes/kubernetes pkg/proxy/iptables/proxier_test.go
// (TestOverallIPTablesRules and TestSortIPTablesRules): each service there has one TCP port named
// p80, and the endpoints are the ones the test puts in its EndpointSlices.
describe('kube-proxy service port chain names (KP-2), as upstream tests expect them', () => {
  test.for([
    ['ns1/svc1:p80', 'KUBE-SVC-XPGD46QRK7WJZT7O'],
    ['ns2/svc2:p80', 'KUBE-SVC-GNZBNJ2PO5MGZ6GT'],
    ['ns3/svc3:p80', 'KUBE-SVC-X27LE4BHSL4DOUIK'],
    ['ns4/svc4:p80', 'KUBE-SVC-4SW47YFZTEDKD3PK'],
    ['ns5/svc5:p80', 'KUBE-SVC-NUKIZ6OKUXPJNT4C'],
  ] as const)('%s tcp', ([name, want]) => {
    expect(servicePortChainName('KUBE-SVC-', name, 'tcp')).toBe(want);
  });

  test('SVL, EXT and FW share the hash of the SVC chain, with their own prefix', () => {
    expect(servicePortChainName('KUBE-SVL-', 'ns2/svc2:p80', 'tcp')).toBe('KUBE-SVL-GNZBNJ2PO5MGZ6GT');
    expect(servicePortChainName('KUBE-EXT-', 'ns2/svc2:p80', 'tcp')).toBe('KUBE-EXT-GNZBNJ2PO5MGZ6GT');
    expect(servicePortChainName('KUBE-FW-', 'ns5/svc5:p80', 'tcp')).toBe('KUBE-FW-NUKIZ6OKUXPJNT4C');
  });

  test('the protocol is hashed in lower case, so TCP and tcp name the same chain', () => {
    expect(servicePortChainName('KUBE-SVC-', 'ns1/svc1:p80', 'TCP')).toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
    expect(servicePortChainName('KUBE-SVC-', 'ns1/svc1:p80', 'udp')).not.toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
  });
});

describe('kube-proxy endpoint chain names (KP-2)', () => {
  test.for([
    ['ns1/svc1:p80', '10.180.0.1:80', 'KUBE-SEP-SXIVWICOYRO3J4NJ'],
    ['ns2/svc2:p80', '10.180.0.2:80', 'KUBE-SEP-RS4RBKLTHTF2IUXJ'],
    ['ns3/svc3:p80', '10.180.0.3:80', 'KUBE-SEP-OYPFS5VJICHGATKP'],
    ['ns4/svc4:p80', '10.180.0.4:80', 'KUBE-SEP-UKSFD7AGPMPPLUHC'],
    ['ns4/svc4:p80', '10.180.0.5:80', 'KUBE-SEP-C6EBXVWJJZMIWKLZ'],
    // The same ip:port behind another service port gets another chain.
    ['ns5/svc5:p80', '10.180.0.3:80', 'KUBE-SEP-I77PXRDZVX7PMWMN'],
  ] as const)('%s → %s', ([name, endpoint, want]) => {
    expect(servicePortEndpointChainName(name, 'tcp', endpoint)).toBe(want);
  });
});

describe('names seen on real nodes', () => {
  // Not from upstream tests: iptables-save output quoted in several independent write-ups (the API
  // server's Service and CoreDNS's are the same on every cluster). They cover an unnamed port and UDP.
  test.for([
    ['default', 'kubernetes', 'https', 'tcp', 'KUBE-SVC-NPX46M4PTMTKRN6Y'],
    ['kube-system', 'kube-dns', 'dns', 'udp', 'KUBE-SVC-TCOU7JCQXEZGVUNU'],
    ['kube-system', 'kube-dns', 'dns-tcp', 'tcp', 'KUBE-SVC-ERIFXISQEP7F7OF4'],
    ['default', 'nginx', '', 'tcp', 'KUBE-SVC-2CMXP7HKUVJN7L6M'],
  ] as const)('%s/%s:%s %s', ([ns, name, port, protocol, want]) => {
    expect(servicePortChainName('KUBE-SVC-', servicePortNameOf(ns, name, port), protocol)).toBe(want);
  });
});

describe('servicePortNameOf (ServicePortName.String)', () => {
  test('named and unnamed ports', () => {
    expect(servicePortNameOf('ns1', 'svc1', 'p80')).toBe('ns1/svc1:p80');
    expect(servicePortNameOf('default', 'nginx', '')).toBe('default/nginx');
  });
});

describe('base32Std is RFC 4648 base32 with padding', () => {
  // RFC 4648 section 10 test vectors.
  test.for([
    ['', ''],
    ['f', 'MY======'],
    ['fo', 'MZXQ===='],
    ['foo', 'MZXW6==='],
    ['foob', 'MZXW6YQ='],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI======'],
  ] as const)('%j', ([input, want]) => {
    expect(base32Std(new TextEncoder().encode(input))).toBe(want);
  });

  test('a SHA-256 digest encodes to 56 characters, 4 of them padding', () => {
    const out = base32Std(new Uint8Array(32).fill(255));
    expect(out).toHaveLength(56);
    expect(out.endsWith('====')).toBe(true);
    // 256 bits: 51 full groups of five ones, then a last 1 padded with zeros (0b10000 = Q).
    expect(out.slice(0, 52)).toBe('7'.repeat(51) + 'Q');
  });
});
