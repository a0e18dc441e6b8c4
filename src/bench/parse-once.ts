/** The RSS baseline: a bare js-yaml parse of the same files in a fresh process; prints `{ maxRssMB }`. */

import { loadAll } from 'js-yaml';
import { readInputs } from '../load/read-inputs.js';

const { inputs } = await readInputs(process.argv.slice(2));
const kept: unknown[] = [];
for (const i of inputs) {
  try { kept.push(loadAll(i.text)); } catch { /* js-yaml rejects a few files go-yaml accepts */ }
}
process.stdout.write(`${JSON.stringify({ maxRssMB: process.resourceUsage().maxRSS / 1024, documents: kept.length })}\n`);
