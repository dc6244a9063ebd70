/**
 * The config as a JSON Schema (configs/config.schema.json), for editors: a YAML file that starts with
 *   # yaml-language-server: $schema=../config.schema.json
 * gets completion, hover docs and checks of the fields. It describes the config as written (zod's
 * input side: fields with defaults are optional); the derived defaults and the cross-field rules of
 * schema.ts are code, not JSON Schema, and so are refinements (answer_pattern must compile): the
 * editor leaves those to `train`, `eval` and `probe`.
 *
 * Each leaf carries `x-expected`, the "expected ..." phrase of its error messages (schema.ts), which
 * editors ignore; walk.ts reads this schema for the docs table and the "did you mean" hints.
 *
 * Regenerate the file after changing the schema: `npm run config-schema` (test/config checks it).
 */
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { configShapeSchema } from './schema.js';

/** The parts of a JSON Schema that walk.ts reads. */
export interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema | JsonSchema[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  /** The "expected ..." phrase of a leaf ("a number in [0, 1]"), which error messages and the docs table use. */
  'x-expected'?: string;
}

let cached: JsonSchema | undefined;

/** The config's JSON Schema (draft-07, which editors' YAML and JSON language servers all read). */
export function configJsonSchema(): JsonSchema {
  cached ??= z.toJSONSchema(configShapeSchema, { target: 'draft-07', io: 'input' }) as JsonSchema;
  return cached;
}

/** The text of configs/config.schema.json. */
export function configJsonSchemaText(): string {
  return JSON.stringify(configJsonSchema(), null, 2) + '\n';
}

// Run as a script: print the file.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.stdout.write(configJsonSchemaText());
