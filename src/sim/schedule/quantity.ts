/**
 * Kubernetes resource quantities (`100m`, `0.5`, `128Mi`, `1e3`, `2G`) as numbers: CPU in
 * millicores, everything else in base units. Ref: k8s.io/apimachinery pkg/api/resource/quantity.go.
 */

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E))?$/;

/** The value of a quantity, or undefined when it is not one. Numbers are accepted as written by YAML. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2] !== undefined) return base * 10 ** Number(m[2].slice(1));
  return base * SUFFIX[m[3] ?? '']!;
}

/** CPU in millicores, rounded up as the API rounds sub-milli values. */
export function milliCPU(q: unknown): number | undefined {
  const v = parseQuantity(q);
  return v === undefined ? undefined : Math.ceil(v * 1000 - 1e-9);
}
