import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { describe, expect, test } from 'vitest';
import { checkTexts } from '../engine/check.js';
import type { Finding } from '../model/types.js';
import { DOCS_BASE_URL, ruleCatalog } from './rule-catalog.js';
import { artifactLocation, renderSarif } from './sarif.js';

// CommonJS modules that set both `module.exports` and `exports.default`: under NodeNext the default
// import is `module.exports`, typed as the whole module, so take `.default` (the same function).
const Ajv04 = ajvDraft04.default;
const addFormats = ajvFormats.default;

const FIXTURES = join(import.meta.dirname, '..', '..', 'test', 'fixtures');

/**
 * Two copies of the OASIS schema (oasis-tcs/sarif-spec): the draft-07 one that
 * json.schemastore.org serves (our `$schema`), and the normative errata01 one, draft-04, which is
 * stricter (string types on enums, a region must have startLine, charOffset or byteOffset).
 */
function validators(): Array<[string, ValidateFunction]> {
  const d7 = JSON.parse(readFileSync(join(FIXTURES, 'sarif-schema-2.1.0.json'), 'utf8'));
  const d4 = JSON.parse(readFileSync(join(FIXTURES, 'sarif-schema-2.1.0-errata01.json'), 'utf8'));
  // That copy's language pattern `^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$` has a stray `]`, which is
  // a syntax error for a Unicode RegExp (Ajv's default); errata01 fixed it.
  const ajv7 = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv7);
  const ajv4 = new Ajv04({ allErrors: true, strict: false });
  addFormats(ajv4);
  return [['draft-07 (schemastore)', ajv7.compile(d7)], ['draft-04 (OASIS errata01)', ajv4.compile(d4)]];
}
const VALIDATORS = validators();

const PODS = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: prod
spec:
  hostNetwork: true
  dnsPolicy: ClusterFirstWithHostNetwork
  containers:
    - name: a
      image: nginx
      ports:
        - containerPort: 80
          hostPort: 80
    - name: b
      image: nginx
      ports:
        - containerPort: 80
          hostPort: 80
---
apiVersion: v1
kind: Pod
metadata:
  name: api
spec:
  dnsPolicy: ClusterFirstWithHostNet
  containers:
    - name: a
      image: nginx
`;

const PIPED = `apiVersion: v1
kind: Pod
metadata:
  name: node-agent
  namespace: kube-system
spec:
  hostNetwork: true
  containers:
    - name: agent
      image: agent
      env:
        - name: API_URL
          value: http://api.prod.svc.cluster.local:8080
`;

const BROKEN = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [oops\n';

function realRun() {
  return checkTexts([
    { file: 'manifests/pods.yaml', text: PODS },
    { file: 'broken.yaml', text: BROKEN },
    { file: '<stdin>', text: PIPED },
    { file: 'deploy dir\\a#b.yaml', text: PODS.replace('name: web', 'name: web2').replace('name: api', 'name: api2') },
  ]);
}

function expectValid(log: unknown): void {
  for (const [name, validate] of VALIDATORS) {
    const ok = validate(log);
    expect(validate.errors ?? [], `SARIF invalid against ${name}`).toEqual([]);
    expect(ok).toBe(true);
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function resultFor(log: any, ruleId: string, file?: string): any {
  const r = log.runs[0].results.find((x: any) => x.ruleId === ruleId
    && (file === undefined || x.locations[0].physicalLocation.artifactLocation.uri === file));
  expect(r, `no result for ${ruleId}`).toBeDefined();
  return r;
}

describe('renderSarif', () => {
  const run = realRun();
  const text = renderSarif(run.findings, run.summary, { toolVersion: '1.2.3' });
  const log = JSON.parse(text);

  test('the run produced the findings this test relies on', () => {
    const ids = new Set(run.findings.map((f) => f.ruleId));
    for (const id of ['invalid-dns-policy', 'duplicate-host-port', 'cluster-first-with-host-net-without-host-network', 'invalid-yaml', 'host-network-cluster-dns']) {
      expect(ids, id).toContain(id);
    }
    expect(new Set(run.findings.map((f) => f.severity))).toEqual(new Set(['error', 'warning', 'info']));
  });

  test('is valid SARIF 2.1.0 against the official schema', () => {
    expectValid(log);
  });

  test('the validators are not vacuous: they reject a level SARIF does not have, and column 0', () => {
    for (const mutate of [
      (l: any) => { l.runs[0].results[0].level = 'info'; },
      (l: any) => { l.runs[0].results[0].locations[0].physicalLocation.region.startColumn = 0; },
      (l: any) => { l.runs[0].tool.driver.rules[0].defaultConfiguration.level = 'info'; },
    ]) {
      const bad = JSON.parse(text);
      mutate(bad);
      for (const [name, validate] of VALIDATORS) expect(validate(bad), name).toBe(false);
    }
  });

  test('an empty run and a run without options are valid too', () => {
    expectValid(JSON.parse(renderSarif([], { files: 0, objects: 0, errors: 0, warnings: 0, infos: 0, suppressed: 0 }, { toolVersion: '0.0.0' })));
    const bare = JSON.parse(renderSarif(run.findings, run.summary));
    expectValid(bare);
    expect(bare.runs[0].tool.driver.version).toBeUndefined();
  });

  test('header and driver', () => {
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const driver = log.runs[0].tool.driver;
    expect(driver).toMatchObject({ name: 'hostnet', version: '1.2.3', informationUri: 'https://github.com/hostnet-dev/hostnet' });
    const catalog = ruleCatalog();
    expect(driver.rules.map((r: any) => r.id)).toEqual(catalog.map((e) => e.id));
    const levels: Record<string, string> = { error: 'error', warning: 'warning', info: 'note' };
    catalog.forEach((e, i) => {
      expect(driver.rules[i]).toEqual({
        id: e.id,
        name: expect.stringMatching(/^[A-Z][A-Za-z0-9]*$/),
        shortDescription: { text: e.summary },
        helpUri: `${DOCS_BASE_URL}${e.id}.md`,
        defaultConfiguration: { level: levels[e.severity] },
        properties: { tags: expect.arrayContaining(['kubernetes']), sources: e.sources },
      });
    });
    expect(driver.rules.find((r: any) => r.id === 'host-port-mismatch').name).toBe('HostPortMismatch');
  });

  test('one result per finding, in order, pointing at its rule', () => {
    const results = log.runs[0].results;
    expect(results.map((r: any) => r.ruleId)).toEqual(run.findings.map((f) => f.ruleId));
    for (const r of results) expect(log.runs[0].tool.driver.rules[r.ruleIndex].id).toBe(r.ruleId);
  });

  test('severity maps to level: error → error, warning → warning, info → note', () => {
    expect(resultFor(log, 'invalid-dns-policy').level).toBe('error');
    expect(resultFor(log, 'host-network-cluster-dns').level).toBe('warning');
    expect(resultFor(log, 'cluster-first-with-host-net-without-host-network').level).toBe('note');
    run.findings.forEach((f, i) => expect(log.runs[0].results[i].level).toBe({ error: 'error', warning: 'warning', info: 'note' }[f.severity]));
  });

  test('a rule finding: message, relative location, region, object, properties', () => {
    const r = resultFor(log, 'invalid-dns-policy', 'manifests/pods.yaml');
    const f = run.findings.find((x) => x.ruleId === 'invalid-dns-policy' && x.file === 'manifests/pods.yaml')!;
    expect(r.message.text).toBe(f.message);
    expect(r.message.text).toContain('ClusterFirstWithHostNetwork');
    expect(r.locations).toEqual([{
      physicalLocation: { artifactLocation: { uri: 'manifests/pods.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 8, startColumn: 3 } },
      logicalLocations: [{ name: 'web', fullyQualifiedName: 'Pod/prod/web', kind: 'object' }],
    }]);
    expect(r.properties).toEqual({ path: 'spec.dnsPolicy', evidence: [...f.evidence], ...(f.fix ? { fix: f.fix } : {}) });
    expect(r.relatedLocations).toBeUndefined();
    const noNs = resultFor(log, 'cluster-first-with-host-net-without-host-network', 'manifests/pods.yaml');
    expect(noNs.locations[0].logicalLocations).toEqual([{ name: 'api', fullyQualifiedName: 'Pod/api', kind: 'object' }]);
    expect(noNs.locations[0].physicalLocation.region).toEqual({ startLine: 26, startColumn: 3 });
  });

  test('related locations', () => {
    const r = resultFor(log, 'duplicate-host-port', 'manifests/pods.yaml');
    const f = run.findings.find((x) => x.ruleId === 'duplicate-host-port' && x.file === 'manifests/pods.yaml')!;
    expect(r.locations[0].physicalLocation.region).toEqual({ startLine: 19, startColumn: 11 });
    expect(r.relatedLocations).toEqual([{
      id: 1,
      physicalLocation: { artifactLocation: { uri: 'manifests/pods.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: 14, startColumn: 11 } },
      message: { text: f.related[0]!.message },
      properties: { path: 'spec.containers[0].ports[0].hostPort' },
    }]);
  });

  test('a YAML syntax error is located in its file', () => {
    const r = resultFor(log, 'invalid-yaml');
    // Where the parser places the error is the loader's business (tested there); the report copies it.
    const f = run.findings.find((x) => x.ruleId === 'invalid-yaml')!;
    expect(f.line).toBeGreaterThanOrEqual(4);
    expect(r.level).toBe('error');
    expect(r.locations).toEqual([{ physicalLocation: { artifactLocation: { uri: 'broken.yaml', uriBaseId: '%SRCROOT%' }, region: { startLine: f.line, startColumn: f.column } } }]);
    expect(r.properties).toEqual({ evidence: [] });
  });

  test('stdin and awkward file names become valid URIs', () => {
    const piped = resultFor(log, 'host-network-cluster-dns');
    expect(piped.locations[0].physicalLocation.artifactLocation).toEqual({ uri: 'stdin' });
    expect(piped.locations[0].logicalLocations[0].fullyQualifiedName).toBe('Pod/kube-system/node-agent');
    expect(resultFor(log, 'invalid-dns-policy', 'deploy%20dir/a%23b.yaml').locations[0].physicalLocation.artifactLocation.uriBaseId).toBe('%SRCROOT%');
  });

  test('deterministic', () => {
    expect(renderSarif(realRun().findings, realRun().summary, { toolVersion: '1.2.3' })).toBe(text);
    expect(text.endsWith('}\n')).toBe(true);
  });
});

describe('artifactLocation', () => {
  test.each([
    ['a.yaml', undefined, { uri: 'a.yaml', uriBaseId: '%SRCROOT%' }],
    ['./k8s/a.yaml', undefined, { uri: 'k8s/a.yaml', uriBaseId: '%SRCROOT%' }],
    ['k8s\\prod\\a.yaml', undefined, { uri: 'k8s/prod/a.yaml', uriBaseId: '%SRCROOT%' }],
    ['../other/a b.yaml', undefined, { uri: '../other/a%20b.yaml', uriBaseId: '%SRCROOT%' }],
    ['weird:name%.yaml', undefined, { uri: 'weird%3Aname%25.yaml', uriBaseId: '%SRCROOT%' }],
    ['<stdin>', undefined, { uri: 'stdin' }],
    ['/srv/k8s/a.yaml', undefined, { uri: 'file:///srv/k8s/a.yaml' }],
    ['C:\\repo\\a.yaml', undefined, { uri: 'file:///C:/repo/a.yaml' }],
    ['/repo/k8s/a.yaml', '/repo', { uri: 'k8s/a.yaml', uriBaseId: '%SRCROOT%' }],
    ['/repo/k8s/a.yaml', '/repo/', { uri: 'k8s/a.yaml', uriBaseId: '%SRCROOT%' }],
    ['/repository/a.yaml', '/repo', { uri: 'file:///repository/a.yaml' }],
    ['C:\\repo\\a.yaml', 'C:\\repo', { uri: 'a.yaml', uriBaseId: '%SRCROOT%' }],
    ['k8s/a.yaml', '/repo', { uri: 'k8s/a.yaml', uriBaseId: '%SRCROOT%' }],
  ] as const)('%s (cwd %s)', (file, cwd, expected) => {
    expect(artifactLocation(file, cwd)).toEqual(expected);
  });

  test('cwd becomes %SRCROOT% and the output stays valid', () => {
    const base: Finding = {
      ruleId: 'invalid-yaml', severity: 'error', message: 'YAML syntax error.', file: '/work/repo/k8s/a.yaml',
      line: 3, column: 7, related: [{ message: 'see also', file: '/elsewhere/b.yaml', line: 1, column: 1, object: { apiVersion: 'v1', kind: 'Service', name: 's' } }],
      evidence: [],
    };
    const log = JSON.parse(renderSarif([base, { ...base, ruleId: 'not-a-rule-hostnet-knows', related: [] }], { files: 1, objects: 0, errors: 2, warnings: 0, infos: 0, suppressed: 0 }, { toolVersion: '1.0.0', cwd: '/work/repo' }));
    expectValid(log);
    expect(log.runs[0].originalUriBaseIds).toEqual({ '%SRCROOT%': { uri: 'file:///work/repo/' } });
    const [known, unknown] = log.runs[0].results;
    expect(known.locations[0].physicalLocation.artifactLocation).toEqual({ uri: 'k8s/a.yaml', uriBaseId: '%SRCROOT%' });
    expect(known.relatedLocations[0].physicalLocation.artifactLocation).toEqual({ uri: 'file:///elsewhere/b.yaml' });
    expect(known.relatedLocations[0].logicalLocations).toEqual([{ name: 's', fullyQualifiedName: 'Service/s', kind: 'object' }]);
    expect(unknown.ruleIndex).toBeUndefined();
  });
});
