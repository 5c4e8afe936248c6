/**
 * What a virus verdict does to a message in delivery (AV2, AV3, AV5), as a pure function.
 * - Inbound, infected attachments: delivered with those parts replaced by a notice; an infected body: dropped.
 * - Outbound, infected: not sent.
 * - Unscannable: delivered with a header saying why, or held, by the domain's `virus_policy.unscannable`.
 * virus-scan composes the warning mails (it owns the event); this only decides the message's fate.
 */

export interface VirusFinding {
  /** mailsplit part number of the infected part; '' for the message body. */
  part: string;
  filename?: string;
  signature: string;
}

export interface StripPart {
  part: string;
  filename: string;
  signature: string;
}

export type VirusEffect =
  | { action: 'deliver'; header: string; strip: StripPart[] }
  | { action: 'drop' | 'hold'; reason: string };

/** Same rule as virus-scan's: these signatures mean "could not look inside", not a virus. */
export function isUnscannableSignature(signature: string): boolean {
  return /^(Heuristics\.Encrypted\.|Heuristics\.Limits\.Exceeded\.|Torii\.Unscannable\.)/.test(signature);
}

export function virusEffect(input: {
  direction: 'inbound' | 'outbound';
  status: 'clean' | 'infected' | 'unscannable';
  findings: readonly VirusFinding[];
  engine?: string;
  unscannable: 'deliver' | 'hold';
}): VirusEffect {
  const engine = input.engine ? ` (${input.engine})` : '';
  switch (input.status) {
    case 'clean':
      return { action: 'deliver', header: `clean${engine}`, strip: [] };
    case 'unscannable': {
      if (input.unscannable === 'hold') return { action: 'hold', reason: 'virus-unscannable' };
      const why = [...new Set(input.findings.map((f) => f.signature))].join(', ') || 'unknown';
      return { action: 'deliver', header: `unscannable: ${why}${engine}`, strip: [] };
    }
    case 'infected': {
      if (input.direction === 'outbound') return { action: 'drop', reason: 'virus-infected' };
      const infected = input.findings.filter((f) => !isUnscannableSignature(f.signature));
      if (infected.length === 0 || infected.some((f) => f.part === '')) return { action: 'drop', reason: 'virus-infected-body' };
      const byPart = new Map<string, StripPart>();
      for (const f of infected) if (!byPart.has(f.part)) byPart.set(f.part, { part: f.part, filename: f.filename ?? '', signature: f.signature });
      const strip = [...byPart.values()];
      return { action: 'deliver', header: `infected, removed: ${strip.map((s) => `${s.filename || `part ${s.part}`} (${s.signature})`).join(', ')}${engine}`, strip };
    }
  }
}
