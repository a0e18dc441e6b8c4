/**
 * The scheduling scenarios of issue 4 on the real manifests of ../shared/corpus (NOTES.md §11,
 * §14-17, §20): which install sets collide on host ports, which replicas stay Pending, which
 * rollouts stall and which must not be flagged. Each case checks one install set on its own.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { check } from '../src/index.js';
import { resolveConfig } from '../src/engine/config.js';
import { buildModel } from '../src/model/model.js';
import { DEFAULT_CLUSTER } from '../src/model/default-cluster.js';
import type { Cluster } from '../src/model/cluster.js';
import { placeAll } from '../src/sim/schedule/place.js';
import { playRollout } from '../src/sim/schedule/rollout.js';
import { CORPUS } from './corpus-lines.js';

const PLACEMENT_RULES = ['host-port-conflict', 'unschedulable-replicas', 'rollout-stalls'];
const config = resolveConfig(undefined, { only: PLACEMENT_RULES });
const at = (...files: string[]): string[] => files.map((f) => join(CORPUS, f));

async function findings(files: string[], cluster: Cluster = DEFAULT_CLUSTER): Promise<string[]> {
  const r = await check(at(...files), { config, cluster });
  return r.findings.map((f) => `${f.severity} ${f.ruleId} ${f.object?.kind}/${f.object?.name}:${f.line}`);
}

const NGINXINC_DS = 'nginxinc__kubernetes-ingress/deployments__daemon-set__nginx-ingress.yaml';
const KIND_DEPLOY = 'kubernetes__ingress-nginx/deploy__static__provider__kind__deploy.yaml';

describe.skipIf(!existsSync(CORPUS))('scheduling scenarios from the corpus', () => {
  test('the nginxinc DaemonSet and ingress-nginx\'s kind Deployment collide on 80 and 443', async () => {
    // kind's Deployment tolerates the control-plane taint, so on the embedded cluster it goes to
    // control-plane-1 and the two only may meet: one warning per port.
    expect(await findings([NGINXINC_DS, KIND_DEPLOY])).toEqual([
      'warning host-port-conflict Deployment/ingress-nginx-controller:466',
      'warning host-port-conflict Deployment/ingress-nginx-controller:470',
    ]);
    // On a kind-like cluster where only labelled workers take ingress and the control plane is
    // gone, the DaemonSet (applied first) holds both ports on every worker: the Deployment stays Pending.
    const workersOnly: Cluster = { ...DEFAULT_CLUSTER, nodes: DEFAULT_CLUSTER.nodes.filter((n) => n.name !== 'control-plane-1') };
    const errors = await findings([NGINXINC_DS, KIND_DEPLOY], workersOnly);
    expect(errors).toEqual([
      'error host-port-conflict Deployment/ingress-nginx-controller:466',
      'error host-port-conflict Deployment/ingress-nginx-controller:470',
    ]);
    const r = await check(at(NGINXINC_DS, KIND_DEPLOY), { config, cluster: workersOnly });
    expect(r.findings[0]!.message).toContain('DaemonSet nginx-ingress/nginx-ingress');
    expect(r.findings[0]!.message).toContain('0/3 nodes are available: 3 node(s) didn\'t have free ports for the requested pod ports.');
  });

  test('istio hello-host-network: 7 hostNetwork replicas on port 80 and 3 eligible workers leave 4 Pending (§16)', async () => {
    const file = 'istio__istio/pkg__kube__inject__testdata__inject__hello-host-network.yaml';
    const r = await check(at(file), { config });
    expect(r.findings.map((f) => `${f.severity} ${f.ruleId}`)).toEqual(['error unschedulable-replicas']);
    expect(r.findings[0]!.message).toMatch(/\b4\b.*Pending/);
  });

  test('sysdig RC: 100 replicas with hostPort 6666 leave 97 Pending (§17)', async () => {
    const r = await check(at('kubernetes__examples/_archived__sysdig-cloud__sysdig-rc.yaml'), { config });
    expect(r.findings.map((f) => `${f.severity} ${f.ruleId}`)).toEqual(['error unschedulable-replicas']);
    expect(r.findings[0]!.message).toContain('97');
  });

  test('storm workers (2 replicas, 4 host ports, default strategy) roll out through the spare worker (§17)', async () => {
    expect(await findings(['kubernetes__examples/_archived__storm__storm-worker-controller.yaml'])).toEqual([]);
    // With only two workers there is no spare node: maxUnavailable 25% of 2 rounds down to 0.
    const twoWorkers: Cluster = { ...DEFAULT_CLUSTER, nodes: DEFAULT_CLUSTER.nodes.filter((n) => n.name !== 'worker-3') };
    expect(await findings(['kubernetes__examples/_archived__storm__storm-worker-controller.yaml'], twoWorkers)).toEqual([
      'error rollout-stalls Deployment/storm-worker-controller:8',
    ]);
  });

  test('calico-typha: hostNetwork, maxSurge 100%, maxUnavailable 1: the rollout finishes, even on one worker (§15)', async () => {
    const file = 'projectcalico__calico/manifests__calico-typha.yaml';
    expect(await findings([file])).toEqual([]);
    const r = await check(at(file), { rules: [] });
    const oneWorker: Cluster = { ...DEFAULT_CLUSTER, nodes: DEFAULT_CLUSTER.nodes.filter((n) => n.name === 'worker-1') };
    for (const cluster of [DEFAULT_CLUSTER, oneWorker]) {
      const placement = placeAll(buildModel(r.model.objects, cluster).podViews, cluster);
      const typha = placement.workloads.find((w) => w.view.object.name === 'calico-typha')!;
      expect(typha.view.hostPorts.map((h) => `${h.port}/${h.protocol} implied=${h.implied}`)).toEqual(['5473/TCP implied=true']);
      const rollout = playRollout(placement, typha);
      expect([rollout.outcome, rollout.maxSurge, rollout.maxUnavailable]).toEqual(['complete', 1, 1]);
    }
  });

  test('istio ztunnel: a DaemonSet with maxSurge 1 and no host ports is not flagged (§11)', async () => {
    expect(await findings([
      'istio__istio/operator__cmd__mesh__testdata__manifest-generate__output__ztunnel.golden.yaml',
      'istio__istio/operator__pkg__helm__testdata__output__ztunnel-dns-config.golden.yaml',
    ])).toEqual([]);
  });

  test('a hostNetwork DaemonSet with maxSurge stalls on its first node (DS-5)', async () => {
    // The metallb speaker declares 7946 TCP and UDP on hostNetwork; with maxSurge it could not roll.
    const r = await check(at('metallb__metallb/config__manifests__metallb-native.yaml'), { rules: [] });
    const speaker = r.model.podViews.find((v) => v.kind === 'DaemonSet' && v.object.name === 'speaker');
    expect(speaker, 'the metallb speaker DaemonSet').toBeDefined();
    const surging = { ...speaker!, strategy: { ...speaker!.strategy, type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 } };
    const placement = placeAll([surging], DEFAULT_CLUSTER);
    const rollout = playRollout(placement, placement.workloads[0]!);
    expect(rollout.outcome).toBe('stalled');
    expect(rollout.waiting[0]!.fitError!.message).toBe("0/4 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 3 node(s) didn't satisfy plugin(s) [NodeAffinity].");
  });
});
