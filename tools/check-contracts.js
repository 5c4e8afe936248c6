#!/usr/bin/env node
// Fails (exit 1) when the committed libs/contracts/src/gen/ is not what proto/ generates, naming the
// stale, missing and unexpected files. Regenerates into a temporary copy; never touches the tree checked.
// Also runs `buf lint` on proto/, so a contract change that breaks the style rules fails here too.
//
// Usage: node tools/check-contracts.js [--root <dir>]   (root defaults to the repository)
'use strict';

const { execFileSync } = require('node:child_process');
const { cpSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { dirname, join } = require('node:path');
const { generate, listFiles, parseRoot, GEN_DIR, PROTO_DIR, REPO } = require('./gen-contracts.js');

function bufLint(protoDir) {
  const buf = join(dirname(require.resolve('@bufbuild/buf/package.json', { paths: [REPO] })), 'bin', 'buf');
  execFileSync(buf, ['lint'], { cwd: protoDir, stdio: ['ignore', 'inherit', 'inherit'] });
}

/** Compares two directories file by file; returns the differences as relative paths. */
function compare(committedDir, freshDir) {
  const committed = new Set(listFiles(committedDir));
  const fresh = new Set(listFiles(freshDir));
  const stale = [];
  const missing = [];
  const unexpected = [];
  for (const file of fresh) {
    if (!committed.has(file)) missing.push(file);
    else if (!readFileSync(join(committedDir, file)).equals(readFileSync(join(freshDir, file))))
      stale.push(file);
  }
  for (const file of committed) if (!fresh.has(file)) unexpected.push(file);
  return { stale, missing, unexpected };
}

function check(root) {
  bufLint(join(root, PROTO_DIR));
  const scratch = mkdtempSync(join(tmpdir(), 'torii-contracts-'));
  try {
    cpSync(join(root, PROTO_DIR), join(scratch, PROTO_DIR), { recursive: true });
    generate(scratch);
    return compare(join(root, GEN_DIR), join(scratch, GEN_DIR));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (require.main === module) {
  try {
    const { stale, missing, unexpected } = check(parseRoot(process.argv.slice(2)));
    const problems = [
      ...stale.map((f) => `  stale (differs from proto/):  ${GEN_DIR}/${f}`),
      ...missing.map((f) => `  missing (not committed):     ${GEN_DIR}/${f}`),
      ...unexpected.map((f) => `  unexpected (no .proto makes it): ${GEN_DIR}/${f}`),
    ];
    if (problems.length > 0) {
      console.error(
        `check-contracts: the generated contracts are out of date with proto/:\n${problems.join('\n')}\n` +
          'Run `npm run proto:gen` and commit the result (never edit generated files by hand).',
      );
      process.exit(1);
    }
    console.log('check-contracts: libs/contracts/src/gen is up to date with proto/');
  } catch (error) {
    console.error(`check-contracts failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

module.exports = { check, compare };
