/**
 * The direction of imports (DESIGN.md "Data flow"): model depends on nothing; load on model; sim on
 * model; rules on model and sim; engine on those; report reads findings and metadata; cli, server,
 * lab and live are edges that nothing imports. Also: nothing below the edges reads argv or env.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? files(full) : full.endsWith('.ts') && !full.endsWith('.test.ts') ? [full] : [];
  });
}

function layer(path: string): string {
  const rel = relative(SRC, path);
  return rel.includes('/') ? rel.split('/')[0]! : rel.replace(/\.ts$/, '');
}

const ALLOWED: Record<string, readonly string[]> = {
  model: ['model'],
  load: ['model', 'load'],
  sim: ['model', 'sim'],
  rules: ['model', 'sim', 'rules'],
  engine: ['model', 'load', 'sim', 'rules', 'engine'],
  report: ['model', 'load', 'rules', 'engine', 'report'],
};
const EDGES = new Set(['cli', 'server', 'lab', 'live', 'index', 'tools', 'bench', 'testing']);

const imports = files(SRC).map((file) => {
  const text = readFileSync(file, 'utf8');
  const targets = [...text.matchAll(/from '(\.[^']+)'/g)].map((m) => join(file, '..', m[1]!));
  return { file, text, from: layer(file), to: targets.map(layer) };
});

describe('import direction', () => {
  test.for(imports.filter((i) => !EDGES.has(i.from)).map((i) => [relative(SRC, i.file), i] as const))('%s', ([, i]) => {
    const allowed = ALLOWED[i.from];
    expect(allowed, `no import rule for layer ${i.from}`).toBeDefined();
    expect(i.to.filter((t) => !allowed!.includes(t))).toEqual([]);
  });

  test('nothing imports the CLI or the other edges', () => {
    const offenders = imports.filter((i) => i.from !== 'cli' && !['index', 'tools', 'bench', 'testing'].includes(i.from) && i.to.some((t) => t !== i.from && (t === 'cli' || t === 'server' || t === 'lab')));
    expect(offenders.map((i) => relative(SRC, i.file))).toEqual([]);
  });

  test('below the edges nothing reads argv, env, the clock or stdout', () => {
    const offenders = imports.filter((i) => !EDGES.has(i.from) && i.from !== 'load' && /process\.(argv|env|stdout|stdin|exit)|Date\.now\(|new Date\(/.test(i.text));
    expect(offenders.map((i) => relative(SRC, i.file))).toEqual([]);
  });
});

describe('lab safety as code (lab README §12)', () => {
  test('only src/lab/exec.ts starts processes among the lab and the CLI', () => {
    // testing/netns.ts (throwaway namespaces for the iptables round trip) and bench/run.ts (a child
    // node for peak RSS) are the only others in src/, and neither is reachable from the CLI.
    const spawners = imports.filter((i) => /node:child_process|from 'child_process'/.test(i.text)).map((i) => relative(SRC, i.file)).sort();
    expect(spawners).toEqual(['bench/run.ts', 'lab/exec.ts', 'testing/netns.ts']);
  });

  test('the lab names no program outside exec.ts', () => {
    // Programs run through exec.ts's spawnInLab/runInLab, which check the list; nothing else in
    // the lab may spell out ip or iptables commands to run.
    const offenders = imports.filter((i) => i.from === 'lab' && !i.file.endsWith('exec.ts') && /\[\s*'(ip|iptables|iptables-restore|nft|sysctl|sh|bash)'/.test(i.text));
    expect(offenders.map((i) => relative(SRC, i.file))).toEqual([]);
  });
});
