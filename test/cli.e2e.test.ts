/**
 * The real binary, built from a clean tsc run, as a user runs it: exit codes, formats, stdin,
 * config, suppression, and the library API returning the same findings as the CLI.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadClusterText } from '../src/load/cluster-file.js';
import { DEFAULT_CLUSTER } from '../src/model/default-cluster.js';
import { buildDist } from './build-dist.js';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'dist', 'cli', 'bin.js');

// One build shared with the lab tests that run the binary (a lock, and no rebuild of unchanged sources).
beforeAll(buildDist, 180_000);

function run(args: string[], opts: { input?: string; cwd?: string } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, input: opts.input ?? '', encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function dir(files: Record<string, string>): string {
  const d = mkdtempSync(join(tmpdir(), 'hostnet-e2e-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

const BAD_POD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  dnsPolicy: ClusterFirstWithHostNetwork\n  containers: [{name: c, image: busybox}]\n';
const GOOD_POD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec:\n  containers: [{name: c, image: busybox}]\n';

describe('hostnet check', () => {
  test('the README demonstration: examples/ with --exit-zero exits 0 and shows findings', () => {
    const r = run(['check', 'examples', '--exit-zero']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/examples\/seed-hostnet-demo-deployment\.yaml:18:7 {2}error {2}dnsPolicy "ClusterFirstWithHostNetwork"/);
    expect(r.stdout).toMatch(/\d+ errors?, \d+ warnings?, \d+ infos? in \d+ objects from \d+ files/);
  });

  test('findings exit 1; clean input exits 0', () => {
    const d = dir({ 'bad.yaml': BAD_POD, 'good.yaml': GOOD_POD });
    expect(run(['check', join(d, 'bad.yaml')]).code).toBe(1);
    const clean = run(['check', join(d, 'good.yaml')]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toBe('0 errors, 0 warnings, 0 infos in 1 object from 1 file.\n');
  });

  test('unreadable input exits 2 and the rest is still checked', () => {
    const d = dir({ 'bad.yaml': BAD_POD });
    const r = run(['check', join(d, 'bad.yaml'), join(d, 'missing.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('missing.yaml does not exist.');
    expect(r.stdout).toContain('invalid-dns-policy');
  });

  test('usage errors exit 2 with a sentence', () => {
    const none = run(['check']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/Name the manifests to check/);
    const unknown = run(['check', 'examples', '--rule', 'host-port-missmatch']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/there is no rule with that id/);
    expect(run(['check', 'examples', '-o', 'xml']).code).toBe(2);
  });

  test('- reads stdin (helm template | hostnet check -)', () => {
    const r = run(['check', '-', '-o', 'json'], { input: BAD_POD });
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as { version: number; findings: Array<{ file: string; ruleId: string; line: number }> };
    expect(json.version).toBe(1);
    expect(json.findings.map((f) => [f.file, f.ruleId, f.line])).toContainEqual(['<stdin>', 'invalid-dns-policy', 6]);
  });

  test('--fail-on, --rule and --disable', () => {
    const d = dir({ 'info.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  dnsPolicy: ClusterFirstWithHostNet\n  containers: [{name: c, image: busybox}]\n' });
    const f = join(d, 'info.yaml');
    expect(run(['check', f]).code).toBe(0);
    expect(run(['check', f, '--fail-on', 'info']).code).toBe(1);
    expect(run(['check', f, '--fail-on', 'info', '--disable', 'cluster-first-with-host-net-without-host-network']).code).toBe(0);
    expect(run(['check', f, '--fail-on', 'info', '--rule', 'invalid-dns-policy']).code).toBe(0);
  });

  test('.hostnet.yaml sets severities; a bad config is reported at its line', () => {
    const d = dir({ 'bad.yaml': BAD_POD, '.hostnet.yaml': 'rules:\n  invalid-dns-policy: warning\n' });
    const r = run(['check', 'bad.yaml', '-o', 'json'], { cwd: d });
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { findings: Array<{ ruleId: string; severity: string }> }).findings)
      .toContainEqual(expect.objectContaining({ ruleId: 'invalid-dns-policy', severity: 'warning' }));
    const broken = dir({ 'bad.yaml': BAD_POD, '.hostnet.yaml': 'rules:\n  invalid-dns-policy: loud\n' });
    const b = run(['check', 'bad.yaml'], { cwd: broken });
    expect(b.code).toBe(2);
    expect(b.stdout).toMatch(/\.hostnet\.yaml:2:3 {2}error {2}The hostnet configuration is invalid at rules\.invalid-dns-policy/);
  });

  test('the hostnet.dev/ignore annotation suppresses and is counted', () => {
    const d = dir({ 'p.yaml': BAD_POD.replace('metadata: {name: p}', 'metadata:\n  name: p\n  annotations:\n    hostnet.dev/ignore: "invalid-dns-policy; testing the misspelling"') });
    const r = run(['check', join(d, 'p.yaml'), '-o', 'json']);
    const json = JSON.parse(r.stdout) as { findings: Array<{ ruleId: string }>; summary: { suppressed: number } };
    expect(json.findings.map((f) => f.ruleId)).not.toContain('invalid-dns-policy');
    expect(json.summary.suppressed).toBe(1);
  });

  test('the library returns the same findings as the CLI', async () => {
    const { check } = await import(pathToFileURL(join(ROOT, 'dist', 'index.js')).href) as typeof import('../src/index.js');
    const lib = await check([join(ROOT, 'examples')]);
    const cli = JSON.parse(run(['check', join(ROOT, 'examples'), '-o', 'json']).stdout) as { findings: unknown[] };
    const { renderJson } = await import(pathToFileURL(join(ROOT, 'dist', 'report', 'json.js')).href) as typeof import('../src/report/json.js');
    expect(JSON.parse(renderJson(lib.findings, lib.summary)).findings).toEqual(cli.findings);
    expect(lib.findings.length).toBeGreaterThan(10);
  });

  test('sarif and github formats', () => {
    const d = dir({ 'bad.yaml': BAD_POD });
    const sarif = JSON.parse(run(['check', join(d, 'bad.yaml'), '-o', 'sarif']).stdout) as { version: string; runs: Array<{ results: unknown[] }> };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.results.length).toBeGreaterThan(0);
    expect(run(['check', join(d, 'bad.yaml'), '-o', 'github']).stdout).toMatch(/^::error file=.*bad\.yaml,line=6,col=3,title=invalid-dns-policy::/m);
  });
});

describe('hostnet rules and hostnet cluster', () => {
  test('rules lists every id; rules <id> prints the doc', () => {
    const list = run(['rules']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^invalid-dns-policy +error +dnsPolicy must be/m);
    const one = run(['rules', 'invalid-dns-policy']);
    expect(one.stdout).toContain('## Rule Details');
    expect(one.stdout).toContain('ClusterFirstWithHostNet');
    expect(run(['rules', 'nope']).code).toBe(2);
  });

  test('cluster --default -o yaml prints a profile that loads back to the embedded cluster', () => {
    const r = run(['cluster', '--default', '-o', 'yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^apiVersion: hostnet\.dev\/v1\nkind: ClusterProfile\n/);
    const loaded = loadClusterText('printed.yaml', r.stdout);
    expect(loaded.issues).toEqual([]);
    expect(loaded.cluster).toEqual(DEFAULT_CLUSTER);
  });

  test('--help teaches with examples', () => {
    const r = run(['check', '--help']);
    expect(r.stdout).toContain('helm template charts/agent | hostnet check -');
    expect(r.stdout).toContain('Exit codes:');
  });
});

const INGRESS_PAIR = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: nginx-ingress, namespace: nginx-ingress}
spec:
  selector: {matchLabels: {app: nginx-ingress}}
  template:
    metadata: {labels: {app: nginx-ingress}}
    spec:
      containers:
      - name: nginx
        image: nginx/nginx-ingress
        ports: [{containerPort: 80, hostPort: 80}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{containerPort: 80, hostPort: 80}]
`;

describe('hostnet simulate and hostnet explain', () => {
  test('simulate prints the table, the scheduler message and who holds the port, and exits 1 for Pending pods', () => {
    const d = dir({ 'pair.yaml': INGRESS_PAIR });
    const r = run(['simulate', join(d, 'pair.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('4 nodes): 5 pods, 3 scheduled, 2 pending, 0 failed.');
    expect(r.stdout).toMatch(/DaemonSet nginx-ingress\/nginx-ingress +0\.0\.0\.0:80\/TCP +- +1 +1 +1 +0/);
    expect(r.stdout).toContain('0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 node(s) didn\'t have free ports for the requested pod ports.');
    expect(r.stdout).toContain(`worker-1, worker-2, worker-3: 0.0.0.0:80/TCP is held by DaemonSet nginx-ingress/nginx-ingress (${join(d, 'pair.yaml')}:1).`);
    expect(run(['simulate', join(d, 'pair.yaml'), '--exit-zero']).code).toBe(0);
  });

  test('simulate -o json with --rollout plays the rollout step by step', () => {
    const d = dir({ 'ds.yaml': INGRESS_PAIR.split('---\n')[0]!.replace('spec:\n  selector', 'spec:\n  updateStrategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}\n  selector') });
    const r = run(['simulate', join(d, 'ds.yaml'), '--rollout', 'ds/nginx-ingress', '-o', 'json']);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { totals: { pending: number }; rollouts: Array<{ outcome: string; maxSurge: number; steps: Array<{ events: Array<{ action: string; message?: string }> }> }> };
    expect(out.totals.pending).toBe(0);
    expect(out.rollouts[0]!.outcome).toBe('stalled');
    expect(out.rollouts[0]!.maxSurge).toBe(1);
    const wait = out.rollouts[0]!.steps.at(-1)!.events.find((e) => e.action === 'wait');
    expect(wait?.message).toBe("0/4 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 3 node(s) didn't satisfy plugin(s) [NodeAffinity].");
  });

  test('explain shows each node\'s verdict and the filter that said no', () => {
    const d = dir({ 'pair.yaml': INGRESS_PAIR });
    const r = run(['explain', 'deploy/web', join(d, 'pair.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('control-plane-1: no, TaintToleration: node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }');
    expect(r.stdout).toContain("worker-2: no, NodePorts: node(s) didn't have free ports for the requested pod ports");
    const json = JSON.parse(run(['explain', 'deploy/web', join(d, 'pair.yaml'), '-o', 'json']).stdout) as { nodes: Array<{ node: string; feasible: boolean; plugin?: string }> };
    expect(json.nodes.map((n) => `${n.node}:${n.feasible}:${n.plugin}`)).toEqual([
      'control-plane-1:false:TaintToleration', 'worker-1:false:NodePorts', 'worker-2:false:NodePorts', 'worker-3:false:NodePorts',
    ]);
  });

  test('an unknown workload or a bad reference is a usage error with a sentence', () => {
    const d = dir({ 'pair.yaml': INGRESS_PAIR });
    const missing = run(['explain', 'deploy/nope', join(d, 'pair.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no Deployment named nope in the manifests. The Deployments loaded are: default/web.');
    const bad = run(['simulate', join(d, 'pair.yaml'), '--rollout', 'web']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('name a workload as kind/name');
  });
});

const SHOP = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: x}]
---
apiVersion: v1
kind: Service
metadata: {name: redis, namespace: shop}
spec:
  selector: {app: web}
  ports: [{name: tcp, port: 6379}]
`;

describe('hostnet dns', () => {
  test('prints each pod\'s resolv.conf with the reason for every line (KDNS-3, KDNS-4, KDNS-6)', () => {
    const d = dir({ 'shop.yaml': SHOP });
    const r = run(['dns', join(d, 'shop.yaml'), 'examples/seed-node-debug-pod.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('dnsPolicy ClusterFirst (defaulted, DEF-1) → Cluster type (KDNS-3): cluster DNS');
    expect(r.stdout).toContain('search shop.svc.cluster.local svc.cluster.local cluster.local corp.example');
    expect(r.stdout).toMatch(/nameserver 10\.96\.0\.10 +the kubelet's clusterDNS \(KDNS-4\)/);
    expect(r.stdout).toContain('dnsPolicy ClusterFirst (defaulted, DEF-1) with hostNetwork → Host type (KDNS-3): the node\'s resolver');
    const json = JSON.parse(run(['dns', join(d, 'shop.yaml'), '-o', 'json']).stdout) as { pods: Array<{ resolvConf: string; type: string }> };
    expect(json.pods[0]).toMatchObject({ type: 'Cluster', resolvConf: 'search shop.svc.cluster.local svc.cluster.local cluster.local corp.example\nnameserver 10.96.0.10\noptions ndots:5\n' });
  });

  test('seed 001: in a cluster DNS outage the node debug pod resolves external names and the namespace pod does not', () => {
    const d = dir({ 'shop.yaml': SHOP });
    const files = [join(d, 'shop.yaml'), 'examples/seed-node-debug-pod.yaml'];
    const debug = run(['dns', 'resolve', 'pod/node-debugger-worker-1-x7k2p', 'github.com', ...files, '--cluster-dns', 'down']);
    expect(debug.code).toBe(0);
    expect(debug.stdout).toContain('Resolves. github.com answers from 192.168.10.2 (the node\'s resolver)');
    const web = run(['dns', 'resolve', 'deploy/web', 'github.com', ...files, '--cluster-dns', 'down']);
    expect(web.code).toBe(1);
    expect(web.stdout).toContain('Does not resolve. The lookup fails with a temporary error (EAI_AGAIN / TRY_AGAIN): every server refused it at once; queries asked: github.com.shop.svc.cluster.local, github.com.');
    const silent = run(['dns', 'resolve', 'deploy/web', 'github.com', ...files, '--cluster-dns', 'unresponsive']);
    expect(silent.stdout).toContain('no server answered within 20 s in all');
    const up = run(['dns', 'resolve', 'deploy/web', 'redis', ...files, '-o', 'json']);
    expect(up.code).toBe(0);
    const j = JSON.parse(up.stdout) as { resolution: { resolved: boolean; queries: string[]; steps: Array<{ query: string; outcome: string }> } };
    expect(j.resolution.resolved).toBe(true);
    expect(j.resolution.steps.map((s) => `${s.query} ${s.outcome}`)).toEqual(['redis.shop.svc.cluster.local answer']);
  });

  test('dns resolve applies the NetworkPolicies in the manifests: a default-deny egress drops the queries', () => {
    const r = run(['dns', 'resolve', 'deploy/checkout', 'kubernetes.default', 'examples/dns-network-policy-default-deny.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('queries to 10.96.0.10:53 are dropped: NetworkPolicy shop/default-deny-egress does not allow UDP 53 to the cluster DNS pods');
    expect(r.stdout).toContain('no server answered within 20 s in all');
  });

  test('explain gains the DNS section', () => {
    const r = run(['explain', 'pod/node-debugger-worker-1-x7k2p', 'examples/seed-node-debug-pod.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('DNS: the resolv.conf the kubelet writes for its pods.');
    expect(r.stdout).toMatch(/nameserver 192\.168\.10\.2 +the node's resolv\.conf \(KDNS-6\)/);
  });
});

describe('hostnet iptables and hostnet trace', () => {
  const HOST_PORT = [
    'apiVersion: apps/v1', 'kind: Deployment', 'metadata: {name: web, namespace: shop}', 'spec:', '  replicas: 1',
    '  selector: {matchLabels: {app: web}}', '  template:', '    metadata: {labels: {app: web}}', '    spec:',
    '      nodeSelector: {kubernetes.io/hostname: worker-1}',
    '      containers: [{name: web, image: nginx, ports: [{containerPort: 80, hostPort: 8080}]}]', '',
  ].join('\n');

  test('iptables prints the node\'s rules as iptables-save does, and a real iptables-save round-trips through trace', () => {
    const d = dir({ 'web.yaml': HOST_PORT });
    const r = run(['iptables', '--node', 'worker-1', join(d, 'web.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# hostnet model of node worker-1/);
    expect(r.stdout).toContain('-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT');
    expect(r.stdout).toMatch(/-A CNI-DN-[0-9a-f]{21} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10\.244\.1\.2:80/);
    const nat = run(['iptables', '--node', 'worker-1', '--table', 'nat', join(d, 'web.yaml')]);
    expect(nat.stdout).not.toContain('*filter');
    // The printed rules, fed back as a node's iptables-save, give the same walk as the model.
    writeFileSync(join(d, 'worker-1.rules'), r.stdout);
    const model = run(['trace', '--node', 'worker-1', '--dst', '192.168.10.11:8080', join(d, 'web.yaml'), '-o', 'json']);
    const pasted = run(['trace', '--node', 'worker-1', '--dst', '192.168.10.11:8080', '--iptables-save', join(d, 'worker-1.rules'), join(d, 'web.yaml'), '-o', 'json']);
    expect(model.code).toBe(0);
    expect(pasted.code).toBe(0);
    const a = JSON.parse(model.stdout) as { branches: unknown[] };
    const b = JSON.parse(pasted.stdout) as { branches: unknown[] };
    expect(b.branches).toEqual(a.branches);
    expect(JSON.stringify(a.branches)).toContain('"kind":"delivered"');
  });

  test('trace text names every rule and the verdict', () => {
    const d = dir({ 'web.yaml': HOST_PORT });
    const ok = run(['trace', '--node', 'worker-1', '--dst', '127.0.0.1:8080', '--from', 'node', join(d, 'web.yaml')]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('sent by a process on worker-1 itself');
    expect(ok.stdout).toContain('source masqueraded');
    expect(ok.stdout).toMatch(/nat OUTPUT #\d+ +jump CNI-HOSTPORT-DNAT/);
    // A hostPort on a node where no pod holds it: nothing maps it, so it goes to whatever listens there.
    const none = run(['trace', '--node', 'worker-2', '--dst', '192.168.10.12:8080', join(d, 'web.yaml')]);
    expect(none.stdout).toContain('Trace through hostnet\'s model of node worker-2');
    expect(none.stdout).toContain('not changed by any rule: it goes to whatever listens on 192.168.10.12:8080/TCP on worker-2 itself');
  });

  test('bad flags are usage errors with a sentence', () => {
    const bad = run(['trace', '--node', 'worker-1', '--dst', 'nowhere']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--dst nowhere: write it as IP:PORT');
    const node = run(['iptables', '--node', 'worker-9']);
    expect(node.code).toBe(2);
    expect(node.stderr).toContain('--node worker-9: the cluster has no node of that name; its nodes are control-plane-1, worker-1, worker-2, worker-3.');
    const garbage = dir({ 'x.rules': '*nat\n:PREROUTING ACCEPT [0:0]\nnonsense\nCOMMIT\n' });
    const parsed = run(['trace', '--node', 'worker-1', '--dst', '192.168.10.11:80', '--iptables-save', join(garbage, 'x.rules')]);
    expect(parsed.code).toBe(2);
    expect(parsed.stderr).toContain('x.rules:3: Expected a rule starting with "-A <chain>"');
    expect(parsed.stdout).toContain('Path:');
  });

  test('explain gains the reachability section', () => {
    const d = dir({ 'web.yaml': HOST_PORT });
    const r = run(['explain', 'deploy/web', '-n', 'shop', join(d, 'web.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Reachability: packets traced');
    expect(r.stdout).toMatch(/host port 8080\/TCP on worker-1 \(192\.168\.10\.11\):\n {4}from outside the cluster: delivered to Deployment shop\/web \(pod 1 of 1\) on worker-1 at 10\.244\.1\.2:80\/TCP, client source address kept\./);
    expect(r.stdout).toContain('from the pod itself (hairpin): delivered to Deployment shop/web (pod 1 of 1) on worker-1 at 10.244.1.2:80/TCP, source masqueraded');
  });
});
