import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, test } from 'vitest';
import { ClusterProfileSchema, toProfile } from './cluster-profile.js';
import { DEFAULT_CLUSTER } from './default-cluster.js';

const published = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'schema', 'cluster-profile.schema.json'), 'utf8')) as object;
const validate = new Ajv2020({ strict: false }).compile(published);

describe('the published ClusterProfile JSON Schema', () => {
  test('accepts the embedded cluster as a profile, as zod does', () => {
    const profile = toProfile(DEFAULT_CLUSTER);
    expect(validate(profile), JSON.stringify(validate.errors)).toBe(true);
    expect(ClusterProfileSchema.safeParse(profile).success).toBe(true);
  });

  test.for([
    ['an unknown proxy mode', { spec: { proxyMode: 'userspace' } }],
    ['a port out of range', { spec: { reservedHostPorts: [{ port: 70000, owner: 'x' }] } }],
    ['an unknown field', { spec: { nodez: [] } }],
    ['the wrong kind', { kind: 'Cluster' }],
  ] as const)('rejects %s, as zod does', ([, patch]) => {
    const base = toProfile(DEFAULT_CLUSTER) as unknown as Record<string, unknown>;
    const bad = { ...base, ...patch, spec: { ...(base.spec as object), ...((patch as { spec?: object }).spec ?? {}) } };
    expect(validate(bad)).toBe(false);
    expect(ClusterProfileSchema.safeParse(bad).success).toBe(false);
  });
});
