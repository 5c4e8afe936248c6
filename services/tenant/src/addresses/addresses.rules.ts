/** SPEC P3: characters a local part may not contain. */
export const FORBIDDEN_LOCAL_PART_CHARS = ['#', '%', "'", '*', '+', '/', '?', '^', '`', '{', '|', '$', '}', '\\'] as const;

export type LocalPartCheck = { ok: true; localPart: string } | { ok: false; code: 'invalid-local-part'; detail: string };

// RFC 5321 dot-atom over the atext characters P3 leaves: letters, digits and ! & = _ ~ -
const DOT_ATOM = /^[a-z0-9!&=_~-]+(\.[a-z0-9!&=_~-]+)*$/;

/**
 * Normalises (trim, lowercase: the directory and the edge compare lowercase) and validates a local part:
 * ASCII only, 1–64 characters, none of P3's forbidden characters, and an RFC 5321 dot-atom (no quoted
 * strings, no leading, trailing or doubled dots).
 */
export function checkLocalPart(input: string): LocalPartCheck {
  const localPart = input.trim().toLowerCase();
  const fail = (detail: string): LocalPartCheck => ({ ok: false, code: 'invalid-local-part', detail });
  if (localPart.length === 0) return fail('the local part is empty');
  if (/[^\x21-\x7e]/.test(localPart)) return fail(`"${input}" contains non-ASCII, space or control characters`);
  if (localPart.length > 64) return fail(`"${input}" is longer than 64 characters`);
  const forbidden = FORBIDDEN_LOCAL_PART_CHARS.filter((c) => localPart.includes(c));
  if (forbidden.length > 0) return fail(`"${input}" contains ${forbidden.map((c) => `"${c}"`).join(', ')}, which addresses may not contain`);
  if (!DOT_ATOM.test(localPart)) return fail(`"${input}" is not a valid local part (RFC 5321 dot-atom)`);
  return { ok: true, localPart };
}

/**
 * Splits what a client sent as an address: a bare local part, or `local@domain` whose domain must be the
 * route's. Returns the local part to validate, or a problem.
 */
export function localPartOf(input: string, domain: string): LocalPartCheck {
  const at = input.lastIndexOf('@');
  if (at === -1) return checkLocalPart(input);
  const inputDomain = input.slice(at + 1).trim().toLowerCase().replace(/\.$/, '');
  if (inputDomain !== domain) return { ok: false, code: 'invalid-local-part', detail: `"${input}" is not an address of ${domain}` };
  return checkLocalPart(input.slice(0, at));
}

/** SPEC P3: may `adding` more addresses join `current` ones under `planSize`? */
export function withinAddressLimit(current: number, adding: number, planSize: number): boolean {
  return current + adding <= planSize;
}

export type ImportOutcome = 'created' | 'duplicate' | 'invalid';

export interface ImportLine {
  line: number;
  input: string;
  outcome: ImportOutcome;
  localPart?: string;
  kind?: 'mailbox' | 'list';
  detail?: string;
}

/**
 * Classifies the rows of a CSV import (`address[,kind]`) against the addresses that exist: which are new,
 * which duplicate (existing, or earlier in the file), which invalid. Blank rows and a header row
 * (`address,...`) are skipped. The caller creates the `created` ones, all or none (the limit is checked on
 * the whole batch).
 */
export function classifyImport(rows: readonly string[][], domain: string, existing: ReadonlySet<string>): ImportLine[] {
  const seen = new Set(existing);
  const report: ImportLine[] = [];
  rows.forEach((row, index) => {
    const line = index + 1;
    const [rawAddress = '', rawKind = ''] = row.map((cell) => cell.trim());
    if (rawAddress === '' && row.every((cell) => cell.trim() === '')) return;
    if (index === 0 && rawAddress.toLowerCase() === 'address') return;
    const kind = rawKind === '' ? 'mailbox' : rawKind.toLowerCase();
    if (kind !== 'mailbox' && kind !== 'list') {
      report.push({ line, input: rawAddress, outcome: 'invalid', detail: `unknown kind "${rawKind}" (mailbox or list)` });
      return;
    }
    const check = localPartOf(rawAddress, domain);
    if (!check.ok) {
      report.push({ line, input: rawAddress, outcome: 'invalid', detail: check.detail });
      return;
    }
    if (seen.has(check.localPart)) {
      report.push({ line, input: rawAddress, outcome: 'duplicate', localPart: check.localPart, kind });
      return;
    }
    seen.add(check.localPart);
    report.push({ line, input: rawAddress, outcome: 'created', localPart: check.localPart, kind });
  });
  return report;
}
