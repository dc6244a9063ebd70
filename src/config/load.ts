/**
 * Loading a config: YAML text -> `--set` overrides -> `configSchema` -> `Config`, or a UserError whose
 * lines each name the place (file:line:column, or the `--set` that supplied the value), the field
 * path, what was expected and what was found:
 *
 *   configs/x.yaml:7:6: algorithm.q: expected q to be in [0, 1], got 1.5
 *   configs/x.yaml:3:3: train.stepz: unknown key (did you mean "steps"?)
 *   --set rollout.m=0: rollout.m: expected an integer >= 1, got 0
 *
 * A value that a field lacks is reported at its nearest enclosing key that the file has.
 */
import { readFile } from 'node:fs/promises';
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  stringify,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import type { z } from 'zod';
import { UserError } from '../errors.js';
import { configJsonSchema } from './json-schema.js';
import { configSchema, type Config } from './schema.js';
import { allowedKeys, branchesWithKey, closest, expectationAt } from './walk.js';

export type FieldPath = (string | number)[];

export interface Override {
  /** The text as given, e.g. "algorithm.q=0.75". */
  text: string;
  path: FieldPath;
  value: unknown;
}

/**
 * Parses one `--set key.path=value`. The value is read as YAML, so `0.75` is a number, `true` a
 * boolean, `[{until: 10, q: 1}, {q: 0}]` a list, `null` null and anything else a string. Path
 * segments that are non-negative integers index lists (`optimizer.betas.1=0.99`).
 */
export function parseOverride(text: string): Override {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UserError(`--set ${text}: expected key.path=value`);
  const key = text.slice(0, eq).trim();
  const path: FieldPath = key.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  if (path.some((s) => s === ''))
    throw new UserError(`--set ${text}: expected a dotted key path such as algorithm.q, got "${key}"`);
  const doc = parseDocument(text.slice(eq + 1));
  if (doc.errors.length)
    throw new UserError(`--set ${text}: the value is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  return { text, path, value: doc.toJS() };
}

/** Returns a copy of `raw` with the overrides applied in order (intermediate mappings are created). */
export function applyOverrides(raw: Record<string, unknown>, overrides: readonly Override[]): Record<string, unknown> {
  const root = structuredClone(raw);
  for (const o of overrides) {
    let node: unknown = root;
    for (let i = 0; i < o.path.length; i++) {
      const seg = o.path[i]!;
      const last = i === o.path.length - 1;
      const where = o.path.slice(0, i).join('.');
      if (typeof seg === 'number') {
        if (!Array.isArray(node))
          throw new UserError(`--set ${o.text}: ${where} is not a list, so it has no item ${seg}`);
        if (seg > node.length)
          throw new UserError(
            `--set ${o.text}: ${where} has ${node.length} items; expected an index of at most ${node.length}`,
          );
      } else if (!isRecord(node)) {
        throw new UserError(`--set ${o.text}: ${where} is not a mapping, so it has no key "${seg}"`);
      }
      const container = node as Record<string | number, unknown>;
      if (last) container[seg] = o.value;
      else {
        if (container[seg] === undefined || container[seg] === null) {
          if (typeof o.path[i + 1] === 'number') {
            const list = o.path.slice(0, i + 1).join('.');
            throw new UserError(
              `--set ${o.text}: ${list} is not in the config, so it has no item ${o.path[i + 1]}; set the whole list instead (--set ${list}=[...])`,
            );
          }
          container[seg] = {};
        }
        node = container[seg];
      }
    }
  }
  return root;
}

/** Reads, overrides and validates a config file. */
export async function loadConfig(path: string, overrides: readonly string[] = []): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UserError(`${path}: cannot read the config (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseConfig(text, path, overrides);
}

/** Validates config text (`where` names it in messages); pure apart from the overrides' parsing. */
export function parseConfig(text: string, where: string, overrides: readonly string[] = []): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const pos = lineCounter.linePos(e.pos[0]);
    throw new UserError(`${where}:${pos.line}:${pos.col}: not valid YAML: ${e.message.split('\n')[0]}`);
  }
  const js: unknown = doc.toJS() ?? {};
  if (!isRecord(js))
    throw new UserError(
      `${where}: expected a mapping of config fields (model:, task:, algorithm:, ...), got ${describeValue(js)}`,
    );
  const parsed = overrides.map(parseOverride);
  const raw = applyOverrides(js, parsed);
  const r = configSchema.safeParse(raw, { reportInput: true });
  if (r.success) return r.data;
  const locate = (path: FieldPath): string => {
    // The last override that set this field or a mapping above it supplied the value.
    const o = [...parsed].reverse().find((p) => startsWith(path, p.path));
    if (o) return `--set ${o.text}`;
    return `${where}:${positionOf(doc, lineCounter, path)}`;
  };
  throw new UserError(formatIssues(r.error.issues, raw, locate).join('\n'));
}

/**
 * The resolved config as YAML, for the run directory: every default filled in, keys in schema order.
 * Parsing it again gives the same config.
 */
export function resolvedConfigYaml(config: Config): string {
  const header =
    '# The resolved config of this run: every default filled in. `tsallis-run train --config` accepts it as is.\n';
  return header + stringify(config, { lineWidth: 0 });
}

// ---------------------------------------------------------------------------------------------
// Messages.

type Issue = z.core.$ZodIssue;

/** One line per issue: "<where>: <field.path>: <what was expected>, got <what was found>". */
export function formatIssues(issues: readonly Issue[], raw: unknown, locate: (path: FieldPath) => string): string[] {
  const lines: { at: string; text: string }[] = [];
  for (const issue of issues) {
    for (const { path, message } of explain(issue, raw)) {
      const field = path.length ? path.map(String).join('.') : '(config)';
      lines.push({ at: locate(path), text: `${field}: ${message}` });
    }
  }
  // File positions in file order, then the overrides.
  const key = (at: string) => {
    const m = /:(\d+):(\d+)$/.exec(at);
    return m ? Number(m[1]) * 1e6 + Number(m[2]) : Infinity;
  };
  return lines
    .map((l, i) => ({ ...l, i }))
    .sort((a, b) => key(a.at) - key(b.at) || a.i - b.i)
    .map((l) => `${l.at}: ${l.text}`);
}

function explain(issue: Issue, raw: unknown): { path: FieldPath; message: string }[] {
  const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p)) as FieldPath;
  const hasInput = 'input' in issue;
  const input = (issue as { input?: unknown }).input;
  const got = (message: string) =>
    hasInput && input !== undefined && !/\bgot\b/.test(message) ? `${message}, got ${describeValue(input)}` : message;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(configJsonSchema(), path, raw);
      return issue.keys.map((k) => {
        const near = closest(k, allowed);
        const owner = branchesWithKey(configJsonSchema(), path, raw, k);
        const hint = owner
          ? ` (it belongs to ${owner.tags.map((t) => `${owner.discriminator}: ${t}`).join(' or ')})`
          : near
            ? ` (did you mean "${near}"?)`
            : '';
        return { path: [...path, k], message: `unknown key${hint}; expected one of: ${allowed.join(', ')}` };
      });
    }
    case 'invalid_union': {
      const u = issue as Issue & { discriminator?: string; options?: unknown[] };
      if (u.discriminator !== undefined && u.options) {
        const value = valueAt(raw, path);
        const opts = u.options.filter((o) => o !== undefined && o !== null).map(String);
        if (value === undefined)
          return [{ path, message: `missing; expected one of ${opts.map((o) => JSON.stringify(o)).join(', ')}` }];
        const near = typeof value === 'string' ? closest(value, opts) : undefined;
        return [
          {
            path,
            message: `expected one of ${opts.map((o) => JSON.stringify(o)).join(', ')}, got ${describeValue(value)}${near ? ` (did you mean "${near}"?)` : ''}`,
          },
        ];
      }
      const expected = `expected ${expectationAt(configJsonSchema(), path, raw) ?? unionExpectation(issue)}`;
      if (valueAt(raw, path) === undefined) return [{ path, message: `missing; ${expected}` }];
      return [{ path, message: got(expected) }];
    }
    case 'invalid_type':
      if (!hasInput || input === undefined)
        return [{ path, message: `missing; ${expectation(issue.message, issue.expected)}` }];
      return [{ path, message: got(expectation(issue.message, issue.expected)) }];
    case 'invalid_value': {
      const values = issue.values.map(String);
      const near = typeof input === 'string' ? closest(input, values) : undefined;
      const base = /^expected /.test(issue.message)
        ? issue.message
        : `expected one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
      return [{ path, message: got(base) + (near ? ` (did you mean "${near}"?)` : '') }];
    }
    case 'too_big':
    case 'too_small': {
      if (/^expected /.test(issue.message)) return [{ path, message: got(issue.message) }];
      if (/^Too (big|small)/.test(issue.message)) {
        const bound =
          issue.code === 'too_big'
            ? `${issue.inclusive ? '<=' : '<'} ${issue.maximum}`
            : `${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
        const what =
          issue.origin === 'array'
            ? `a list with ${issue.code === 'too_big' ? 'at most' : 'at least'} ${issue.code === 'too_big' ? issue.maximum : issue.minimum} items`
            : `a value ${bound}`;
        return [{ path, message: got(`expected ${what}`) }];
      }
      return [{ path, message: got(reword(issue.message)) }];
    }
    default:
      return [{ path, message: issue.code === 'custom' ? reword(issue.message) : got(reword(issue.message)) }];
  }
}

/** Messages of schemas this module does not own ("q must be in [0, 1]") in the config's phrasing ("expected q to be in [0, 1]"). */
function reword(message: string): string {
  const m = /^(.+?) must (be|increase|omit)\b(.*)$/.exec(message);
  if (m) return `expected ${m[1]} to ${m[2]}${m[3]}`;
  return message;
}

function expectation(message: string, expected: string): string {
  if (/^expected /.test(message)) return message;
  const a =
    expected === 'int'
      ? 'an integer'
      : expected === 'object'
        ? 'a mapping'
        : expected === 'array'
          ? 'a list'
          : /^[aeiou]/.test(expected)
            ? `an ${expected}`
            : `a ${expected}`;
  return `expected ${a}`;
}

function unionExpectation(issue: Issue & { code: 'invalid_union' }): string {
  const kinds = new Set<string>();
  for (const branch of issue.errors)
    for (const i of branch)
      if (i.code === 'invalid_type' && i.path.length === 0)
        kinds.add(expectation('', i.expected).slice('expected '.length));
  return kinds.size ? [...kinds].join(' or ') : 'a valid value';
}

/** A value as the user would write it, shortened. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `a list (${shorten(JSON.stringify(v))})`;
  if (isRecord(v)) return `a mapping (${shorten(JSON.stringify(v))})`;
  return String(v);
}

function shorten(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

// ---------------------------------------------------------------------------------------------
// Positions.

/** "line:column" of the field at `path` in the YAML document, or of its nearest enclosing node that exists. */
export function positionOf(doc: Document, lineCounter: LineCounter, path: FieldPath): string {
  let node: YamlNode | null = doc.contents;
  let offset = node?.range?.[0] ?? 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg);
      if (!pair) break;
      const key = pair.key as YamlNode | null;
      offset = key?.range?.[0] ?? offset;
      node = (pair.value as YamlNode | null) ?? null;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as YamlNode | undefined;
      if (!item) break;
      node = item;
      offset = item.range?.[0] ?? offset;
    } else break;
  }
  const { line, col } = lineCounter.linePos(offset);
  return `${line}:${col}`;
}

function startsWith(path: FieldPath, prefix: FieldPath): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => String(p) === String(path[i]));
}

function valueAt(raw: unknown, path: FieldPath): unknown {
  let v = raw;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
