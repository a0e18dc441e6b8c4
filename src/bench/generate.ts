/**
 * A deterministic multi-document corpus of workloads exercising hostNetwork, hostPort and
 * dnsPolicy, shaped like performance-anchors.md Part B's (≈1.4 KB and 50 lines per object).
 */
export function generateCorpus(n: number, seed = 42): string {
  let s = seed;
  const rnd = (): number => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const kind = i % 3 === 0 ? 'DaemonSet' : 'Deployment';
    const hostNetwork = i % 2 === 0;
    const ns = pick(['kube-system', 'monitoring', 'ingress', 'default', 'apps']);
    const name = `${kind.toLowerCase()}-${i}`;
    const dnsPolicy = hostNetwork ? pick(['ClusterFirst', 'ClusterFirstWithHostNet', 'Default']) : pick(['ClusterFirst', 'None']);
    const port = pick([53, 80, 443, 8080, 9100, 10250, 10256, 30000 + (i % 2000)]);
    const hostPort = !hostNetwork && i % 5 === 1 ? `\n              hostPort: ${port}` : '';
    const replicas = kind === 'Deployment' ? `\n  replicas: ${1 + (i % 4)}` : '';
    const strategy = kind === 'Deployment'
      ? `\n  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: ${pick(['25%', 0, 1])}\n      maxUnavailable: ${pick(['25%', 1])}`
      : `\n  updateStrategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: ${pick([0, 1])}\n      maxUnavailable: 1`;
    const dnsConfig = dnsPolicy === 'None'
      ? `\n      dnsConfig:\n        nameservers: ["10.96.0.10"]\n        searches: ["${ns}.svc.cluster.local", "svc.cluster.local", "cluster.local"]\n        options:\n          - name: ndots\n            value: "2"`
      : '';
    out.push(`apiVersion: apps/v1
kind: ${kind}
metadata:
  name: ${name}
  namespace: ${ns}
  labels:
    app.kubernetes.io/name: ${name}
    app.kubernetes.io/part-of: bench
spec:${replicas}
  selector:
    matchLabels:
      app.kubernetes.io/name: ${name}${strategy}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ${name}
    spec:
      hostNetwork: ${hostNetwork}
      dnsPolicy: ${dnsPolicy}${dnsConfig}
      containers:
        - name: main
          image: registry.example.com/${name}:1.${i % 10}.0
          args: ["--listen=:${port}", "--metrics=:${port + 1}"]
          env:
            - name: NODE_NAME
              valueFrom:
                fieldRef:
                  fieldPath: spec.nodeName
          ports:
            - name: serve
              containerPort: ${port}${hostPort}
              protocol: TCP
            - name: metrics
              containerPort: ${port + 1}
              protocol: TCP
          readinessProbe:
            httpGet:
              path: /healthz
              port: ${port}
          resources:
            requests: {cpu: 50m, memory: 64Mi}
          securityContext:
            capabilities:
              add: [${hostNetwork ? 'NET_ADMIN' : 'NET_BIND_SERVICE'}]
`);
  }
  return out.join('---\n');
}
