/**
 * The canonical spelling of an SMTP local part (RFC 5321 §4.1.2): a Quoted-string whose content is a valid
 * Dot-string names the same mailbox as that Dot-string, so `"alice"` and `"al\ice"` are `alice`. RFC 5321 also
 * asks a relay to send the form with the least quoting, so the unquoted one is what the directory, the policies
 * and the delivery see. A local part that needs its quotes (`"al ice"`, `"a..b"`) is kept as given.
 * With SMTPUTF8 a Dot-string may hold non-ASCII characters (RFC 6531 §3.3).
 */
const ATOM = "(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]|[\\u0080-\\uffff])+";
const DOT_STRING = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`);
/** DQUOTE *(qtextSMTP / quoted-pairSMTP) DQUOTE; qtextSMTP is printable ASCII but `"` and `\` (and UTF-8). */
const QUOTED_STRING = /^"((?:[ !#-[\]-~\u0080-\uffff]|\\[ -~])*)"$/;

export function canonicalLocalPart(localPart: string): string {
  const quoted = QUOTED_STRING.exec(localPart);
  if (!quoted) return localPart;
  const content = quoted[1].replace(/\\([ -~])/g, '$1');
  return DOT_STRING.test(content) ? content : localPart;
}
