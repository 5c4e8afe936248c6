import type { SpamVerdict as EngineVerdict } from '@torii/spam-engine';

/** One piece of evidence as the API shows it: the engine's reason, always with a description for humans. */
export interface ReasonView {
  feature: string;
  kind: 'token' | 'rule' | 'fixed';
  /** Change of the calibrated log-odds due to this feature (positive pushes towards spam). */
  logOdds: number;
  description: string;
}

/** What is stored with a scored message (ScoredMessage.reasons) and shown by the API. */
export interface StoredReasons {
  spam: ReasonView[];
  ham: ReasonView[];
  /** Every rule that fired, also those too weak to be among the reasons. */
  rules: string[];
  /** The log-odds behind the score (score = 1 / (1 + e^−logOdds)); absent in rows scored before it was kept. */
  logOdds?: number;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

export function storedReasons(verdict: EngineVerdict): StoredReasons {
  const view = (r: EngineVerdict['reasons']['spam'][number]): ReasonView => ({
    feature: r.feature,
    kind: r.kind,
    logOdds: round(r.logOdds),
    description: r.description ?? describeFeature(r.feature),
  });
  return { spam: verdict.reasons.spam.map(view), ham: verdict.reasons.ham.map(view), rules: [...verdict.rules], logOdds: round(verdict.logOdds) };
}

/**
 * How the shown evidence adds up to the score: the total log-odds, and the rest — the model's starting point
 * (its bias, which leans towards spam for mail it knows little about) and every weaker piece of evidence.
 */
export function balanceOf(reasons: StoredReasons): { logOdds: number; shown: number; rest: number } | undefined {
  if (reasons.logOdds === undefined) return undefined;
  const shown = round([...reasons.spam, ...reasons.ham].reduce((sum, r) => sum + r.logOdds, 0));
  return { logOdds: reasons.logOdds, shown, rest: round(reasons.logOdds - shown) };
}

/** Reads a stored value back; rows scored before reasons were kept hold `{}`. */
export function readStoredReasons(value: unknown): StoredReasons {
  const v = (value ?? {}) as Partial<StoredReasons>;
  return {
    spam: Array.isArray(v.spam) ? v.spam : [],
    ham: Array.isArray(v.ham) ? v.ham : [],
    rules: Array.isArray(v.rules) ? v.rules : [],
    ...(typeof v.logOdds === 'number' && Number.isFinite(v.logOdds) ? { logOdds: v.logOdds } : {}),
  };
}

/**
 * The engine's token prefixes (libs/spam-engine/src/features.ts). A token the table does not know gets the
 * fallback's description: a new prefix in the engine never breaks the API.
 */
const PREFIXES: [string, (rest: string) => string][] = [
  ['n:to:', (b) => `${range(b)} recipients`],
  ['n:tags:', (b) => `${range(b)} HTML tags`],
  ['n:img:', (b) => `${range(b)} images`],
  ['n:links:', (b) => `${range(b)} HTML links`],
  ['n:parts:', (b) => `${range(b)} MIME parts`],
  ['n:urls:', (b) => `${range(b)} links`],
  ['n:text:', (b) => (b === '0' ? 'almost no text' : `about ${range(b, 64)} characters of text`)],
  ['x:caps:', (b) => (Number(b) >= 10 ? 'half the letters or more in capitals' : `${Number(b) * 5}–${Number(b) * 5 + 5}% of the letters in capitals`)],
  ['x:excl:', (b) => `${range(b)} exclamation marks`],
  ['x:money:', (b) => `${range(b)} money amounts`],
  ['x:links-from:', (v) => `links in the sender's domain: ${v}`],
  ['x:msgid-from:', (v) => (v === 'none' ? 'no Message-ID domain' : `Message-ID in the sender's domain: ${v === 'true' ? 'yes' : 'no'}`)],
  ['cte:', (v) => `a part's transfer encoding: ${v}`],
  ['att:', (v) => `an attachment of type .${v}`],
  ['tag:', (v) => `HTML tag <${v}>`],
  ['rule:', (v) => `rule ${v}`],
  ['ct:', (v) => `a part of type ${v}`],
  ['cs:', (v) => `a part in charset ${v}`],
  ['ms:', (v) => `MIME structure ${v}`],
  ['hs:', (v) => `HTML attribute or style ${v}`],
  ['ho:', (v) => `header field order: ${v.replace('^>', 'first ').replace('>$', ' last').replace('>', ', then ')}`],
  ['hc:', (v) => `header field name spelled "${v}"`],
  ['h:', (v) => `header field ${v} present`],
  ['xm:', (v) => `mail program (X-Mailer / User-Agent) "${v}"`],
  ['fn:', (v) => `word in the sender's name: "${words(v)}"`],
  ['fa:', (v) => `word in the sender's address: "${words(v)}"`],
  ['fl:', (v) => `form of the sender address's local part: ${v}`],
  ['fd:', (v) => `sender domain ${v}`],
  ['fb:', (v) => `sender base domain ${v}`],
  ['ft:', (v) => `sender top-level domain .${v}`],
  ['rd:', (v) => `Reply-To domain ${v}`],
  ['uh:', (v) => `link to host ${v}`],
  ['ut:', (v) => `link to top-level domain .${v}`],
  ['us:', (v) => `${v} link`],
  ['uq:', () => 'link with a query string'],
  ['up:', (v) => `word in a link's path: "${words(v)}"`],
  ['u:', (v) => (v === 'ip' ? 'link to a bare IP address' : `link to ${v}`)],
  ['s:', (v) => `Subject word${v.includes(' ') ? 's' : ''} "${words(v)}"`],
  ['c:', (v) => `characters "${v}"`],
];

/** Words as tokenized: digits folded to 0, a word too long to keep is `long:` + its first 6 characters. */
function words(tokens: string): string {
  return tokens.replace(/long:(\S+)/g, '$1…');
}

/** The engine's count buckets: `k` stands for 2^(k-1) to 2^k − 1 (0 for none), times `unit`. */
function range(bucket: string, unit = 1): string {
  const k = Number(bucket);
  if (!Number.isInteger(k) || k <= 0) return 'no';
  const low = 2 ** (k - 1) * unit;
  const high = (2 ** k - 1) * unit;
  return low === high ? String(low) : `${low}–${high}`;
}

export function describeFeature(feature: string): string {
  if (feature === 'grams') return 'character patterns of the raw message';
  if (feature === 'x:runs') return 'runs of "!!!", "???" or "$$$"';
  for (const [prefix, describe] of PREFIXES) if (feature.startsWith(prefix)) return describe(feature.slice(prefix.length));
  if (/^[a-z]{1,4}:/.test(feature) && !feature.startsWith('long:')) return `message feature ${feature}`;
  return `word${feature.includes(' ') ? 's' : ''} in the text: "${words(feature)}"`;
}
