import { describe, expect, test } from 'vitest';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './dns-search-truncated.js';

/** A Deployment in namespace `web` whose pod spec has the given extra lines (at the pod spec's indentation). */
const deployment = (extra: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: web
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
${extra.split('\n').filter((l) => l !== '').map((l) => `      ${l}`).join('\n')}
      containers: [{name: c, image: busybox}]
`;

const searches = (n: number, make = (i: number) => `a${i}.example`) => Array.from({ length: n }, (_, i) => make(i + 1));

/** A valid 250-character search domain. */
const long = (i: number) => `x${i}zzzz.${['a', 'b', 'c', 'd'].map((c) => c.repeat(60)).join('.')}`;

const nodeFile = (lines: string) => ({ resolvConf: { path: '/etc/resolv.conf', content: lines } });

ruleTester.run(rule, {
  valid: [
    { name: 'within the limits: cluster DNS and two more nameservers, a few searches', yaml: deployment('dnsConfig: {nameservers: [1.1.1.1, 8.8.8.8], searches: [a.example, b.example]}') },
    { name: 'no dnsConfig on the default cluster', yaml: deployment('') },
    { name: 'None with exactly 3 nameservers', yaml: deployment('dnsPolicy: None\ndnsConfig: {nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9]}') },
    {
      name: 'dnsConfig with 4 nameservers is rejected by the API server: dns-config-limits reports it (VAL-16)',
      yaml: deployment('dnsConfig: {nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9, 8.8.4.4]}'),
    },
    { name: 'dnsConfig with 33 searches is rejected by the API server (VAL-16)', yaml: deployment(`dnsConfig: {searches: [${searches(33).join(', ')}]}`) },
    { name: 'an invalid search entry makes the API server reject the pod', yaml: deployment(`dnsConfig: {nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9], searches: [Bad_Domain]}`) },
    { name: 'an unknown dnsPolicy gets no resolv.conf at all (invalid-dns-policy)', yaml: deployment('dnsPolicy: ClusterFirstWithHostNetwork\ndnsConfig: {nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9]}') },
    {
      name: 'None: only dnsConfig counts, not the node\'s search list',
      yaml: deployment('dnsPolicy: None\ndnsConfig:\n  nameservers: [1.1.1.1]\n  searches: [a.example, b.example, c.example, d.example, e.example, f.example]'),
      cluster: { kubernetesVersion: '1.25', resolvConf: { path: '/etc/resolv.conf', content: 'search x.example\n' } },
    },
    { name: 'legacy limits: 6 search entries fit', yaml: deployment('dnsConfig: {searches: [a.example, b.example]}'), cluster: { kubernetesVersion: '1.25' } },
    { name: 'a node file with 29 search domains leaves room for the 3 cluster ones', yaml: deployment(''), cluster: nodeFile(`search ${searches(29, (i) => `n${i}.example`).join(' ')}\nnameserver 192.168.10.2\n`) },
    { name: 'a Host-type pod reads a node file with 31 search domains whole', yaml: deployment('dnsPolicy: Default'), cluster: nodeFile(`search ${searches(31, (i) => `n${i}.example`).join(' ')}\nnameserver 192.168.10.2\n`) },
  ],
  invalid: [
    {
      name: '4 nameservers via dnsConfig on ClusterFirst (cluster 1 + 3): the last one is dropped (KDNS-9)',
      yaml: deployment('dnsConfig:\n  nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9]'),
      errors: [{
        messageId: 'nameservers', line: 12, column: 41, path: 'spec.template.spec.dnsConfig.nameservers[2]',
        messageIncludes: [
          "10.96.0.10 (the kubelet's clusterDNS), then 1.1.1.1, 8.8.8.8 and 9.9.9.9 (spec.dnsConfig)",
          'so 9.9.9.9 is never asked',
          'gets nameserver 10.96.0.10, nameserver 1.1.1.1 and nameserver 8.8.8.8',
          '"Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: 10.96.0.10 1.1.1.1 8.8.8.8"',
          'With the default dnsPolicy ClusterFirst, the pod already has 1 nameserver, so at most 2 from spec.dnsConfig.nameservers fit: remove 9.9.9.9, or use dnsPolicy: None',
        ],
      }],
    },
    {
      name: '30 dnsConfig searches + 3 cluster + the node\'s corp.example: cut to 32',
      yaml: deployment(`dnsConfig:\n  searches:\n${searches(30).map((s) => `    - ${s}`).join('\n')}`),
      errors: [{
        messageId: 'searches', line: 41, column: 13, path: 'spec.template.spec.dnsConfig.searches[28]',
        messageIncludes: [
          "(34 entries: 3 from the cluster domain, 1 from the node's /etc/resolv.conf and 30 from spec.dnsConfig)",
          'limits of Kubernetes 1.36 (32 entries and 2048 characters, KDNS-9)',
          'it drops a29.example and a30.example (only the first 32 entries are kept)',
          `"Search Line limits were exceeded, some search paths have been omitted, the applied search line is: web.svc.cluster.local svc.cluster.local cluster.local corp.example ${searches(28).join(' ')}"`,
          'With the default dnsPolicy ClusterFirst, the pod already has 4 entries, so at most 28 from spec.dnsConfig.searches fit',
        ],
      }],
    },
    {
      name: 'a node file with 31 search domains: every ClusterFirst pod loses 2; the finding points at the policy',
      yaml: deployment(''),
      cluster: nodeFile(`search ${searches(31, (i) => `n${i}.example`).join(' ')}\nnameserver 192.168.10.2\n`),
      errors: [{
        messageId: 'searches', line: 10, column: 5, path: 'spec.template.spec.dnsPolicy',
        messageIncludes: [
          "34 entries: 3 from the cluster domain and 31 from the node's /etc/resolv.conf",
          'it drops n30.example and n31.example (only the first 32 entries are kept)',
          "With the default dnsPolicy ClusterFirst, the kubelet puts the 3 cluster search domains before the 31 search domains of the node's /etc/resolv.conf",
          'KDNS-10',
        ],
      }],
    },
    {
      name: 'legacy version 1.25: 4 dnsConfig searches pass the API server but not the kubelet\'s 6 entries',
      yaml: deployment('dnsConfig:\n  searches: [a.example, b.example, c.example, d.example]'),
      cluster: { kubernetesVersion: '1.25' },
      errors: [{
        messageId: 'searches', path: 'spec.template.spec.dnsConfig.searches[2]',
        messageIncludes: [
          'limits of Kubernetes 1.25 (6 entries and 256 characters before 1.26, when ExpandedDNSConfig was off, KDNS-9)',
          'it drops c.example and d.example',
          'the applied search line is: web.svc.cluster.local svc.cluster.local cluster.local corp.example a.example b.example"',
          'so at most 2 from spec.dnsConfig.searches fit',
        ],
      }],
    },
    {
      name: 'a Host-type pod on a node file with 4 nameservers: the finding points at dnsPolicy',
      yaml: deployment('dnsPolicy: Default'),
      cluster: nodeFile('nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 10.0.0.4\n'),
      errors: [{
        messageId: 'nameservers', line: 11, column: 7, path: 'spec.template.spec.dnsPolicy',
        messageIncludes: [
          "10.0.0.1, 10.0.0.2, 10.0.0.3 and 10.0.0.4 (the node's /etc/resolv.conf)",
          'so 10.0.0.4 is never asked',
          "With dnsPolicy: Default, the pod gets the nameservers of the node's /etc/resolv.conf, which lists 4",
        ],
      }],
    },
    {
      name: 'hostNetwork with the default policy copies the node\'s nameservers too: the finding points at hostNetwork',
      yaml: deployment('hostNetwork: true'),
      cluster: nodeFile('nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 10.0.0.4\n'),
      errors: [{ messageId: 'nameservers', path: 'spec.template.spec.hostNetwork', messageIncludes: ['With hostNetwork and the default dnsPolicy ClusterFirst, the pod gets the nameservers'] }],
    },
    {
      name: 'the search line over 2048 characters: the last dnsConfig entry goes',
      yaml: deployment(`dnsConfig:\n  searches:\n${searches(8, long).map((s) => `    - ${s}`).join('\n')}`),
      errors: [{
        messageId: 'searches', path: 'spec.template.spec.dnsConfig.searches[7]',
        messageIncludes: [`it drops ${long(8).slice(0, 40)}... (250 characters) from the end (the search line would be longer than 2048 characters)`],
      }],
    },
    {
      name: 'a node search domain over 253 characters is dropped (the node file is not validated)',
      yaml: deployment(''),
      cluster: nodeFile(`search corp.example ${'n'.repeat(254)}.example\nnameserver 192.168.10.2\n`),
      errors: [{ messageId: 'searches', path: 'spec.template.spec.dnsPolicy', messageIncludes: ['(longer than 253 characters)', 'the applied search line is: web.svc.cluster.local svc.cluster.local cluster.local corp.example"'] }],
    },
    {
      name: 'both limits at once: two findings',
      yaml: deployment('dnsConfig:\n  nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9]\n  searches: [a.example, b.example, c.example]'),
      cluster: { kubernetesVersion: '1.20' },
      errors: [
        { messageId: 'nameservers', path: 'spec.template.spec.dnsConfig.nameservers[2]' },
        { messageId: 'searches', path: 'spec.template.spec.dnsConfig.searches[2]', messageIncludes: ['it drops c.example (only the first 6 entries are kept)'] },
      ],
    },
  ],
});

describe('dns-search-truncated details', () => {
  test('evidence: the merged list before the limit, the applied line and the event', () => {
    const [f] = runRule(rule, deployment('dnsConfig:\n  nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9]'));
    expect(f!.evidence).toContain('merged before the limit: 10.96.0.10 (clusterDNS), 1.1.1.1 (dnsConfig), 8.8.8.8 (dnsConfig), 9.9.9.9 (dnsConfig)');
    expect(f!.evidence.some((e) => e.startsWith('kubelet event on the pod: DNSConfigForming: Nameserver limits were exceeded'))).toBe(true);
  });

  test('a kubelet without resolvConf: the Host type gets 127.0.0.1 and dnsConfig adds to it', () => {
    const findings = runRule(rule, deployment('dnsPolicy: Default\ndnsConfig:\n  nameservers: [1.1.1.1, 8.8.8.8, 9.9.9.9]'), undefined, { resolvConf: { path: '', content: '' } });
    expect(findings.map((f) => f.message)).toEqual([expect.stringContaining("127.0.0.1 (the kubelet's default), then 1.1.1.1, 8.8.8.8 and 9.9.9.9 (spec.dnsConfig)")]);
  });
});
