import { isRecord, type ContainerView, type PodView } from '../model/pod-view.js';
import { formatPath, type FieldPath, type RelatedLocation } from '../model/types.js';
import { defineRule } from './define-rule.js';

/** VAL-3: the protocols the API server accepts, case-sensitive. */
export const PORT_PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;

/** VAL-4: what makes `name` not an IANA_SVC_NAME as Kubernetes defines it; empty when it is one. */
export function portNameProblems(name: string): string[] {
  const out: string[] = [];
  if (name.length > 15) out.push(`${name.length} characters (at most 15 are allowed)`);
  if (!/^[-a-z0-9]*$/.test(name)) out.push('characters other than lower-case letters, digits and "-"');
  if (!/[a-z]/.test(name)) out.push('no letter');
  if (name.startsWith('-') || name.endsWith('-')) out.push('a leading or trailing "-"');
  if (name.includes('--')) out.push('"--" in it');
  return out;
}

function joinAnd(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** A valid port name close to `name` (`HTTP_Metrics` → `http-metrics`), or undefined. */
export function suggestPortName(name: string): string | undefined {
  const s = name.toLowerCase().replace(/[^-a-z0-9]+/g, '-').replace(/-{2,}/g, '-').replace(/^-+|-+$/g, '').slice(0, 15).replace(/-+$/, '');
  return s !== name && portNameProblems(s).length === 0 ? s : undefined;
}

/** A written value for a message: strings quoted, anything else as compact JSON, kept short. */
function describeValue(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** For a port written as a name (`containerPort: http`): where names go. */
function nameHint(v: unknown): string {
  return typeof v === 'string' && /[a-z]/i.test(v) ? '; a port name belongs in the name field' : '';
}

const CONTAINER_WORDS: Readonly<Record<ContainerView['kind'], string>> = {
  container: 'container',
  initContainer: 'init container',
  ephemeralContainer: 'ephemeral container',
};

/**
 * VAL-1..VAL-4 and VAL-17: each port field the API server would reject, one finding per problem at
 * the field. Values of the wrong JSON type fail to decode, so the whole request is rejected before
 * validation. Duplicate names are checked only within one container's ports (VAL-4); the same name
 * in two containers is only an API warning (VAL-18) and is not reported.
 */
export default defineRule({
  id: 'invalid-port',
  meta: {
    severity: 'error',
    summary: 'Container ports need a containerPort in 1..65535, a hostPort of 0 or 1..65535, protocol TCP, UDP or SCTP, and a valid port name unique within the container, or the API server rejects the object.',
    sources: [
      'VAL-1', 'VAL-2', 'VAL-3', 'VAL-4', 'VAL-17', 'DEF-2',
      'kubernetes/kubernetes pkg/apis/core/validation/validation.go#validateContainerPorts',
      'kubernetes/apimachinery pkg/util/validation/validation.go#IsValidPortNum, #IsValidPortName',
    ],
    peers: [{ tool: 'kubeconform', id: 'schema types', relation: 'related' }],
    messages: {
      containerPortRequired:
        'The port {{where}} has no containerPort, so the API server rejects this {{kind}} (Required value: containerPort); containerPort is the port the process listens on and is mandatory for every entry in ports. Add containerPort with a value from 1 to 65535, or delete the entry.',
      portOutOfRange:
        '{{field}} {{value}} {{where}} is outside 1..65535, so the API server rejects this {{kind}} (Invalid value: must be between 1 and 65535, inclusive). Use a port number from 1 to 65535{{orZero}}.',
      notAnInteger:
        '{{field}} {{where}} is {{value}}, not an integer, so the API server cannot decode this {{kind}} and rejects it. Write the port as a plain number from 1 to 65535{{hint}}.',
      protocolCase:
        'protocol "{{value}}" {{where}} is not accepted: the values are case-sensitive, so the API server rejects this {{kind}} (Unsupported value). Write protocol: {{suggestion}}.',
      protocolUnsupported:
        'protocol {{value}} {{where}} is not TCP, UDP or SCTP, so the API server rejects this {{kind}} (Unsupported value). Use one of TCP, UDP or SCTP, or remove protocol (it defaults to TCP).',
      invalidName:
        'Port name "{{value}}" {{where}} has {{problems}}, so the API server rejects this {{kind}} (Invalid value); a port name is at most 15 lower-case letters, digits and single hyphens, with at least one letter and no hyphen at either end. {{advice}}.',
      nameNotAString:
        'Port name {{where}} is {{value}}, not a string, so the API server cannot decode this {{kind}} and rejects it. Write the name as a string of lower-case letters, digits and "-", at most 15 characters.',
      duplicateName:
        'Port name "{{value}}" appears twice in the ports of {{container}}, so the API server rejects this {{kind}} (Duplicate value); Services and probes that refer to the port by name need it to be unique. Rename one of the two ports or delete the repeated entry.',
      ephemeralPorts:
        'Ephemeral container "{{name}}" declares ports, which ephemeral containers cannot have, so the API server rejects it (Forbidden: cannot be set for an Ephemeral Container); an ephemeral container shares the pod\'s network namespace and can still listen without declaring anything. Remove ports from the ephemeral container.',
    },
  },
  defaultOptions: {},
  create(ctx) {
    return {
      podView(v: PodView) {
        const kind = v.kind;
        for (const c of v.containers) {
          const ports = c.raw.ports;
          if (!Array.isArray(ports)) continue;
          const containerWords = `${CONTAINER_WORDS[c.kind]} "${c.name}"`;
          if (c.kind === 'ephemeralContainer') {
            if (ports.length > 0) ctx.report({ object: v.object, path: [...c.path, 'ports'], messageId: 'ephemeralPorts', data: { name: c.name }, fix: 'delete ports' });
            continue;
          }
          const seenNames = new Map<string, FieldPath>();
          for (const p of c.ports) {
            const label = typeof p.raw.name === 'string' && p.raw.name !== '' ? `"${p.raw.name}"` : `ports[${p.index}]`;
            const where = `in ${containerWords}`;
            const portWhere = `${label} of ${containerWords}`;
            const at = (field: string): FieldPath => [...p.path, field];

            // VAL-1: containerPort.
            const cp = p.raw.containerPort;
            if (cp === undefined || cp === null || cp === 0) {
              ctx.report({ object: v.object, path: at('containerPort'), messageId: 'containerPortRequired', data: { where: portWhere, kind } });
            } else if (typeof cp !== 'number' || !Number.isInteger(cp)) {
              ctx.report({ object: v.object, path: at('containerPort'), messageId: 'notAnInteger', data: { field: 'containerPort', where, value: describeValue(cp), kind, hint: nameHint(cp) } });
            } else if (cp < 1 || cp > 65535) {
              ctx.report({ object: v.object, path: at('containerPort'), messageId: 'portOutOfRange', data: { field: 'containerPort', value: cp, where, kind, orZero: '' } });
            }

            // VAL-2: hostPort, when set.
            const hp = p.raw.hostPort;
            if (hp !== undefined && hp !== null && hp !== 0) {
              if (typeof hp !== 'number' || !Number.isInteger(hp)) {
                ctx.report({ object: v.object, path: at('hostPort'), messageId: 'notAnInteger', data: { field: 'hostPort', where, value: describeValue(hp), kind, hint: nameHint(hp) } });
              } else if (hp < 1 || hp > 65535) {
                ctx.report({ object: v.object, path: at('hostPort'), messageId: 'portOutOfRange', data: { field: 'hostPort', value: hp, where, kind, orZero: ', or remove hostPort' } });
              }
            }

            // VAL-3: protocol after DEF-2 (absent or empty becomes TCP).
            const proto = p.raw.protocol;
            if (proto !== undefined && proto !== null && proto !== '' && !(PORT_PROTOCOLS as readonly unknown[]).includes(proto)) {
              const upper = typeof proto === 'string' ? proto.toUpperCase() : undefined;
              if (upper !== undefined && (PORT_PROTOCOLS as readonly string[]).includes(upper)) {
                ctx.report({ object: v.object, path: at('protocol'), messageId: 'protocolCase', data: { value: proto as string, where, kind, suggestion: upper }, fix: `protocol: ${upper}` });
              } else {
                ctx.report({ object: v.object, path: at('protocol'), messageId: 'protocolUnsupported', data: { value: describeValue(proto), where, kind } });
              }
            }

            // VAL-4: name format, and uniqueness within this container.
            const name = p.raw.name;
            if (name === undefined || name === null || name === '') continue;
            if (typeof name !== 'string') {
              ctx.report({ object: v.object, path: at('name'), messageId: 'nameNotAString', data: { where, value: describeValue(name), kind } });
              continue;
            }
            const problems = portNameProblems(name);
            if (problems.length > 0) {
              const suggestion = suggestPortName(name);
              ctx.report({
                object: v.object, path: at('name'), messageId: 'invalidName',
                data: {
                  value: name, where, kind, problems: joinAnd(problems),
                  advice: suggestion
                    ? `Use name: ${suggestion}`
                    : 'Choose a name that follows these rules, or remove name',
                },
                ...(suggestion ? { fix: `name: ${suggestion}` } : {}),
              });
            }
            const first = seenNames.get(name);
            if (first) {
              const pos = v.object.source.locator.locate(first);
              const related: RelatedLocation = {
                message: `The first port named "${name}".`,
                file: v.object.source.file, line: pos.line, column: pos.column, path: formatPath(first),
              };
              ctx.report({ object: v.object, path: at('name'), messageId: 'duplicateName', data: { value: name, container: containerWords, kind }, related: [related] });
            } else {
              seenNames.set(name, at('name'));
            }
          }
        }
      },
    };
  },
});
