import { describe, expect, it } from 'vitest';
import { ipBatchRoot, labNs, labNsProblem, LAB_NS_RE, missingTools, sysctlAllowed } from './exec.js';

describe('lab guards that need no kernel', () => {
  it('accepts only hnlab-… names that exist in /run/netns', () => {
    expect(LAB_NS_RE.test('hnlab-ab1-worker-1-p3')).toBe(true);
    for (const bad of ['eth0', 'hnlab', 'hnlab-', 'hnlab-A', 'hnlab-a--b', 'hnlab-a/../x', 'x-hnlab-a']) expect(LAB_NS_RE.test(bad)).toBe(false);
    expect(labNsProblem('default')).toBe('"default" is not a lab namespace name (hnlab-… in lowercase letters, digits and dashes).');
    expect(labNsProblem('hnlab-nosuchlab9-x')).toBe('The network namespace hnlab-nosuchlab9-x does not exist in /run/netns.');
    expect(() => labNs('hnlab-nosuchlab9-x')).toThrow('does not exist');
  });

  it('limits root-namespace ip commands to netns add|del|attach of lab names', () => {
    expect(() => ipBatchRoot(['link add x type bridge'])).toThrow('only "netns add|del|attach hnlab-…" is allowed there');
    expect(() => ipBatchRoot(['netns attach notlab 123'])).toThrow('refusing');
    expect(() => ipBatchRoot(['netns attach hnlab-a-b self'])).toThrow('refusing');
    // attach may only name a namespace that already is a lab's: never hostnet's own.
    expect(() => ipBatchRoot([`netns attach hnlab-a-b ${process.pid}`])).toThrow(`process ${process.pid} is not inside a lab namespace`);
    expect(() => ipBatchRoot(['netns add notlab'])).toThrow('refusing');
    expect(() => ipBatchRoot(['netns exec hnlab-a-b true'])).toThrow('refusing');
    expect(ipBatchRoot([])).toEqual({ ok: true, status: 0, stdout: '', stderr: '' });
  });

  it('holds ip batch lines inside a namespace to plain words (abbreviations, quotes and line breaks cannot leave it)', async () => {
    // No lab namespace is needed: the line is checked before the namespace is looked up.
    const { checkNsLineForTest } = await import('./exec.js');
    for (const [line, why] of [
      ['link set lo up\nnet add x', 'characters other than'],
      ['netn exec x /bin/sh', 'only link, addr, route and rule'],
      ['link set lo "netns" x', 'characters other than'],
      ['link set eth0 net hnlab-a-b', 'may abbreviate netns'],
      ['link set eth0 ne hnlab-a-b', 'may abbreviate netns'],
      ['link -n hnlab-a-b set lo up', 'options are not allowed'],
      ['netns add hnlab-x-y', 'only link, addr, route and rule'],
      ['link set lo up # comment', 'characters other than'],
    ] as const) {
      expect(() => checkNsLineForTest(line), line).toThrow(why);
    }
    for (const ok of ['link set lo up', 'addr add 10.244.1.2/24 dev eth0', 'route add default via 10.244.1.1', 'rule add from 192.168.10.2 lookup 53 priority 1000', 'link set veth0abc type bridge_slave hairpin on']) {
      expect(() => checkNsLineForTest(ok), ok).not.toThrow();
    }
  });

  it('whitelists sysctls by exact key', () => {
    expect(sysctlAllowed('net.ipv4.ip_forward')).toBe(true);
    expect(sysctlAllowed('net.ipv4.conf.cni0.route_localnet')).toBe(true);
    expect(sysctlAllowed('net.ipv4.icmp_ratelimit')).toBe(true);
    for (const bad of ['kernel.pid_max', 'vm.swappiness', 'fs.file-max', 'net.ipv4.conf.cni0.rp_filter', 'net.core.somaxconn', 'net.ipv4.conf.cni0.forwarding', 'net.ipv4.conf.a.b.route_localnet', 'net.core.rmem_max', 'net.ipv4.ip_forward ']) {
      expect(sysctlAllowed(bad)).toBe(false);
    }
  });

  it('names a missing program with its Debian package', () => {
    expect(missingTools(['hostnet-no-such-tool'])).toEqual(['The program hostnet-no-such-tool is missing (Debian package hostnet-no-such-tool).']);
  });
});
