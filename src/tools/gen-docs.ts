import { writeFileSync } from 'node:fs';
import { GENERATED_FILES } from './generated-docs.js';

for (const f of GENERATED_FILES) {
  writeFileSync(f.path, f.render());
  process.stdout.write(`wrote ${f.path}\n`);
}
