/**
 * Reading the config schema as data: the keys allowed at a path (for "did you mean" hints) and the
 * field-by-field docs table (path, expected value, default, description), both from the config's
 * JSON Schema (json-schema.ts), which carries each leaf's "expected ..." phrase as `x-expected`.
 */
import { configJsonSchema, type JsonSchema } from './json-schema.js';

/** The literal values a discriminator field accepts. */
function tagsOf(o: JsonSchema, discriminator: string): unknown[] {
  const f = o.properties?.[discriminator];
  return f?.const !== undefined ? [f.const] : (f?.enum ?? []);
}

/** The options of a union, and its discriminator: the key every option fixes to a constant (zod's discriminatedUnion). */
function unionOf(s: JsonSchema): { options: JsonSchema[]; discriminator?: string } | undefined {
  const options = s.oneOf ?? s.anyOf;
  if (!options) return undefined;
  const first = options[0]?.properties ?? {};
  const discriminator = Object.keys(first).find((k) => options.every((o) => o.properties?.[k]?.const !== undefined));
  return { options, discriminator };
}

const isObject = (s: JsonSchema) => s.type === 'object' && s.properties !== undefined;

/** The object options of a (discriminated) union that fit `value` (by its discriminator when it has one). */
function objectOptions(s: JsonSchema, value: unknown): JsonSchema[] {
  if (isObject(s)) return [s];
  const u = unionOf(s);
  if (!u) return [];
  const objects = u.options.filter(isObject);
  if (u.discriminator) {
    const tag = value && typeof value === 'object' ? (value as Record<string, unknown>)[u.discriminator] : undefined;
    const match = objects.filter((o) => tagsOf(o, u.discriminator!).includes(tag));
    if (match.length) return match;
  }
  return objects;
}

/** The element schema at list index `i` (a list's items, or a tuple's i-th). */
function itemAt(s: JsonSchema, i: number): JsonSchema | undefined {
  return Array.isArray(s.items) ? s.items[i] : s.items;
}

/** The schemas that may describe the value at `path`, given the data (which picks the branch of a union). */
export function schemasAt(
  schema: JsonSchema,
  path: readonly (string | number)[],
  data: unknown,
): { schemas: JsonSchema[]; value: unknown } {
  let nodes: JsonSchema[] = [schema];
  let value = data;
  for (const seg of path) {
    const next: JsonSchema[] = [];
    for (const n of nodes) {
      if (typeof seg === 'number') {
        for (const o of [n, ...(unionOf(n)?.options ?? [])]) {
          const item = o.type === 'array' ? itemAt(o, seg) : undefined;
          if (item) next.push(item);
        }
      } else {
        for (const o of objectOptions(n, value)) {
          const f = o.properties![seg];
          if (f) next.push(f);
        }
      }
    }
    nodes = next;
    value = value && typeof value === 'object' ? (value as Record<string | number, unknown>)[seg] : undefined;
  }
  return { schemas: nodes, value };
}

/** The keys a mapping at `path` may have, given the data (which picks the branch of a union). */
export function allowedKeys(schema: JsonSchema, path: readonly (string | number)[], data: unknown): string[] {
  const { schemas, value } = schemasAt(schema, path, data);
  const keys = new Set<string>();
  for (const n of schemas)
    for (const o of objectOptions(n, value)) for (const k of Object.keys(o.properties!)) keys.add(k);
  return [...keys];
}

/**
 * Where the mapping at `path` is a discriminated union: the discriminator and the values of it whose
 * branch has `key` (so "betas" under optimizer name: sgd can say it belongs to name: adamw).
 */
export function branchesWithKey(
  schema: JsonSchema,
  path: readonly (string | number)[],
  data: unknown,
  key: string,
): { discriminator: string; tags: string[] } | undefined {
  for (const n of schemasAt(schema, path, data).schemas) {
    const u = unionOf(n);
    if (!u?.discriminator) continue;
    const tags = u.options.filter((o) => o.properties?.[key]).flatMap((o) => tagsOf(o, u.discriminator!).map(String));
    if (tags.length) return { discriminator: u.discriminator, tags };
  }
  return undefined;
}

/** What the value at `path` should be, in words, when the schema there is one of the config's leaves. */
export function expectationAt(
  schema: JsonSchema,
  path: readonly (string | number)[],
  data: unknown,
): string | undefined {
  return schemasAt(schema, path, data).schemas.find((n) => n['x-expected'])?.['x-expected'];
}

/** The candidate nearest to `word` by edit distance, if near enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined,
    bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(Math.max(word.length, 2) / 3)));
  return best !== undefined && (bestD <= limit || (best.toLowerCase().startsWith(w) && w.length >= 2))
    ? best
    : undefined;
}

/** Levenshtein distance with adjacent transpositions counted as one edit. */
export function editDistance(a: string, b: string): number {
  const m = a.length,
    n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) =>
    Array.from({ length: n + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= m; i++) {
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[m]![n]!;
}

// ---------------------------------------------------------------------------------------------
// The docs table.

export interface ConfigField {
  /** Dotted YAML path; fields of one algorithm or optimizer are written `algorithm[garl].q`. */
  path: string;
  /** What the field accepts, e.g. "a number in [0, 1]". */
  expected: string;
  /** The default as YAML would show it; "(required)" or "(derived)" where there is none. */
  default: string;
  description: string;
}

/** Every field of the config, in schema order, with what it accepts, its default and its description. */
export function configFields(): ConfigField[] {
  const out: ConfigField[] = [];
  const visit = (s: JsonSchema, path: string, required: boolean) => {
    const row = { path, default: defaultOf(s, required), description: s.description ?? '' };
    const u = unionOf(s);
    if (isObject(s)) {
      if (path) out.push({ ...row, expected: 'a mapping' });
      for (const [k, f] of Object.entries(s.properties!))
        visit(f, path ? `${path}.${k}` : k, s.required?.includes(k) ?? false);
    } else if (u?.discriminator) {
      out.push({ ...row, expected: `a mapping with \`${u.discriminator}\`` });
      for (const o of u.options) {
        const tag = String(tagsOf(o, u.discriminator)[0]);
        for (const [k, f] of Object.entries(o.properties!)) {
          if (k !== u.discriminator) visit(f, `${path}[${tag}].${k}`, o.required?.includes(k) ?? false);
        }
      }
    } else {
      out.push({ ...row, expected: expectedOf(s) });
    }
  };
  visit(configJsonSchema(), '', true);
  return out;
}

function expectedOf(s: JsonSchema): string {
  if (s['x-expected']) return s['x-expected'];
  if (Array.isArray(s.items)) return `a list [${s.items.map(expectedOf).join(', ')}]`;
  if (s.const !== undefined) return JSON.stringify(s.const);
  return String(s.type);
}

/** The default as YAML would show it: an empty mapping means "each field's own default". */
function defaultOf(s: JsonSchema, required: boolean): string {
  if (s.default !== undefined) {
    const d = s.default;
    return d && typeof d === 'object' && !Array.isArray(d) && Object.keys(d).length === 0
      ? '(defaults below)'
      : JSON.stringify(d);
  }
  return required ? '(required)' : '(derived)';
}

/** The docs table as Markdown (for docs/config.md). */
export function configFieldsMarkdown(): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = configFields().map(
    (f) => `| \`${f.path}\` | ${esc(f.expected)} | ${esc(f.default)} | ${esc(f.description)} |`,
  );
  return ['| field | expects | default | description |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n';
}
