/**
 * Files generated from metadata: the rule table and the ClusterProfile JSON Schema. A test checks
 * that the committed copies are current; `npm run gen:docs` rewrites them.
 */
import { markdownTable } from '../cli/rules-command.js';
import { clusterProfileJsonSchema } from '../model/cluster-profile.js';
import { ruleCatalog } from '../report/rule-catalog.js';

export const GENERATED_FILES: ReadonlyArray<{ path: string; render: () => string }> = [
  {
    path: 'docs/generated/rules.md',
    render: () => `# Rules\n\n<!-- Generated from rule metadata by \`npm run gen:docs\`; do not edit. -->\n\n${markdownTable(ruleCatalog())}`,
  },
  {
    path: 'schema/cluster-profile.schema.json',
    render: () => `${JSON.stringify(clusterProfileJsonSchema(), null, 2)}\n`,
  },
];
