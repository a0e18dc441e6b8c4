/**
 * The queries a stub resolver sends for one name under a pod's resolv.conf: the search list and
 * `ndots` decide the order. glibc (Debian, Ubuntu, distroless/base images) and musl (Alpine) differ
 * when the name has at least `ndots` dots: glibc tries it as written first and then walks the
 * search list; musl tries it only as written. Both stop at the first answer.
 * Ref: glibc resolv/res_query.c#__res_context_search; musl src/network/lookup_name.c#name_from_dns_search.
 */
import type { ResolvConf } from './resolv-conf.js';

export type Libc = 'glibc' | 'musl';

export interface Expansion {
  /** Fully qualified names, in the order they are asked (each as A and AAAA for a dual-stack lookup). */
  readonly queries: readonly string[];
  readonly ndots: number;
  /** The name ended with a dot: asked only as written. */
  readonly absolute: boolean;
}

/** `ndots:n` from the options, glibc's default 1, capped at 15 as glibc caps it. */
export function ndotsOf(conf: ResolvConf): number {
  let n = 1;
  for (const o of conf.options) {
    const m = /^ndots:(\d+)$/.exec(o.value);
    if (m) n = Math.min(Number(m[1]), 15);
  }
  return n;
}

export function expandQuery(name: string, conf: ResolvConf, libc: Libc = 'glibc'): Expansion {
  const ndots = ndotsOf(conf);
  const absolute = name.endsWith('.');
  const bare = name.replace(/\.+$/, '');
  if (absolute || bare === '') return { queries: [bare === '' ? '.' : bare], ndots, absolute: true };
  const dots = (bare.match(/\./g) ?? []).length;
  // A search entry of `.` (the kubelet's default without a node file) is the root: the name itself.
  const searched = conf.searches.map((s) => (s.value === '.' ? bare : `${bare}.${s.value}`));
  const out: string[] = [];
  const add = (q: string): void => {
    if (!out.includes(q)) out.push(q);
  };
  if (dots >= ndots) {
    add(bare);
    if (libc === 'glibc') for (const q of searched) add(q);
  } else {
    for (const q of searched) add(q);
    add(bare);
  }
  return { queries: out, ndots, absolute: false };
}
