/**
 * One end-to-end `check` in a fresh process (so peak RSS is the check's own): prints
 * `{ ms, objects, findings, maxRssMB }` as JSON.
 */
import { check } from '../index.js';

const paths = process.argv.slice(2);
const start = performance.now();
const result = await check(paths);
const ms = performance.now() - start;
process.stdout.write(`${JSON.stringify({ ms, objects: result.summary.objects, findings: result.findings.length, maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
