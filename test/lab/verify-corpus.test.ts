/**
 * `lab verify` on the examples and on real corpus projects: every prediction (ports, Services, port
 * conflicts, DNS and the cluster DNS outage) must agree with the kernel. Root only (the describe
 * name says why it skipped otherwise). Each set gets its own temporary lab, torn down at the end.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../../src/index.js';
import { dnsProbeRows } from '../../src/lab/dns.js';
import { planLab } from '../../src/lab/plan.js';
import { withTemporaryLab } from '../../src/lab/session.js';
import { startLabProcesses } from '../../src/lab/start.js';
import { renderVerifyText, verifyNetwork } from '../../src/lab/verify.js';
import { simulations } from '../../src/sim/simulations.js';
import { probe } from './lab-test-kit.js';

const skip = probe(['dnsmasq', 'getent', 'dig']);
const CORPUS = new URL('../../../shared/corpus/', import.meta.url).pathname;

const SETS: [string, string, number][] = [
  // name, path, the fewest probes the set must give (so a set that silently probes nothing fails)
  ['examples', new URL('../../examples/', import.meta.url).pathname, 300],
  ['ingress-nginx', `${CORPUS}kubernetes__ingress-nginx`, 15],
  ['metallb', `${CORPUS}metallb__metallb`, 40],
  ['calico', `${CORPUS}projectcalico__calico`, 25],
  ['nginxinc ingress', `${CORPUS}nginxinc__kubernetes-ingress`, 20],
];

describe.skipIf(skip !== undefined)(`lab verify on the examples and the corpus${skip ? ` (skipped: ${skip})` : ''}`, () => {
  SETS.forEach(([name, path, fewest], i) => {
    it(`${name}: every prediction agrees with the kernel`, { timeout: 180_000 }, async () => {
      const result = await check([path], { rules: [] });
      const model = result.model;
      const sims = simulations(model);
      const planned = planLab(`c${i}${process.pid.toString(36)}`.slice(0, 12), model, sims);
      if (!planned.ok) throw new Error(planned.problems.join(' '));
      const r = await withTemporaryLab(planned.plan, model, sims, async (session) => {
        const started = await startLabProcesses(session);
        expect(started.problems).toEqual([]);
        const network = await verifyNetwork(session, started.servers);
        return { rows: [...network.rows, ...await dnsProbeRows(session, started.dns)] };
      });
      if (!r.ok) throw new Error(r.problems.join('\n'));
      const rows = r.value.rows;
      if (rows.some((x) => !x.agree)) console.log(renderVerifyText(rows));
      expect(rows.filter((x) => !x.agree)).toEqual([]);
      expect(rows.length).toBeGreaterThanOrEqual(fewest);
      console.log(`${name}: ${rows.length} predictions agree; lab up ${r.up.timings.totalMs} ms, down ${r.down.ms} ms`);
    });
  });
});
