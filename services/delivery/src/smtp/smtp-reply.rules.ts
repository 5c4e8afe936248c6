/** Classifies what a remote SMTP server (or the network) said, for the recipient state machine. */

export type ReplyClass = 'success' | 'temporary' | 'permanent';

export interface SmtpReply {
  /** 0 when there was no reply (connection failed, timeout). */
  code: number;
  /** RFC 3463 enhanced code, e.g. "5.1.1"; empty when none was given. */
  enhanced: string;
  text: string;
}

const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})\b/;

/** Splits `550 5.1.1 User unknown` (or just the text after the code) into its parts. */
export function parseReply(code: number, response: string): SmtpReply {
  let text = response.trim();
  const leading = /^(\d{3})[ -]/.exec(text);
  if (leading) text = text.slice(4).trim();
  // Multi-line replies arrive joined; strip repeated codes at line starts.
  text = text.replace(/\n\d{3}[ -]/g, '\n');
  const enhancedMatch = ENHANCED.exec(text);
  const enhanced = enhancedMatch && code > 0 && enhancedMatch[1] === String(code)[0] ? enhancedMatch[0] : '';
  if (enhanced) text = text.slice(enhanced.length).trim();
  return { code, enhanced, text };
}

/**
 * 2xx success, 4xx temporary, 5xx permanent (RFC 5321 §4.2.1). No reply at all (connection refused or
 * reset, timeout, TLS failure) is temporary: the server may come back. A 5xx whose enhanced code says
 * temporary (4.x.x) is trusted as temporary, the reverse likewise (RFC 3463 gives the class the last word).
 */
export function classifyReply(reply: SmtpReply): ReplyClass {
  if (reply.code === 0) return 'temporary';
  const first = Math.floor(reply.code / 100);
  if (first === 2 || first === 3) return 'success';
  if (reply.enhanced.startsWith('4.')) return 'temporary';
  if (reply.enhanced.startsWith('5.')) return 'permanent';
  if (first === 4) return 'temporary';
  if (first === 5) return 'permanent';
  return 'temporary';
}

/** The enhanced code for a DSN's Status field when the server gave none. */
export function statusCode(reply: SmtpReply): string {
  if (reply.enhanced) return reply.enhanced;
  switch (classifyReply(reply)) {
    case 'success':
      return '2.0.0';
    case 'temporary':
      return reply.code === 0 ? '4.4.1' : '4.0.0';
    case 'permanent':
      return '5.0.0';
  }
}

/** The reply as one line for logs and the Diagnostic-Code field. */
export function formatReply(reply: SmtpReply): string {
  if (reply.code === 0) return reply.text;
  return [String(reply.code), reply.enhanced, reply.text.replace(/\s*\n\s*/g, ' ')].filter(Boolean).join(' ');
}

/** A failure with no SMTP reply (e.g. ECONNREFUSED) as a reply, so it flows through the same rules. */
export function connectionFailure(description: string): SmtpReply {
  return { code: 0, enhanced: '', text: description };
}
