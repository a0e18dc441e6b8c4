import { describe, expect, test } from 'vitest';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule, { portNameProblems, suggestPortName } from './invalid-port.js';

/** A Pod whose one container has the given ports (flow YAML). */
const pod = (ports: string) => yaml`
  apiVersion: v1
  kind: Pod
  metadata:
    name: p
  spec:
    containers:
      - name: web
        image: nginx
        ports: ${ports}
`;

ruleTester.run(rule, {
  valid: [
    { name: 'a plain port', yaml: pod('[{containerPort: 80}]') },
    { name: 'every accepted protocol', yaml: pod('[{containerPort: 53, protocol: UDP}, {containerPort: 53, protocol: TCP}, {containerPort: 3868, protocol: SCTP}]') },
    { name: 'an empty protocol defaults to TCP (DEF-2)', yaml: pod('[{containerPort: 80, protocol: ""}]') },
    { name: 'hostPort 0 counts as unset', yaml: pod('[{containerPort: 80, hostPort: 0}]') },
    { name: 'limits of the range', yaml: pod('[{containerPort: 1, hostPort: 65535}, {containerPort: 65535, hostPort: 1}]') },
    { name: 'valid port names', yaml: pod('[{name: http, containerPort: 80}, {name: metrics-tls2, containerPort: 9443}, {name: a12345678901234, containerPort: 1}]') },
    { name: 'no ports at all', yaml: pod('[]') },
    { name: 'an empty name counts as no name', yaml: pod('[{name: "", containerPort: 80}, {name: "", containerPort: 81}]') },
    {
      name: 'the same name in two containers is only an API warning (VAL-4, VAL-18)',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
            - name: a
              image: busybox
              ports: [{name: http, containerPort: 80}]
            - name: b
              image: busybox
              ports: [{name: http, containerPort: 8080}]
      `,
    },
    {
      name: 'the same name in an init container and a container',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          initContainers:
            - name: init
              image: busybox
              ports: [{name: http, containerPort: 80}]
          containers:
            - name: a
              image: busybox
              ports: [{name: http, containerPort: 80}]
      `,
    },
    { name: 'duplicate containerPorts are allowed (VAL-7)', yaml: pod('[{containerPort: 80}, {containerPort: 80}]') },
    {
      name: 'an ephemeral container without ports',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers: [{name: a, image: busybox}]
          ephemeralContainers: [{name: debug, image: busybox, ports: []}]
      `,
    },
  ],
  invalid: [
    {
      name: 'containerPort missing',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
        spec:
          containers:
            - name: web
              image: nginx
              ports:
                - name: http
                  hostPort: 80
      `,
      errors: [{ messageId: 'containerPortRequired', line: 10, column: 11, path: 'spec.containers[0].ports[0].containerPort', messageIncludes: ['"http" of container "web"'] }],
    },
    { name: 'containerPort 0 is Required', yaml: pod('[{containerPort: 0}]'), errors: [{ messageId: 'containerPortRequired', messageIncludes: ['ports[0] of container "web"'] }] },
    { name: 'containerPort null is Required', yaml: pod('[{containerPort: null}]'), errors: [{ messageId: 'containerPortRequired' }] },
    {
      name: 'containerPort out of range',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
        spec:
          containers:
            - name: web
              image: nginx
              ports:
                - containerPort: 70000
      `,
      errors: [{ messageId: 'portOutOfRange', line: 10, column: 11, path: 'spec.containers[0].ports[0].containerPort', messageIncludes: ['containerPort 70000'] }],
    },
    { name: 'negative containerPort', yaml: pod('[{containerPort: -1}]'), errors: [{ messageId: 'portOutOfRange' }] },
    { name: 'containerPort as a string', yaml: pod('[{containerPort: "8080"}]'), errors: [{ messageId: 'notAnInteger', messageIncludes: ['"8080"'] }] },
    { name: 'containerPort as a port name', yaml: pod('[{containerPort: http}]'), errors: [{ messageId: 'notAnInteger', messageIncludes: ['is "http", not an integer', 'a port name belongs in the name field'] }] },
    { name: 'containerPort not whole', yaml: pod('[{containerPort: 80.5}]'), errors: [{ messageId: 'notAnInteger' }] },
    { name: 'containerPort a mapping', yaml: pod('[{containerPort: {port: 80}}]'), errors: [{ messageId: 'notAnInteger', messageIncludes: ['is {"port":80}, not an integer'] }] },
    {
      name: 'hostPort out of range',
      yaml: pod('[{containerPort: 80, hostPort: 65536}]'),
      errors: [{ messageId: 'portOutOfRange', path: 'spec.containers[0].ports[0].hostPort', messageIncludes: ['hostPort 65536', 'or remove hostPort'] }],
    },
    { name: 'negative hostPort', yaml: pod('[{containerPort: 80, hostPort: -80}]'), errors: [{ messageId: 'portOutOfRange' }] },
    { name: 'hostPort a boolean', yaml: pod('[{containerPort: 80, hostPort: true}]'), errors: [{ messageId: 'notAnInteger', path: 'spec.containers[0].ports[0].hostPort' }] },
    {
      name: 'lower-case protocol is NotSupported (VAL-3)',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
        spec:
          containers:
            - name: dns
              image: coredns
              ports:
                - containerPort: 53
                  protocol: udp
      `,
      errors: [{ messageId: 'protocolCase', line: 11, column: 11, path: 'spec.containers[0].ports[0].protocol', messageIncludes: ['"udp"', 'protocol: UDP'] }],
    },
    { name: 'mixed-case protocol', yaml: pod('[{containerPort: 80, protocol: Tcp}]'), errors: [{ messageId: 'protocolCase', messageIncludes: ['protocol: TCP'] }] },
    { name: 'an application protocol is not a protocol', yaml: pod('[{containerPort: 80, protocol: HTTP}]'), errors: [{ messageId: 'protocolUnsupported', messageIncludes: ['"HTTP"'] }] },
    { name: 'protocol not a string', yaml: pod('[{containerPort: 80, protocol: 6}]'), errors: [{ messageId: 'protocolUnsupported', messageIncludes: ['protocol 6 in container'] }] },
    {
      name: 'a port name with upper case and an underscore',
      yaml: pod('[{name: HTTP_Metrics, containerPort: 9090}]'),
      errors: [{ messageId: 'invalidName', path: 'spec.containers[0].ports[0].name', messageIncludes: ['name: http-metrics', 'lower-case'] }],
    },
    { name: 'a port name longer than 15 characters', yaml: pod('[{name: prometheus-metrics, containerPort: 9090}]'), errors: [{ messageId: 'invalidName', messageIncludes: ['18 characters (at most 15 are allowed)', 'name: prometheus-metr'] }] },
    { name: 'a port name with no letter', yaml: pod('[{name: "8080", containerPort: 8080}]'), errors: [{ messageId: 'invalidName', messageIncludes: ['has no letter', 'Choose a name'] }] },
    { name: 'a port name with a leading hyphen', yaml: pod('[{name: -http, containerPort: 80}]'), errors: [{ messageId: 'invalidName', messageIncludes: ['name: http'] }] },
    { name: 'a port name with a double hyphen', yaml: pod('[{name: grpc--web, containerPort: 80}]'), errors: [{ messageId: 'invalidName', messageIncludes: ['"--"'] }] },
    { name: 'a port name that is a number', yaml: pod('[{name: 80, containerPort: 80}]'), errors: [{ messageId: 'nameNotAString' }] },
    {
      name: 'a duplicate name within one container points at the second, related to the first',
      yaml: yaml`
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: d
        spec:
          selector: {matchLabels: {app: d}}
          template:
            metadata: {labels: {app: d}}
            spec:
              containers:
                - name: web
                  image: nginx
                  ports:
                    - name: http
                      containerPort: 80
                    - name: http
                      containerPort: 8080
      `,
      errors: [{ messageId: 'duplicateName', line: 16, column: 15, path: 'spec.template.spec.containers[0].ports[1].name', messageIncludes: ['"http"', 'container "web"'] }],
    },
    {
      name: 'init containers are validated too',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          initContainers:
            - name: init
              image: busybox
              ports: [{containerPort: 0}, {containerPort: 80, protocol: tcp}]
          containers: [{name: a, image: busybox}]
      `,
      errors: [
        { messageId: 'containerPortRequired', path: 'spec.initContainers[0].ports[0].containerPort', messageIncludes: ['init container "init"'] },
        { messageId: 'protocolCase', path: 'spec.initContainers[0].ports[1].protocol' },
      ],
    },
    {
      name: 'an ephemeral container with ports is Forbidden (VAL-17), once for the list',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
        spec:
          containers: [{name: a, image: busybox}]
          ephemeralContainers:
            - name: debug
              image: busybox
              ports: [{containerPort: 0}, {containerPort: 80}]
      `,
      errors: [{ messageId: 'ephemeralPorts', line: 10, column: 7, path: 'spec.ephemeralContainers[0].ports', messageIncludes: ['"debug"'] }],
    },
    {
      name: 'several problems in one port give one finding each',
      yaml: pod('[{name: Web, containerPort: 0, hostPort: 99999, protocol: tcp}]'),
      errors: [
        { messageId: 'containerPortRequired' },
        { messageId: 'portOutOfRange', messageIncludes: ['hostPort 99999'] },
        { messageId: 'protocolCase' },
        { messageId: 'invalidName', messageIncludes: ['name: web'] },
      ],
    },
  ],
});

describe('portNameProblems', () => {
  test.for([
    ['http', 0],
    ['h', 0],
    ['a12345678901234', 0],
    ['a123456789012345', 1],
    ['-a-', 1],
    ['a--b', 1],
    ['123', 1],
    ['HTTP', 2],
  ] as const)('%s → %i problems', ([name, n]) => {
    expect(portNameProblems(name)).toHaveLength(n);
  });
});

describe('suggestPortName', () => {
  test.for([
    ['HTTP', 'http'],
    ['http_metrics', 'http-metrics'],
    ['--grpc--web--', 'grpc-web'],
    ['prometheus-metrics', 'prometheus-metr'],
    ['1234', undefined],
    ['http', undefined],
  ] as const)('%s → %s', ([name, want]) => {
    expect(suggestPortName(name)).toBe(want);
  });
});

describe('related locations', () => {
  test('a duplicate name points back at the first one', () => {
    const findings = runRule(rule, pod('[{name: http, containerPort: 80}, {name: metrics, containerPort: 9090}, {name: http, containerPort: 8080}]'));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.related).toEqual([
      { message: 'The first port named "http".', file: 'test.yaml', line: 9, column: 16, path: 'spec.containers[0].ports[0].name' },
    ]);
  });
});
