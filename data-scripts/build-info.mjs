#!/usr/bin/env node
// Writes dist/build-info.json (or the path given): the commit the build was made from and whether
// tracked files differed from it, so that a run's provenance names the code that ran, not only the
// checkout's HEAD (which moves on a pull or a merge without a rebuild). Run by `npm run build`.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = process.argv[2] ?? `${root}dist/build-info.json`;
const git = (...args) =>
  execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
let info = { commit: null, dirty: false };
try {
  info = { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
} catch {
  // Not a git checkout (an npm install): no commit to name.
}
writeFileSync(out, `${JSON.stringify(info)}\n`);
