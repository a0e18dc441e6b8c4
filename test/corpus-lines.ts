/** The corpus as one line per finding, shared by the corpus test and the golden file's writer. */
import { join, relative } from 'node:path';
import { check } from '../src/index.js';

export const CORPUS = join(import.meta.dirname, '..', '..', 'shared', 'corpus');
export const GOLDEN = join(import.meta.dirname, 'golden', 'corpus-findings.txt');

export async function corpusFindingLines(): Promise<string[]> {
  const result = await check([CORPUS]);
  return result.findings.map((f) => `${relative(CORPUS, f.file)}:${f.line}:${f.column} ${f.severity} ${f.ruleId} ${f.object ? `${f.object.kind}/${f.object.name}` : '-'}`);
}
