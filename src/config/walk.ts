/**
 * Reading the config schema as data: the keys allowed at a path (for "did you mean" hints) and the
 * field-by-field docs table (path, expected value, default, description), both from the one schema.
 */
import type { z } from 'zod';
import { configShapeSchema, expectedOf as leafExpectation } from './schema.js';

/** The parts of zod's internal definition this module reads (stable across zod 4 releases). */
interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  options?: z.ZodType[];
  discriminator?: string;
  element?: z.ZodType;
  items?: z.ZodType[];
  values?: unknown[];
  defaultValue?: unknown;
  entries?: Record<string, string>;
}

function def(s: z.ZodType): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

/** The schema under defaults, optionals and pipes (the input side). */
function unwrap(s: z.ZodType): z.ZodType {
  for (;;) {
    const d = def(s);
    if (WRAPPERS.has(d.type) && d.innerType) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else return s;
  }
}

/** The literal values a discriminator field accepts (under its default). */
function tagsOf(o: z.ZodType, discriminator: string): unknown[] {
  const f = def(o).shape?.[discriminator];
  return f ? (def(unwrap(f)).values ?? []) : [];
}

/** The object options of a (discriminated) union that fit `value` (by its discriminator when it has one). */
function objectOptions(s: z.ZodType, value: unknown): z.ZodType[] {
  const u = unwrap(s);
  const d = def(u);
  if (d.type === 'object') return [u];
  if (d.type !== 'union' || !d.options) return [];
  const objects = d.options.map(unwrap).filter((o) => def(o).type === 'object');
  if (d.discriminator) {
    const tag = value && typeof value === 'object' ? (value as Record<string, unknown>)[d.discriminator] : undefined;
    const match = objects.filter((o) => tagsOf(o, d.discriminator!).includes(tag));
    if (match.length) return match;
  }
  return objects;
}

/** The schemas that may describe the value at `path`, given the data (which picks the branch of a union). */
export function schemasAt(schema: z.ZodType, path: readonly (string | number)[], data: unknown): { schemas: z.ZodType[]; value: unknown } {
  let nodes: z.ZodType[] = [schema];
  let value = data;
  for (const seg of path) {
    const next: z.ZodType[] = [];
    for (const n of nodes) {
      const u = unwrap(n);
      const d = def(u);
      if (typeof seg === 'number') {
        if (d.type === 'array' && d.element) next.push(d.element);
        if (d.type === 'tuple' && d.items?.[seg]) next.push(d.items[seg]!);
        if (d.type === 'union' && d.options) {
          for (const o of d.options) {
            const od = def(unwrap(o));
            if (od.type === 'array' && od.element) next.push(od.element);
          }
        }
      } else {
        for (const o of objectOptions(u, value)) {
          const f = def(o).shape![seg];
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
export function allowedKeys(schema: z.ZodType, path: readonly (string | number)[], data: unknown): string[] {
  const { schemas, value } = schemasAt(schema, path, data);
  const keys = new Set<string>();
  for (const n of schemas) for (const o of objectOptions(n, value)) for (const k of Object.keys(def(o).shape!)) keys.add(k);
  return [...keys];
}

/**
 * Where the mapping at `path` is a discriminated union: the discriminator and the values of it whose
 * branch has `key` (so "betas" under optimizer name: sgd can say it belongs to name: adamw).
 */
export function branchesWithKey(schema: z.ZodType, path: readonly (string | number)[], data: unknown, key: string): { discriminator: string; tags: string[] } | undefined {
  for (const n of schemasAt(schema, path, data).schemas) {
    const d = def(unwrap(n));
    if (d.type !== 'union' || !d.discriminator || !d.options) continue;
    const tags = d.options.map(unwrap).filter((o) => def(o).shape?.[key]).flatMap((o) => tagsOf(o, d.discriminator!).filter((t) => t !== undefined).map(String));
    if (tags.length) return { discriminator: d.discriminator, tags };
  }
  return undefined;
}

/** What the value at `path` should be, in words, when the schema there is one of the config's leaves. */
export function expectationAt(schema: z.ZodType, path: readonly (string | number)[], data: unknown): string | undefined {
  for (const n of schemasAt(schema, path, data).schemas) {
    const e = leafExpectation(unwrap(n));
    if (e) return e;
  }
  return undefined;
}

/** The candidate nearest to `word` by edit distance, if near enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined, bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) { best = c; bestD = d; }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(Math.max(word.length, 2) / 3)));
  return best !== undefined && (bestD <= limit || (best.toLowerCase().startsWith(w) && w.length >= 2)) ? best : undefined;
}

/** Levenshtein distance with adjacent transpositions counted as one edit. */
export function editDistance(a: string, b: string): number {
  const m = a.length, n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
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
  const visit = (s: z.ZodType, path: string, description: string | undefined) => {
    const desc = description ?? descriptionOf(s);
    const u = unwrap(s);
    const ud = def(u);
    if (ud.type === 'object' && ud.shape) {
      if (path) out.push({ path, expected: 'a mapping', default: defaultOf(s), description: desc });
      for (const [k, f] of Object.entries(ud.shape)) visit(f, path ? `${path}.${k}` : k, undefined);
      return;
    }
    if (ud.type === 'union' && ud.discriminator && ud.options) {
      out.push({ path, expected: `a mapping with \`${ud.discriminator}\``, default: defaultOf(s), description: desc });
      for (const o of ud.options) {
        const od = def(unwrap(o));
        const tag = String(tagsOf(unwrap(o), ud.discriminator).find((t) => t !== undefined));
        for (const [k, f] of Object.entries(od.shape!)) {
          if (k === ud.discriminator) continue;
          visit(f, `${path}[${tag}].${k}`, undefined);
        }
      }
      return;
    }
    out.push({ path, expected: expectedOf(u), default: defaultOf(s), description: desc });
  };
  visit(configShapeSchema, '', undefined);
  return out;
}

/** The description of a schema or of what it wraps. */
function descriptionOf(s: z.ZodType): string {
  for (let cur: z.ZodType | undefined = s; cur; ) {
    const d = (cur as { description?: string }).description;
    if (d) return d;
    const def_ = def(cur);
    cur = WRAPPERS.has(def_.type) ? def_.innerType : def_.type === 'pipe' ? def_.in : undefined;
  }
  return '';
}

function expectedOf(s: z.ZodType): string {
  const known = leafExpectation(s);
  if (known) return known;
  const d = def(s);
  if (d.type === 'tuple' && d.items) return `a list [${d.items.map((i) => expectedOf(unwrap(i))).join(', ')}]`;
  if (d.type === 'literal') return JSON.stringify(d.values?.[0]);
  return d.type;
}

function defaultOf(s: z.ZodType): string {
  for (let cur = s; ;) {
    const d = def(cur);
    if (d.type === 'default' || d.type === 'prefault') {
      const v = typeof d.defaultValue === 'function' ? (d.defaultValue as () => unknown)() : d.defaultValue;
      return d.type === 'prefault' && v && typeof v === 'object' && Object.keys(v).length === 0 ? '(defaults below)' : JSON.stringify(v);
    }
    if (d.type === 'optional') return '(derived)';
    if (WRAPPERS.has(d.type) && d.innerType) cur = d.innerType;
    else return '(required)';
  }
}

/** The docs table as Markdown (for docs/config.md). */
export function configFieldsMarkdown(): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = configFields().map((f) => `| \`${f.path}\` | ${esc(f.expected)} | ${esc(f.default)} | ${esc(f.description)} |`);
  return ['| field | expects | default | description |', '| --- | --- | --- | --- |', ...rows].join('\n') + '\n';
}
