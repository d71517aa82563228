#!/usr/bin/env node
// The `regulab` executable npm links at install time. It exists before `npm run build` (npm skips a
// bin whose file is missing, so pointing "bin" at dist/cli.js left `npx regulab` without an
// executable after `npm ci`); it loads the built CLI, which needs `npm run build` first.
import '../dist/cli.js';
