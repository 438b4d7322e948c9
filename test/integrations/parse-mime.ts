/**
 * A small MIME reader for the tests, so they read received mail as a mail client would: unfolded
 * headers with RFC 2047 words decoded, multipart bodies split, base64 / quoted-printable decoded.
 */

export interface MimePart {
  /** Lower-case header name → decoded values, in order */
  headers: Map<string, string[]>;
  /** Raw (undecoded, unfolded) header block */
  rawHeaders: string;
  header(name: string): string | undefined;
  contentType: string;
  params: Record<string, string>;
  /** Decoded body (leaf parts) */
  body: Buffer;
  parts: MimePart[];
}

export function parseMime(raw: Buffer): MimePart {
  const text = raw.toString('latin1');
  const split = /\r?\n\r?\n/.exec(text);
  const headerBlock = split ? text.slice(0, split.index) : text;
  const bodyText = split ? text.slice(split.index + split[0].length) : '';

  const rawHeaders = headerBlock.replace(/\r?\n(?=[ \t])/g, '');
  const headers = new Map<string, string[]>();
  for (const line of rawHeaders.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = decodeWords(Buffer.from(line.slice(colon + 1).trim(), 'latin1').toString('utf8'));
    headers.set(name, [...(headers.get(name) ?? []), value]);
  }
  const header = (name: string) => headers.get(name.toLowerCase())?.[0];
  const [contentType = 'text/plain', params] = parseValueWithParams(header('content-type') ?? 'text/plain');

  const boundary = params.boundary;
  const parts: MimePart[] = [];
  let body: Buffer = Buffer.alloc(0);
  if (contentType.startsWith('multipart/') && boundary) {
    const sections = bodyText.split(new RegExp(`\\r?\\n?--${escapeRegExp(boundary)}(?:--)?[ \\t]*\\r?\\n?`));
    for (const section of sections.slice(1, -1)) parts.push(parseMime(Buffer.from(section, 'latin1')));
  } else {
    body = decodeBody(bodyText, (header('content-transfer-encoding') ?? '7bit').toLowerCase());
  }
  return { headers, rawHeaders, header, contentType, params, body, parts };
}

/** All leaf parts, depth first */
export function leafParts(part: MimePart): MimePart[] {
  return part.parts.length === 0 ? [part] : part.parts.flatMap(leafParts);
}

/** The filename of an attachment part (Content-Disposition, RFC 2231 or plain) */
export function filenameOf(part: MimePart): string | undefined {
  const [, params] = parseValueWithParams(part.header('content-disposition') ?? '');
  return params.filename;
}

function parseValueWithParams(value: string): [string, Record<string, string>] {
  const [first = '', ...rest] = value.split(';');
  const params: Record<string, string> = {};
  const continued: Record<string, string[]> = {};
  for (const item of rest) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim().toLowerCase();
    const val = item
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    const star = /^([^*]+)\*(\d+)?\*?$/.exec(key);
    if (star?.[1]) (continued[star[1]] ??= []).push(val);
    else params[key] = val;
  }
  for (const [key, pieces] of Object.entries(continued)) {
    const joined = pieces.join('').replace(/^[^']*'[^']*'/, '');
    params[key] = decodeURIComponent(joined);
  }
  return [first.trim().toLowerCase(), params];
}

function decodeBody(body: string, encoding: string): Buffer {
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body.replace(/=\r?\n/g, ''));
  return Buffer.from(body, 'latin1');
}

function decodeQuotedPrintable(value: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i += 1) {
    const hex = value.slice(i + 1, i + 3);
    if (value[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(value.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** RFC 2047: adjacent encoded words join without the whitespace between them; bytes may span words. */
function decodeWords(value: string): string {
  const word = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;
  let out = '';
  let pending: Buffer[] = [];
  let last = 0;
  const flush = () => {
    out += Buffer.concat(pending).toString('utf8');
    pending = [];
  };
  for (let m = word.exec(value); m; m = word.exec(value)) {
    const between = value.slice(last, m.index);
    if (!(pending.length > 0 && /^\s*$/.test(between))) {
      flush();
      out += between;
    }
    const data = m[3] ?? '';
    pending.push(m[2]?.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : decodeQuotedPrintable(data.replace(/_/g, ' ')));
    last = m.index + m[0].length;
  }
  flush();
  return out + value.slice(last);
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
