/** The experiment config: one schema (schema.ts), its loading and overrides (load.ts), its docs table (walk.ts), its JSON Schema (json-schema.ts). */
export * from './json-schema.js';
export * from './load.js';
export * from './schema.js';
export { allowedKeys, closest, configFields, configFieldsMarkdown, editDistance, type ConfigField } from './walk.js';
