/**
 * The study's "linearised input": the evidence of a record as plain text, with no task description.
 * The question is not part of it; prompt templates place it (configs/prompts/).
 */

/** Titled paragraphs (HotPotQA, MuSiQue): "Title: T\n<text>" blocks separated by a blank line, in the dataset's order. */
export function lineariseParagraphs(paragraphs: readonly { title: string; text: string }[]): string {
  return paragraphs.map((p) => `Title: ${p.title.trim()}\n${p.text.trim()}`).join('\n\n');
}

/** A table as one line per row, cells separated by " | " (the first cell of a row is its label). */
export function lineariseTable(table: readonly (readonly string[])[]): string {
  return table.map((row) => row.map((c) => c.trim()).join(' | ')).join('\n');
}

/** FinQA: the text before the table, the table, the text after it; sentences one a line, empty parts left out. */
export function lineariseFinqa(
  preText: readonly string[],
  table: readonly (readonly string[])[],
  postText: readonly string[],
): string {
  return [preText.join('\n').trim(), lineariseTable(table), postText.join('\n').trim()]
    .filter((s) => s !== '')
    .join('\n\n');
}
