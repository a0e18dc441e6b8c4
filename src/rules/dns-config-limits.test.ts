import { describe, expect, test } from 'vitest';
import { ruleTester } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule, { parseIP, searchLimits, searchProblem } from './dns-config-limits.js';

/** A Pod whose dnsConfig is the given flow-style YAML. */
const pod = (dnsConfig: string) => yaml`
  apiVersion: v1
  kind: Pod
  metadata:
    name: p
  spec:
    dnsPolicy: None
    dnsConfig: ${dnsConfig}
    containers:
      - name: c
        image: busybox
`;

const domains = (n: number, f: (i: number) => string = (i) => `d${i}.example.com`) => `[${Array.from({ length: n }, (_, i) => f(i)).join(', ')}]`;

ruleTester.run(rule, {
  valid: [
    { name: 'no dnsConfig', yaml: yaml`
      apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        containers: [{name: c, image: busybox}]
    ` },
    { name: 'three nameservers, IPv4 and IPv6', yaml: pod('{nameservers: [10.96.0.10, "2001:db8::53", "::1"]}') },
    { name: 'searches with one trailing dot, options with and without values', yaml: pod('{nameservers: [1.1.1.1], searches: [corp.example., a-b.c0], options: [{name: ndots, value: "2"}, {name: edns0}]}') },
    { name: '32 search domains on 1.36 (ExpandedDNSConfig)', yaml: pod(`{nameservers: [1.1.1.1], searches: ${domains(32)}}`) },
    { name: 'underscores and a lone "." from 1.33 (RelaxedDNSSearchValidation)', yaml: pod('{nameservers: [1.1.1.1], searches: [_srv.example.com, my_host.example, "."]}') },
    { name: 'an empty dnsConfig under ClusterFirst', yaml: yaml`
      apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        dnsConfig: {}
        containers: [{name: c, image: busybox}]
    ` },
    { name: 'null lists are empty lists', yaml: pod('{nameservers: [1.1.1.1], searches: null, options: null}') },
    { name: 'the limits apply to dnsConfig alone, not to the merged result (KDNS-9)', yaml: yaml`
      apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        dnsPolicy: ClusterFirst
        dnsConfig:
          nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9]
        containers: [{name: c, image: busybox}]
    ` },
    { name: 'a plain nameserver on an older cluster (1.32)', yaml: pod('{nameservers: [1.1.1.1]}'), cluster: { kubernetesVersion: '1.32' } },
  ],
  invalid: [
    {
      name: 'four nameservers: one finding on the fourth',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          dnsPolicy: None
          dnsConfig:
            nameservers:
              - 1.1.1.1
              - 8.8.8.8
              - 9.9.9.9
              - 10.96.0.10
          containers: [{name: c, image: busybox}]
      `,
      errors: [{ messageId: 'tooManyNameservers', line: 11, column: 9, path: 'spec.dnsConfig.nameservers[3]', severity: 'error', messageIncludes: ['4 entries', 'as written', 'KDNS-9'] }],
    },
    {
      name: 'a host name instead of an IP',
      yaml: pod('{nameservers: [dns.google, 1.1.1.1]}'),
      errors: [{ messageId: 'nameserverInvalid', path: 'spec.dnsConfig.nameservers[0]', messageIncludes: ['"dns.google"'] }],
    },
    {
      name: 'not IPs: zones, brackets, CIDRs, out-of-range octets, numbers',
      yaml: pod('{nameservers: ["fe80::1%eth0", "[::1]", 10.0.0.0/8, 256.1.1.1, 53]}'),
      errors: [
        { messageId: 'tooManyNameservers', path: 'spec.dnsConfig.nameservers[3]' },
        { messageId: 'nameserverInvalid', path: 'spec.dnsConfig.nameservers[0]' },
        { messageId: 'nameserverInvalid', path: 'spec.dnsConfig.nameservers[1]' },
        { messageId: 'nameserverInvalid', path: 'spec.dnsConfig.nameservers[2]' },
        { messageId: 'nameserverInvalid', path: 'spec.dnsConfig.nameservers[3]' },
        { messageId: 'nameserverInvalid', path: 'spec.dnsConfig.nameservers[4]', messageIncludes: ['nameserver 53 '] },
      ],
    },
    {
      name: 'a leading-zero octet is rejected from 1.36 (StrictIPCIDRValidation)',
      yaml: pod('{nameservers: [010.0.0.1]}'),
      errors: [{ messageId: 'nameserverNonStandard', severity: 'error', path: 'spec.dnsConfig.nameservers[0]', messageIncludes: ['octal', 'Write it as "10.0.0.1".'] }],
    },
    {
      name: 'a leading-zero octet is a warning on 1.35',
      yaml: pod('{nameservers: [010.0.0.1]}'),
      cluster: { kubernetesVersion: '1.35' },
      errors: [{ messageId: 'nameserverNonStandardWarning', severity: 'warning', messageIncludes: ['1.35 accepts it with a warning'] }],
    },
    {
      name: 'an IPv4-mapped IPv6 nameserver',
      yaml: pod('{nameservers: ["::ffff:10.96.0.10"]}'),
      errors: [{ messageId: 'nameserverNonStandard', messageIncludes: ['IPv4-mapped', '"10.96.0.10"'] }],
    },
    {
      name: '33 search domains on 1.36',
      yaml: pod(`{nameservers: [1.1.1.1], searches: ${domains(33)}}`),
      errors: [{ messageId: 'tooManySearches', path: 'spec.dnsConfig.searches[32]', messageIncludes: ['33 domains', 'at most 32'] }],
    },
    {
      name: '7 search domains before ExpandedDNSConfig (1.25)',
      yaml: pod(`{nameservers: [1.1.1.1], searches: ${domains(7)}}`),
      cluster: { kubernetesVersion: '1.25' },
      errors: [{ messageId: 'tooManySearches', path: 'spec.dnsConfig.searches[6]', messageIncludes: ['1.25 allows at most 6'] }],
    },
    {
      name: 'search line over 2048 characters',
      yaml: pod(`{nameservers: [1.1.1.1], searches: ${domains(12, (i) => `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.x${i}`)}}`),
      errors: [{ messageId: 'searchesTooLong', path: 'spec.dnsConfig.searches', messageIncludes: ['at most 2048'] }],
    },
    {
      name: 'search line over 256 characters on 1.25',
      yaml: pod(`{nameservers: [1.1.1.1], searches: ${domains(3, (i) => `${'a'.repeat(90)}.x${i}`)}}`),
      cluster: { kubernetesVersion: '1.25' },
      errors: [{ messageId: 'searchesTooLong', messageIncludes: ['at most 256'] }],
    },
    {
      name: 'invalid search entries: upper case, empty, spaces, too long, double dots',
      yaml: yaml`
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: ds}
        spec:
          selector: {matchLabels: {app: a}}
          template:
            metadata: {labels: {app: a}}
            spec:
              dnsConfig:
                searches:
                  - Corp.Example.com
                  - ""
                  - "a b"
                  - ${'x'.repeat(254)}
                  - a..b
              containers: [{name: c, image: busybox}]
      `,
      errors: [
        { messageId: 'invalidSearch', line: 11, column: 13, path: 'spec.template.spec.dnsConfig.searches[0]', messageIncludes: ['upper-case', '"corp.example.com"', 'DaemonSet'] },
        { messageId: 'invalidSearch', path: 'spec.template.spec.dnsConfig.searches[1]', messageIncludes: ['is empty'] },
        { messageId: 'invalidSearch', path: 'spec.template.spec.dnsConfig.searches[2]', messageIncludes: ['not a DNS-1123 subdomain'] },
        { messageId: 'invalidSearch', path: 'spec.template.spec.dnsConfig.searches[3]', messageIncludes: ['254 characters'] },
        { messageId: 'invalidSearch', path: 'spec.template.spec.dnsConfig.searches[4]', messageIncludes: ['not a DNS-1123 subdomain'] },
      ],
    },
    {
      name: 'underscores and a lone "." before RelaxedDNSSearchValidation (1.32)',
      yaml: pod('{nameservers: [1.1.1.1], searches: [_srv.example.com, "."]}'),
      cluster: { kubernetesVersion: '1.32' },
      errors: [
        { messageId: 'invalidSearch', path: 'spec.dnsConfig.searches[0]', messageIncludes: ['underscore', '1.33'] },
        { messageId: 'invalidSearch', path: 'spec.dnsConfig.searches[1]', messageIncludes: ['lone "."'] },
      ],
    },
    {
      name: 'options without a name, with an empty name, as strings, with a number value',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          dnsConfig:
            options:
              - value: "2"
              - name: ""
              - ndots:2
              - name: ndots
                value: 2
          containers: [{name: c, image: busybox}]
      `,
      errors: [
        { messageId: 'optionWithoutName', line: 7, column: 9, path: 'spec.dnsConfig.options[0]', messageIncludes: ['has no name'] },
        { messageId: 'optionWithoutName', line: 8, column: 9, path: 'spec.dnsConfig.options[1].name', messageIncludes: ['empty name'] },
        { messageId: 'optionNotObject', path: 'spec.dnsConfig.options[2]', messageIncludes: ['{name: ndots, value: "2"}'] },
        { messageId: 'optionValueNotString', path: 'spec.dnsConfig.options[3].value', messageIncludes: ['value: "2"'] },
      ],
    },
    {
      name: 'wrong JSON types never throw',
      yaml: yaml`
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: Pod
            metadata: {name: a}
            spec:
              dnsConfig: [1.1.1.1]
              containers: [{name: c, image: busybox}]
          - apiVersion: v1
            kind: Pod
            metadata: {name: b}
            spec:
              dnsConfig: {nameservers: 8.8.8.8, searches: 5, options: {name: ndots}}
              containers: [{name: c, image: busybox}]
          - apiVersion: v1
            kind: Pod
            metadata: {name: c}
            spec:
              dnsConfig: {nameservers: [{ip: 1.1.1.1}], searches: [[a]], options: [{name: 5}]}
              containers: [{name: c, image: busybox}]
      `,
      errors: [
        { messageId: 'dnsConfigNotObject', path: 'spec.dnsConfig' },
        { messageId: 'notAList', path: 'spec.dnsConfig.nameservers', messageIncludes: ['nameservers: [8.8.8.8]'] },
        { messageId: 'notAList', path: 'spec.dnsConfig.searches' },
        { messageId: 'notAList', path: 'spec.dnsConfig.options' },
        { messageId: 'nameserverInvalid', path: 'spec.dnsConfig.nameservers[0]' },
        { messageId: 'invalidSearch', path: 'spec.dnsConfig.searches[0]', messageIncludes: ['not a string'] },
        { messageId: 'optionWithoutName', path: 'spec.dnsConfig.options[0].name', messageIncludes: ['not a string'] },
      ],
    },
  ],
});

describe('parseIP', () => {
  test.for([
    ['10.96.0.10', '10.96.0.10', false, false],
    ['010.0.0.1', '10.0.0.1', true, false],
    ['0.0.0.0', '0.0.0.0', false, false],
    ['2001:db8::53', '2001:db8::53', false, false],
    ['2001:DB8:0:0:0:0:0:53', '2001:db8::53', false, false],
    ['::', '::', false, false],
    ['::1', '::1', false, false],
    ['1::', '1::', false, false],
    ['::ffff:10.0.0.1', '10.0.0.1', false, true],
    ['::ffff:a00:1', '10.0.0.1', false, true],
    ['64:ff9b::10.0.0.1', '64:ff9b::a00:1', false, false],
    ['::1.2.3.4', '::102:304', false, false],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8', false, false],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3', false, false],
  ] as const)('%s → %s', ([input, canonical, leadingZeros, mapped]) => {
    expect(parseIP(input)).toEqual({ canonical, leadingZeros, mapped });
  });

  test.for([
    '', '1.2.3', '1.2.3.4.5', '1.2.3.256', '1.2.3.-1', ' 1.2.3.4', 'a.b.c.d', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9',
    '1::2::3', ':::', ':1::', '1:2:3:4:5:6:7::8', 'fe80::1%eth0', '[::1]', '::1/128', '1.2.3.4::', '12345::', 'g::1',
    '1:2:3:4:5:6:7:8::', 'dns.google',
  ])('%s is not an IP', (input) => {
    expect(parseIP(input)).toBeUndefined();
  });
});

describe('searchLimits and searchProblem', () => {
  test('limits by version', () => {
    expect(searchLimits('1.25')).toEqual({ paths: 6, chars: 256 });
    expect(searchLimits('1.26')).toEqual({ paths: 32, chars: 2048 });
    expect(searchLimits('v1.36.2')).toEqual({ paths: 32, chars: 2048 });
  });
  test.for([
    ['example.com', false, true],
    ['example.com.', false, true],
    ['example.com..', false, false],
    ['.example.com', false, false],
    ['-a.example', false, false],
    ['a-.example', false, false],
    ['1.2.3.4', false, true],
    ['_tcp.example', true, true],
    ['a_b.example', true, true],
    ['a_.example', true, false],
    ['__a.example', true, false],
    ['.', true, true],
    ['.', false, false],
    ['x'.repeat(253), false, true],
    [`${'x'.repeat(253)}.`, false, true],
    ['x'.repeat(254), false, false],
    [`${'a'.repeat(64)}.example`, false, true],
  ] as const)('%s (relaxed %s) accepted: %s', ([value, relaxed, ok]) => {
    expect(searchProblem(value, relaxed) === undefined).toBe(ok);
  });
});
