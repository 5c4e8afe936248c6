import { decodeHTML } from 'entities';
import { nonSpaceLength } from './tokenize';

export interface HtmlLink {
  href: string;
  /** Visible anchor text, entities decoded, whitespace collapsed. */
  text: string;
}

export interface HtmlInfo {
  links: HtmlLink[];
  images: number;
  /** Distinct lower-case tag names seen. */
  tags: string[];
  /** Text hidden from the reader (display:none, tiny fonts, white on white). */
  hidden: boolean;
  /** Length of the visible text. */
  textLength: number;
  /**
   * Markup habits, as `tag.attribute` names, CSS property names and a few value classes (tiny or huge fonts,
   * colours): how the mail was built, not what it says. Optional so hand-built HtmlInfo values stay valid.
   */
  style?: string[];
  text?: string;
}

const MAX_HTML = 200 * 1024;
const MAX_LINKS = 60;

/**
 * Regex-based HTML reading, on purpose: a DOM parser costs more than the whole 2 ms budget on a large
 * newsletter. What we need is the visible text, the links with their anchor text, images and tag names.
 */
export function extractHtml(html: string): HtmlInfo {
  let s = html.length > MAX_HTML ? html.slice(0, MAX_HTML) : html;
  s = s.replace(/<!--[\s\S]*?-->/g, ' ').replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ');
  const links: HtmlLink[] = [];
  const anchor = /<a\b([^>]*)>([\s\S]{0,500}?)<\/a\s*>/gi;
  let m: RegExpExecArray | null;
  while ((m = anchor.exec(s)) && links.length < MAX_LINKS) {
    const href = /href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(m[1]);
    if (!href) continue;
    links.push({ href: decodeHTML((href[1] ?? href[2] ?? href[3] ?? '').trim()), text: htmlToText(m[2]).trim() });
  }
  const images = (s.match(/<img\b/gi) ?? []).length;
  const tags = new Set<string>();
  const tagRe = /<([a-zA-Z][a-zA-Z0-9]{0,9})\b/g;
  while ((m = tagRe.exec(s)) && tags.size < 60) tags.add(m[1].toLowerCase());
  const style = new Set<string>();
  const attrRe = /<([a-zA-Z][a-zA-Z0-9]{0,9})\s+([^>]{1,400})>/g;
  while ((m = attrRe.exec(s)) && style.size < 120) {
    const tag = m[1].toLowerCase();
    const nameRe = /([a-zA-Z-]{1,20})\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/g;
    let a: RegExpExecArray | null;
    while ((a = nameRe.exec(m[2])) && style.size < 120) {
      const attr = a[1].toLowerCase();
      const value = (a[2] ?? a[3] ?? a[4] ?? '').toLowerCase();
      style.add(tag + '.' + attr);
      if (attr === 'size' && tag === 'font') style.add('font.size=' + value.replace(/[^0-9+-]/g, '').slice(0, 3));
      if (attr === 'style') for (const prop of value.matchAll(/([a-z-]{2,20})\s*:/g)) style.add('css:' + prop[1]);
    }
  }
  const hidden =
    /display\s*:\s*none|visibility\s*:\s*hidden|font-size\s*:\s*[01](?:px|pt)?\b/i.test(s) ||
    /<font\b[^>]*\bsize\s*=\s*["']?[01]\b/i.test(s) ||
    /color\s*=\s*["']?#?f{6}\b[^>]*>[^<]{3,}/i.test(s);
  const text = htmlToText(s);
  return { links, images, tags: [...tags], style: [...style], hidden, textLength: nonSpaceLength(text), text };
}

function htmlToText(s: string): string {
  return decodeHTML(s.replace(/<[^>]*>/g, ' ')).replace(/\s+/g, ' ');
}
