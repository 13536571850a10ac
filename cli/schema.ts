import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { CONFIG_SCHEMA_FILE, configSchema } from "../ipam";

/** The schema file's text, as shipped at the project root (`npm run schema` rewrites it). */
export function configSchemaText(): string {
  return `${JSON.stringify(configSchema(), null, 2)}\n`;
}

if (require.main === module) {
  const file = resolve(__dirname, "..", CONFIG_SCHEMA_FILE);
  writeFileSync(file, configSchemaText());
  process.stdout.write(`wrote ${file}\n`);
}
