/**
 * `npm run bench`: ratios measured in one run on this machine (DESIGN.md "Performance").
 *  - check on 10k generated objects: objects/s end to end (≥ 10,000), its time over a bare js-yaml
 *    parse of the same bytes (≤ 2×), peak RSS of a fresh process doing it (≤ 300 MB);
 *  - the same on ../shared/corpus, reported (no budget: it is 7.5 MB of mostly CRDs).
 * "parse" is js-yaml 5 loadAll of the same bytes, timed in this process and, for RSS, in its own.
 * Exits 1 when a budget is missed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { readInputs } from '../load/read-inputs.js';
import { checkTexts } from '../engine/check.js';
import { generateCorpus } from './generate.js';

const ROOT = join(import.meta.dirname, '..', '..');
const OUT = join(ROOT, '.bench-out');
const CORPUS = join(ROOT, '..', 'shared', 'corpus');
const ROUNDS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => void): number {
  (globalThis as { gc?: () => void }).gc?.();
  const t = performance.now();
  fn();
  return performance.now() - t;
}

function progress(msg: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\u001b[2K${msg}`);
}

interface Measured { objects: number; parseMs: number; checkMs: number; rssMB: number; parseRssMB: number; findings: number }

function child(script: string, paths: string[]): { maxRssMB: number } {
  return JSON.parse(execFileSync(process.execPath, [join(ROOT, 'dist', 'bench', script), ...paths], { encoding: 'utf8' })) as { maxRssMB: number };
}

async function measure(label: string, paths: string[]): Promise<Measured> {
  const { inputs } = await readInputs(paths);
  const parse: number[] = [];
  const full: number[] = [];
  let objects = 0;
  let findings = 0;
  for (let r = 0; r < ROUNDS; r++) {
    progress(`${label}: round ${r + 1}/${ROUNDS}`);
    // Interleave the two so machine noise hits both alike.
    // The baseline is js-yaml on the same bytes; a file it rejects (js-yaml is stricter than
    // kubectl's go-yaml on flow indentation) still costs what was parsed before the error.
    parse.push(time(() => {
      for (const i of inputs) {
        try { loadAll(i.text); } catch { /* counted as parsed up to the error */ }
      }
    }));
    full.push(time(() => {
      const res = checkTexts(inputs);
      objects = res.summary.objects;
      findings = res.findings.length;
    }));
  }
  progress('');
  const rssMB = child('check-once.js', paths).maxRssMB;
  const parseRssMB = child('parse-once.js', paths).maxRssMB;
  return { objects, parseMs: median(parse), checkMs: median(full), rssMB, parseRssMB, findings };
}

mkdirSync(OUT, { recursive: true });
const generated = join(OUT, 'generated-10k.yaml');
writeFileSync(generated, generateCorpus(10_000));

const rows: Array<[string, Measured]> = [['generated 10k', await measure('generated 10k', [generated])]];
if (existsSync(CORPUS)) rows.push(['shared corpus', await measure('shared corpus', [CORPUS])]);

let failed = false;
const line = (s: string): void => { process.stdout.write(`${s}\n`); };
line('workload        objects  findings  parse ms  check ms  objects/s  check/parse  RSS MB check  RSS MB parse');
for (const [name, m] of rows) {
  line(`${name.padEnd(14)}  ${String(m.objects).padStart(7)}  ${String(m.findings).padStart(8)}  ${m.parseMs.toFixed(0).padStart(8)}  ${m.checkMs.toFixed(0).padStart(8)}  ${Math.round(m.objects / (m.checkMs / 1000)).toString().padStart(9)}  ${(m.checkMs / m.parseMs).toFixed(2).padStart(11)}  ${m.rssMB.toFixed(0).padStart(12)}  ${m.parseRssMB.toFixed(0).padStart(12)}`);
}
const g = rows[0]![1];
const budgets: Array<[string, boolean, string]> = [
  ['objects/s ≥ 10,000', g.objects / (g.checkMs / 1000) >= 10_000, `${Math.round(g.objects / (g.checkMs / 1000))}`],
  ['check ≤ 2× bare parse', g.checkMs / g.parseMs <= 2, `${(g.checkMs / g.parseMs).toFixed(2)}×`],
  ['peak RSS ≤ 300 MB', g.rssMB <= 300, `${g.rssMB.toFixed(0)} MB`],
];
line('');
for (const [name, ok, got] of budgets) {
  line(`${ok ? 'PASS' : 'FAIL'}  ${name}: ${got}`);
  failed ||= !ok;
}
process.exitCode = failed ? 1 : 0;
