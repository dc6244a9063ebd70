/** A file-name-safe form of a task or start name. */
export function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}
