import { describe, expect, test } from 'vitest';
import { checkTexts } from '../engine/check.js';
import type { Finding } from '../model/types.js';
import { escapeData, escapeProperty, renderGithub } from './github.js';
import { summaryLine } from './text.js';

const SUMMARY = { files: 1, objects: 1, errors: 1, warnings: 1, infos: 1, suppressed: 0 };

function finding(over: Partial<Finding>): Finding {
  return { ruleId: 'invalid-port', severity: 'error', message: 'Bad port.', file: 'k8s/pod.yaml', line: 3, column: 5, related: [], evidence: [], ...over };
}

describe('escaping', () => {
  test('data: %, CR and LF', () => {
    expect(escapeData('100% sure\r\nnext: a, b')).toBe('100%25 sure%0D%0Anext: a, b');
  });
  test('properties: also : and ,', () => {
    expect(escapeProperty('C:\\dir\\a,b%.yaml\n')).toBe('C%3A\\dir\\a%2Cb%25.yaml%0A');
  });
  test('% is escaped first, so escapes are not escaped twice', () => {
    expect(escapeData('%0A\n')).toBe('%250A%0A');
  });
});

describe('renderGithub', () => {
  test('one command per finding, severity → error / warning / notice, then the summary', () => {
    const out = renderGithub([
      finding({}),
      finding({ ruleId: 'host-network-cluster-dns', severity: 'warning', line: 7, column: 1 }),
      finding({ ruleId: 'duplicate-object', severity: 'info', line: 1, column: 1 }),
    ], SUMMARY);
    expect(out).toBe([
      '::error file=k8s/pod.yaml,line=3,col=5,title=invalid-port::Bad port.',
      '::warning file=k8s/pod.yaml,line=7,col=1,title=host-network-cluster-dns::Bad port.',
      '::notice file=k8s/pod.yaml,line=1,col=1,title=duplicate-object::Bad port.',
      '1 error, 1 warning, 1 info in 1 object from 1 file.',
      '',
    ].join('\n'));
  });

  test('a message with newline, percent, colon and comma stays on one line; file names are escaped as properties', () => {
    const out = renderGithub([finding({ message: 'hostPort 80: 100% taken,\nby "a"\r\nand b.', file: 'dir,x/a:b%.yaml' })], SUMMARY);
    const [command, summary, end] = out.split('\n');
    expect(command).toBe('::error file=dir%2Cx/a%3Ab%25.yaml,line=3,col=5,title=invalid-port::hostPort 80: 100%25 taken,%0Aby "a"%0D%0Aand b.');
    expect(summary).toBe(summaryLine(SUMMARY));
    expect(end).toBe('');
  });

  test('stdin has no file in the repository: no location properties', () => {
    expect(renderGithub([finding({ file: '<stdin>' })], SUMMARY).split('\n')[0]).toBe('::error title=invalid-port::Bad port.');
  });

  test('no findings: only the summary', () => {
    const zero = { files: 2, objects: 3, errors: 0, warnings: 0, infos: 0, suppressed: 1 };
    expect(renderGithub([], zero)).toBe('0 errors, 0 warnings, 0 infos in 3 objects from 2 files, 1 suppressed.\n');
  });

  test('real findings from a run', () => {
    const run = checkTexts([
      { file: 'k8s/pod.yaml', text: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  hostNetwork: true\n  dnsPolicy: ClusterFirstWithHostNetwork\n  containers:\n    - name: a\n      image: nginx\n' },
      { file: 'broken.yaml', text: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [oops\n' },
    ]);
    const lines = renderGithub(run.findings, run.summary).trimEnd().split('\n');
    expect(lines).toHaveLength(run.findings.length + 1);
    const syntax = run.findings.find((f) => f.ruleId === 'invalid-yaml')!;
    expect(lines).toContain(`::error file=broken.yaml,line=${syntax.line},col=${syntax.column},title=invalid-yaml::${syntax.message}`);
    expect(lines.find((l) => l.includes('title=invalid-dns-policy'))).toMatch(/^::error file=k8s\/pod\.yaml,line=7,col=3,title=invalid-dns-policy::dnsPolicy "ClusterFirstWithHostNetwork" /);
    for (const l of lines.slice(0, -1)) expect(l).toMatch(/^::(error|warning|notice) [^\n]*::[^\r\n]+$/);
    expect(lines.at(-1)).toBe(summaryLine(run.summary));
  });
});
