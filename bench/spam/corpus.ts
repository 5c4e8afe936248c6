import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

export interface ManifestEntry {
  path: string;
  label: 'spam' | 'ham';
}

/** Reads a manifest CSV with at least `path,label` columns (header row required; other columns ignored). */
export function readManifest(file: string): ManifestEntry[] {
  // A byte-order mark (spreadsheet exports write one) would hide the first column's name.
  const lines = readFileSync(file, 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  const head = splitCsvLine(lines[0]).map((c) => c.trim().toLowerCase());
  const pathCol = head.indexOf('path');
  const labelCol = head.indexOf('label');
  if (pathCol < 0 || labelCol < 0) throw new Error(`${file}: header must name the columns path and label`);
  return lines.slice(1).map((line, i) => {
    const cols = splitCsvLine(line);
    const label = cols[labelCol]?.trim().toLowerCase();
    if (label !== 'spam' && label !== 'ham') throw new Error(`${file}:${i + 2}: label must be spam or ham, got ${label}`);
    return { path: cols[pathCol], label };
  });
}

function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') out.push(cur), (cur = '');
    else cur += c;
  }
  out.push(cur);
  return out;
}

export function readMessage(root: string, entry: ManifestEntry): Buffer {
  return readFileSync(isAbsolute(entry.path) ? entry.path : join(root, entry.path));
}

/** The envelope sender of an mbox `From sender date` line, when the file has one. */
export function mboxSender(raw: Buffer): string | undefined {
  if (raw.subarray(0, 5).toString('latin1') !== 'From ') return undefined;
  const line = raw.subarray(0, Math.min(raw.length, 300)).toString('latin1').split('\n', 1)[0];
  const sender = line.split(/\s+/)[1];
  return sender && sender.includes('@') ? sender : undefined;
}

export function parseArgs(argv: string[]): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const [k, v] = a.slice(2).split('=', 2);
    if (v !== undefined) out[k] = v;
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[k] = argv[++i];
    else out[k] = true;
  }
  return out;
}

/** A comma-separated argument as a list (`--seeds 42,7`); empty when absent. */
export function listArg(value: string | boolean | undefined): string[] {
  return typeof value === 'string' ? value.split(',').filter(Boolean) : [];
}
