#!/usr/bin/env node
// Writes dist/build-info.json (or the path given): the commit the build was made from and whether
// tracked files differed from it (provenance.ts gitState, as a run records its checkout), so that a
// run's provenance names the code that ran, not only the checkout's HEAD (which moves on a pull or a
// merge without a rebuild). Run by `npm run build`, after tsc.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gitState } from '../dist/experiment/provenance.js';

const out = process.argv[2] ?? fileURLToPath(new URL('../dist/build-info.json', import.meta.url));
writeFileSync(out, `${JSON.stringify((await gitState()) ?? { commit: null, dirty: false })}\n`);
