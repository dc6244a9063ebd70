/**
 * FinQA programs with the semantics of the official evaluate.py (czyssrs/FinQA, code/evaluate/evaluate.py):
 * tokens such as ["subtract(", "5829", "5735", ")", "divide(", "#0", "5735", ")", "EOF"]; operations add, subtract,
 * multiply, divide, exp, greater and table_max/min/sum/average; arguments are numbers (commas removed, "x%" = x/100),
 * constants const_N / const_m1 (-1), step references #n, or a table row label. The result of the last step is
 * rounded to 5 decimals (Python's round: half-even on the exact binary value) and must equal the gold exe_ans exactly.
 * Every way the official script fails (an exception, "n/a") makes the program invalid, which counts as wrong.
 * Deliberate differences: a trailing "EOF" is removed only when present (the official script drops the last token
 * whatever it is); a table operation whose argument is a step reference is invalid (the official script would
 * reuse a stale row); arithmetic on a "yes"/"no" result and any non-finite intermediate value are invalid.
 */

export const FINQA_OPS = [
  'add',
  'subtract',
  'multiply',
  'divide',
  'exp',
  'greater',
  'table_max',
  'table_min',
  'table_sum',
  'table_average',
];

/** The official program_tokenization: "subtract(5829, 5735)" -> ["subtract(", "5829", "5735", ")", "EOF"]. */
export function tokenizeProgram(program: string): string[] {
  const out: string[] = [];
  for (const piece of program.split(', ')) {
    let cur = '';
    for (const c of piece) {
      if (c === ')' && cur !== '') {
        out.push(cur);
        cur = '';
      }
      cur += c;
      if (c === '(' || c === ')') {
        out.push(cur);
        cur = '';
      }
    }
    if (cur !== '') out.push(cur);
  }
  out.push('EOF');
  return out;
}

const PY_SPACE = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const pyStripRe = new RegExp(`^${PY_SPACE}+|${PY_SPACE}+$`, 'gu');
/** Python's str.strip() with no argument. */
export function pyStrip(s: string): string {
  return s.replace(pyStripRe, '');
}
/** Python's str.strip(chars). */
function stripChars(s: string, chars: string): string {
  let a = 0,
    b = s.length;
  while (a < b && chars.includes(s[a]!)) a++;
  while (b > a && chars.includes(s[b - 1]!)) b--;
  return s.slice(a, b);
}

const DIGITS = '\\d(?:_?\\d)*';
const PY_FLOAT = new RegExp(`^[+-]?(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`);
/** Python's float(text) for decimal strings; null where Python raises ValueError. */
export function pyFloat(text: string): number | null {
  const t = pyStrip(text);
  if (PY_FLOAT.test(t)) return Number(t.replace(/_/g, ''));
  const m = /^([+-]?)(inf|infinity|nan)$/i.exec(t);
  if (m) return m[2]!.toLowerCase() === 'nan' ? NaN : m[1] === '-' ? -Infinity : Infinity;
  return null;
}

/** The official str_to_num: commas removed; a number; else "x%" -> x/100; else const_N (const_m1 = -1); else null ("n/a"). */
export function strToNum(text: string): number | null {
  const t = text.replace(/,/g, '');
  const n = pyFloat(t);
  if (n !== null) return n;
  if (t.includes('%')) {
    const p = pyFloat(t.replace(/%/g, ''));
    return p === null ? null : p / 100;
  }
  if (t.includes('const')) {
    let c = t.replace(/const_/g, '');
    if (c === 'm1') c = '-1';
    return pyFloat(c); // the official script raises here, which also makes the program invalid
  }
  return null;
}

/** Python's round(x, digits) for a float: the exact binary value rounded half-to-even, read back as the nearest double. */
export function pyRound(x: number, digits: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0),
    lo = view.getUint32(4);
  const negative = hi >>> 31 === 1;
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  if (exp >= 0) return x; // an integer already
  const num = mant * 10n ** BigInt(digits);
  const den = 1n << BigInt(-exp);
  let q = num / den;
  const twice = 2n * (num % den);
  if (twice > den || (twice === den && q % 2n === 1n)) q++;
  const r = Number(`${q}e-${digits}`);
  return negative ? -r : r;
}

export type ExecResult = { ok: true; value: number | 'yes' | 'no' } | { ok: false; reason: string };

const fail = (reason: string): ExecResult => ({ ok: false, reason });

/** Strip a trailing "EOF" token. */
function withoutEof(tokens: readonly string[]): string[] {
  return tokens.length && tokens[tokens.length - 1] === 'EOF' ? tokens.slice(0, -1) : tokens.slice();
}

/** Execute a tokenised program against a table, as the official eval_program does. */
export function executeProgram(tokens: readonly string[], table: readonly (readonly string[])[]): ExecResult {
  const program = withoutEof(tokens);
  for (let i = 0; i < program.length; i++) {
    if (i % 4 === 0 && !FINQA_OPS.includes(stripChars(program[i]!, '(')))
      return fail(`token ${i}: "${program[i]}" is not an operation`);
    if ((i + 1) % 4 === 0 && program[i] !== ')') return fail(`token ${i}: expected ")", got "${program[i]}"`);
  }
  const steps = program.join('|').split(')').slice(0, -1);
  const results = new Map<number, number | 'yes' | 'no'>();
  let last: number | 'yes' | 'no' | null = null;
  const ref = (arg: string): number | 'yes' | 'no' | null => {
    const s = pyStrip(arg.replace(/#/g, ''));
    if (!/^[+-]?\d(?:_?\d)*$/.test(s)) return null;
    return results.get(Number(s.replace(/_/g, ''))) ?? null;
  };
  for (let ind = 0; ind < steps.length; ind++) {
    const step = pyStrip(steps[ind]!);
    const parts = step.split('(');
    if (parts.length > 2) return fail(`step ${ind}: nested "("`);
    if (parts.length < 2) return fail(`step ${ind}: no "("`);
    const op = pyStrip(stripChars(parts[0]!, '|'));
    const args = pyStrip(stripChars(parts[1]!, '|')).split('|');
    if (args.length < 2) return fail(`step ${ind}: needs two arguments`);
    const [a1, a2] = [pyStrip(args[0]!), pyStrip(args[1]!)];
    if (['add', 'subtract', 'multiply', 'divide', 'exp', 'greater'].includes(op)) {
      const x = a1.includes('#') ? ref(a1) : strToNum(a1);
      const y = a2.includes('#') ? ref(a2) : strToNum(a2);
      if (x === null || y === null) return fail(`step ${ind}: bad argument`);
      if (typeof x !== 'number' || typeof y !== 'number') return fail(`step ${ind}: arithmetic on yes/no`);
      let r: number | 'yes' | 'no';
      if (op === 'add') r = x + y;
      else if (op === 'subtract') r = x - y;
      else if (op === 'multiply') r = x * y;
      else if (op === 'divide') {
        if (y === 0) return fail(`step ${ind}: division by zero`);
        r = x / y;
      } else if (op === 'exp') {
        if (x === 0 && y < 0) return fail(`step ${ind}: zero to a negative power`);
        r = x ** y;
      } else r = x > y ? 'yes' : 'no';
      if (typeof r === 'number' && !Number.isFinite(r)) return fail(`step ${ind}: result is not a finite number`);
      results.set(ind, r);
      last = r;
    } else if (op.includes('table')) {
      if (a1.includes('#')) return fail(`step ${ind}: a table operation needs a row label, not a step reference`);
      const rows = new Map<string, readonly string[]>();
      for (const row of table) {
        if (row.length === 0) return fail(`step ${ind}: the table has an empty row`);
        rows.set(row[0]!, row.slice(1));
      }
      const cells = rows.get(a1);
      if (!cells) return fail(`step ${ind}: no table row "${a1}"`);
      const nums: number[] = [];
      for (const cell of cells) {
        const c = pyStrip(pyStrip(cell.replace(/\$/g, '')).split('(')[0]!);
        const n = strToNum(c);
        if (n === null) return fail(`step ${ind}: cell "${cell}" of row "${a1}" is not a number`);
        nums.push(n);
      }
      let r: number;
      if (op === 'table_sum') r = nums.reduce((s, v) => s + v, 0);
      else if (nums.length === 0) return fail(`step ${ind}: row "${a1}" has no cells`);
      else if (op === 'table_max') r = Math.max(...nums);
      else if (op === 'table_min') r = Math.min(...nums);
      else if (op === 'table_average') r = nums.reduce((s, v) => s + v, 0) / nums.length;
      else return fail(`step ${ind}: unknown table operation "${op}"`);
      if (!Number.isFinite(r)) return fail(`step ${ind}: result is not a finite number`);
      results.set(ind, r);
      last = r;
    }
  }
  if (last === null) return fail('no step was executed');
  return { ok: true, value: typeof last === 'number' ? pyRound(last, 5) : last };
}

/** Official execution accuracy of one prediction: valid, and the rounded result equals the gold exe_ans. */
export function executionCorrect(
  tokens: readonly string[],
  table: readonly (readonly string[])[],
  goldExeAns: number | string | null,
): boolean {
  if (goldExeAns === null) return false;
  const r = executeProgram(tokens, table);
  return r.ok && r.value === goldExeAns;
}
