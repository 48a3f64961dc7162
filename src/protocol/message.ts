/**
 * The grammar of inbox files `docs/ai/sessions/queue/to-<id>.md`, in one place.
 *
 * A file is an optional preamble (any text, kept) and then blocks:
 *
 *   ## 2026-05-31T11:45Z · from:sB · to:sA · type:question · ref:— · status:sent
 *   <body lines, escaped>
 *   → status:seen <ts> · acked <ts> · resolved <ts>
 *
 * Rules that make parse and render agree:
 * - A block runs from its header to its status line. A block without one (hand-written)
 *   runs to the next header; its trailing blank lines are separators, not body.
 * - Blank lines before the status line are body, so every body round-trips exactly.
 * - A body line that could be read as structure is escaped with one leading `\`
 *   (see `escapeBodyLine`); parsing removes it again.
 * - Line ends: a file's style is its first line break. In a CRLF file exactly one CR
 *   is taken off each terminated line; any other CR is body text and round-trips.
 *   Headers and status lines ignore stray CRs, so mixed files still read.
 *
 * Pure code: it runs in Node, in Deno and inside the bundle.
 */
import { isSessionId, RIFF_ID_RE } from './ids.js';
import { fnv1a64, utf8ByteLength } from './hash.js';
import { READ_STAMP_RE as STAMP } from './stamp.js';

export const MESSAGE_TYPES = ['question', 'answer', 'handoff', 'info'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Bump when parsing changes what it returns: cached parses of older versions are then ignored. */
export const PARSER_VERSION = 1;

/** What `ref:` holds when the message refers to nothing. */
export const NO_REF = '—';

export type StatusLine = { seen: string | null; acked: string | null; resolved: string | null };

/** The steps of the ack chain, in order: a later step implies the earlier ones. */
export type Level = keyof StatusLine;
export const LEVELS: Level[] = ['seen', 'acked', 'resolved'];

/** Why `type` cannot be a message type coord writes, or null when it can: one lowercase word. */
export function checkType(type: string): string | null {
  return /^[a-z][a-z0-9-]{0,19}$/.test(type)
    ? null
    : `'${type.slice(0, 40)}' is not a message type: use question, answer, handoff, info, or one lowercase word`;
}

/** Why `ref` cannot be a message's `ref:`, or null when it can: a Riff id, a message id, or the no-ref dash. */
export function checkRef(ref: string): string | null {
  return ref === NO_REF || RIFF_ID_RE.test(ref)
    ? null
    : `'${ref.slice(0, 40)}' is not a Riff or message id (one word of letters, digits and . _ # : / -)`;
}

/** A status line with nothing stamped. */
export const NEW_STATUS: StatusLine = { seen: null, acked: null, resolved: null };

/** `s` with `level` and every earlier step stamped `now` (steps already stamped keep their stamp). */
export function advanceStatus(s: StatusLine, level: Level, now: string): StatusLine {
  const next = { ...s };
  for (const l of LEVELS.slice(0, LEVELS.indexOf(level) + 1)) next[l] ??= now;
  return next;
}

export interface Message {
  stamp: string;
  from: string;
  to: string;
  /** One of MESSAGE_TYPES when coord writes it; any word is read back. */
  type: string;
  /** A Riff or another message; `—` when none. */
  ref: string;
  status: StatusLine;
  /** As the sender wrote it: unescaped, lines joined with `\n`, no added trailing newline. */
  body: string;
}

export interface ParsedMessage extends Message {
  /** 10 hex chars, stable while the block exists (see `messageId`). */
  id: string;
  /** 1-based line of the header. */
  line: number;
  /** 1-based inclusive range of the block: header to status line (or last non-blank body line). */
  startLine: number;
  endLine: number;
  hasStatusLine: boolean;
}

export interface ParseProblem {
  line: number;
  message: string;
}

/** Anything a parser might take for a header: a markdown h2, after optional blanks. */
const HEADER_LIKE = /^[ \t]*##(?:[ \t]|$)/;
const STATUS_LIKE = /^[ \t]*(?:→|->)[ \t]*status[ \t]*:/i;
/** Spellings of "no reference" read from hand edits; all mean NO_REF. */
const NONE = new Set(['', '-', '–', '—']);
const HEADER_KEYS = ['from', 'to', 'type', 'ref', 'status'];
const MAX_BODY_BYTES = 1024 * 1024;

/** Throws a one-line Error for a body coord refuses to send (NUL bytes, over 1 MiB). */
export function validateBody(body: string): void {
  const nul = body.indexOf('\0');
  if (nul >= 0) {
    throw new Error(`Message body contains a NUL byte (character ${nul + 1}); remove it and send again.`);
  }
  // Three UTF-8 bytes per UTF-16 unit at most, so short bodies skip the count.
  if (body.length * 3 > MAX_BODY_BYTES) {
    const bytes = utf8ByteLength(body);
    if (bytes > MAX_BODY_BYTES) {
      throw new Error(`Message body is ${bytes} bytes, over the 1 MiB limit; put long text in a file in the repo and refer to it.`);
    }
  }
}

// ---- escaping -------------------------------------------------------------------------

const isStructural = (line: string): boolean => HEADER_LIKE.test(line) || STATUS_LIKE.test(line);
const stripBackslashes = (line: string): string => line.replace(/^\\+/, '');

/**
 * A line that, without its leading backslashes, could be read as a header or status
 * line gets one more `\`. So an escaped line never reads as structure, and
 * unescapeBodyLine(escapeBodyLine(x)) === x for every string x.
 */
export function escapeBodyLine(line: string): string {
  return isStructural(stripBackslashes(line)) ? '\\' + line : line;
}

export function unescapeBodyLine(line: string): string {
  return line.startsWith('\\') && isStructural(stripBackslashes(line)) ? line.slice(1) : line;
}

// ---- rendering ------------------------------------------------------------------------

const normaliseRef = (ref: string): string => (NONE.has(ref.trim()) ? NO_REF : ref);

function checkMessage(m: Message): void {
  if (!STAMP.test(m.stamp)) throw new Error(`Message stamp '${m.stamp}' is not YYYY-MM-DDTHH:MMZ (UTC).`);
  for (const id of [m.from, m.to]) {
    if (!isSessionId(id)) throw new Error(`'${id}' is not a session id (sA, sB, …, sAA).`);
  }
  if (!/^[^\s·]+$/.test(m.type)) throw new Error(`Message type '${m.type}' must be one word without '·'.`);
  const ref = normaliseRef(m.ref);
  if (/[·\r\n]/.test(ref) || ref !== ref.trim()) {
    throw new Error(`Message ref '${m.ref}' must be one line without '·' or surrounding spaces.`);
  }
  checkStatus(m.status);
  validateBody(m.body);
}

function checkStatus(s: StatusLine): void {
  for (const v of [s.seen, s.acked, s.resolved]) {
    if (v !== null && !STAMP.test(v)) throw new Error(`Status stamp '${v}' is not YYYY-MM-DDTHH:MMZ (UTC).`);
  }
}

const renderStatus = (s: StatusLine): string =>
  `→ status:seen ${s.seen ?? '<ts>'} · acked ${s.acked ?? '<ts>'} · resolved ${s.resolved ?? '<ts>'}`;

function blockLines(m: Message): string[] {
  checkMessage(m);
  return [
    `## ${m.stamp} · from:${m.from} · to:${m.to} · type:${m.type} · ref:${normaliseRef(m.ref)} · status:sent`,
    ...(m.body === '' ? [] : m.body.split('\n').map(escapeBodyLine)),
    renderStatus(m.status),
  ];
}

/** The block's text with `\n` line ends, ending with `\n`. Throws on fields that would not read back. */
export function renderMessage(m: Message): string {
  return blockLines(m).join('\n') + '\n';
}

// ---- parsing --------------------------------------------------------------------------

/** Narrower than HEADER_LIKE so a preamble's `## Notes` is text, while a damaged header is still caught. */
function looksLikeHeader(line: string): boolean {
  return /^[ \t]*##[ \t]/.test(line) && (line.includes('·') || /^[ \t]*##[ \t]+\d{4}-/.test(line) || /\bfrom[ \t]*:/i.test(line));
}

const isBlank = (line: string): boolean => /^\s*$/.test(line);

type Header = Omit<Message, 'status' | 'body'>;

/** Reads a header line: a Header (with warnings that do not stop reading) or why it cannot be read. */
function readHeader(line: string): { header: Header; warnings: string[] } | { error: string } {
  const parts = line
    .trim()
    .replace(/^##\s*/, '')
    .split('·')
    .map((p) => p.trim());
  const stamp = parts[0] ?? '';
  if (!STAMP.test(stamp)) return { error: `Message header stamp '${stamp}' is not YYYY-MM-DDTHH:MMZ.` };
  const fields = new Map<string, string>();
  const warnings: string[] = [];
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    const kv = /^([A-Za-z]+)\s*:\s*(.*)$/.exec(part);
    if (!kv) return { error: `Message header part '${part}' is not key:value.` };
    const key = kv[1].toLowerCase();
    if (fields.has(key)) return { error: `Message header has '${key}:' twice.` };
    fields.set(key, kv[2]);
    if (!HEADER_KEYS.includes(key)) warnings.push(`Message header field '${key}:' is not known; it is ignored.`);
  }
  const from = fields.get('from') ?? '';
  const to = fields.get('to') ?? '';
  const type = fields.get('type') ?? '';
  if (!from || !to || !type) {
    return { error: `Message header has no '${!from ? 'from' : !to ? 'to' : 'type'}:' value.` };
  }
  if (!isSessionId(from)) return { error: `Message header from:'${from}' is not a session id (sA, sB, …, sAA).` };
  if (!isSessionId(to)) return { error: `Message header to:'${to}' is not a session id (sA, sB, …, sAA).` };
  return { header: { stamp, from, to, type, ref: normaliseRef(fields.get('ref') ?? '') }, warnings };
}

function readStatus(line: string, problems: string[]): StatusLine {
  const status: StatusLine = { seen: null, acked: null, resolved: null };
  for (const raw of line.replace(STATUS_LIKE, '').split('·')) {
    const part = raw.trim();
    if (part === '' || /^sent$/i.test(part)) continue;
    const kv = /^(seen|acked|resolved)\b\s*:?\s*(.*)$/i.exec(part);
    if (!kv) {
      problems.push(`Status part '${part}' is not 'seen|acked|resolved <stamp>'; it is ignored.`);
      continue;
    }
    const value = kv[2].trim();
    if (NONE.has(value) || /^<ts>$/i.test(value)) continue;
    if (STAMP.test(value)) status[kv[1].toLowerCase() as keyof StatusLine] = value;
    else problems.push(`Status stamp '${value}' is not YYYY-MM-DDTHH:MMZ; it is read as unset.`);
  }
  return status;
}

/** Line contents without terminators (see the CR rule at the top). */
function splitLines(text: string): string[] {
  if (text === '') return [];
  const crlf = usesCrlf(text);
  const lines = text.split('\n');
  const last = lines.pop()!; // after the final '\n' (empty) or an unterminated last line
  const contents = crlf ? lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)) : lines;
  if (last !== '') contents.push(last);
  if (contents[0]?.startsWith('\uFEFF')) contents[0] = contents[0].slice(1);
  return contents;
}

function usesCrlf(text: string): boolean {
  const nl = text.indexOf('\n');
  return nl > 0 && text[nl - 1] === '\r';
}

/** Reads every block; never throws. Unreadable headers and stray structure become problems. */
export function parseQueueFile(text: string): { messages: ParsedMessage[]; problems: ParseProblem[] } {
  const lines = splitLines(text);
  const messages: ParsedMessage[] = [];
  const problems: ParseProblem[] = [];
  const occurrences = new Map<string, number>();

  let i = 0;
  for (; i < lines.length && !looksLikeHeader(lines[i]); i++) {
    if (STATUS_LIKE.test(lines[i])) problems.push({ line: i + 1, message: 'Status line outside any message; it is ignored.' });
  }
  while (i < lines.length) {
    const head = i;
    let next = head + 1;
    while (next < lines.length && !looksLikeHeader(lines[next])) next++;
    i = next;

    const read = readHeader(lines[head]);
    if ('error' in read) {
      // The damaged block stays in the file as it is; only reading it is skipped.
      problems.push({ line: head + 1, message: `${read.error} This block is not read; fix the header line.` });
      continue;
    }
    for (const message of read.warnings) problems.push({ line: head + 1, message });

    let statusAt = head + 1;
    while (statusAt < next && !STATUS_LIKE.test(lines[statusAt])) statusAt++;
    const hasStatusLine = statusAt < next;
    let bodyEnd = statusAt;
    if (!hasStatusLine) while (bodyEnd > head + 1 && isBlank(lines[bodyEnd - 1])) bodyEnd--;

    const statusProblems: string[] = [];
    const status = hasStatusLine ? readStatus(lines[statusAt], statusProblems) : { seen: null, acked: null, resolved: null };
    for (const message of statusProblems) problems.push({ line: statusAt + 1, message });
    if (hasStatusLine) {
      const stray = lines.slice(statusAt + 1, next).findIndex((l) => !isBlank(l));
      if (stray >= 0) {
        problems.push({
          line: statusAt + 2 + stray,
          message: `Text after the status line of the message at line ${head + 1} belongs to no message; it is ignored.`,
        });
      }
    }

    const body = lines
      .slice(head + 1, bodyEnd)
      .map(unescapeBodyLine)
      .join('\n');
    const message: Message = { ...read.header, status, body };
    const key = identityKey(message);
    const occurrence = occurrences.get(key) ?? 0;
    occurrences.set(key, occurrence + 1);
    messages.push({
      ...message,
      id: messageId(message, occurrence),
      line: head + 1,
      startLine: head + 1,
      endLine: hasStatusLine ? statusAt + 1 : bodyEnd,
      hasStatusLine,
    });
  }
  return { messages, problems };
}

// ---- ids ------------------------------------------------------------------------------

/** Everything that makes a message what it is; status is left out so acking keeps the id. */
function identityKey(m: Message): string {
  // Length prefixes keep field boundaries unambiguous whatever the fields contain.
  return [m.stamp, m.from, m.to, m.type, m.ref, m.body].map((s) => `${s.length}:${s}`).join('');
}

/**
 * Short stable id: the first 10 hex chars of FNV-1a 64 over the header fields, the body
 * as the sender wrote it, and `occurrence` (how many identical blocks come earlier in the
 * same file), so two identical messages still get two ids.
 */
export function messageId(m: Message, occurrence: number): string {
  return fnv1a64(`${identityKey(m)}#${occurrence}`).slice(0, 10);
}

// ---- editing: every function returns new file text and leaves other bytes alone ------

const eolOf = (text: string): string => (usesCrlf(text) ? '\r\n' : '\n');

/** Offset just past line `n`'s terminator (1-based; 0 is the start of the file). */
function offsetAfterLine(text: string, n: number): number {
  let pos = 0;
  for (let k = 0; k < n; k++) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) return text.length;
    pos = nl + 1;
  }
  return pos;
}

/** Inserts whole lines after line `after`, in the file's line-end style. */
function insertLines(text: string, after: number, contents: string[]): string {
  const eol = eolOf(text);
  const at = offsetAfterLine(text, after);
  // An unterminated last line gets its terminator before anything follows it.
  const before = at > 0 && text[at - 1] !== '\n' ? text.slice(0, at) + eol : text.slice(0, at);
  return before + contents.map((c) => c + eol).join('') + text.slice(at);
}

function replaceLine(text: string, n: number, content: string): string {
  const start = offsetAfterLine(text, n - 1);
  const nl = text.indexOf('\n', start);
  const end = nl < 0 ? text.length : nl > start && text[nl - 1] === '\r' ? nl - 1 : nl;
  return text.slice(0, start) + content + text.slice(end);
}

/** Finds the target again by id, so edits stay right even if the file moved on since it was parsed. */
function locate(text: string, target: ParsedMessage): ParsedMessage {
  const found = parseQueueFile(text).messages.find((m) => m.id === target.id);
  if (!found) throw new Error(`Message ${target.id} (line ${target.line}) is no longer in this file; read the inbox again.`);
  return found;
}

/** The file with `m` appended after exactly one blank line (trailing blank lines collapse into it). */
export const appendBlock = (fileText: string, m: Message): string => insertBlockLines(fileText, 'end', blockLines(m));

/** The file with `m` inserted right under `target`'s block (a reply under its question). */
export const insertAfter = (fileText: string, target: ParsedMessage, m: Message): string =>
  insertBlockLines(fileText, target, blockLines(m));

/** The lines of each of `ms`' blocks exactly as they stand in `fileText`, header to status line (one split for all). */
export function blockTexts(fileText: string, ms: ParsedMessage[]): string[][] {
  const lines = splitLines(fileText);
  return ms.map((m) => lines.slice(m.startLine - 1, m.endLine));
}

/**
 * The file with the block `lines` put right under `after`'s block, before the first block
 * (`'start'`), or appended (`'end'`), separated from its neighbours by one blank line.
 * `fresh`: `after` was parsed from this very text, so it need not be found again.
 */
export function insertBlockLines(fileText: string, after: ParsedMessage | 'start' | 'end', lines: string[], fresh = false): string {
  const all = splitLines(fileText);
  if (after === 'start') {
    const first = parseQueueFile(fileText).messages[0];
    if (first) return insertLines(fileText, first.startLine - 1, [...lines, '']);
    after = 'end';
  }
  if (after === 'end') {
    let last = all.length;
    while (last > 0 && isBlank(all[last - 1])) last--;
    if (last === 0) return lines.map((c) => c + eolOf(fileText)).join('');
    return insertLines(fileText.slice(0, offsetAfterLine(fileText, last)), last, ['', ...lines]);
  }
  const found = fresh ? after : locate(fileText, after);
  const following = all[found.endLine];
  const separatorAfter = following !== undefined && !isBlank(following) ? [''] : [];
  return insertLines(fileText, found.endLine, ['', ...lines, ...separatorAfter]);
}

/** The file with only `target`'s status line rewritten (or added under its body). */
export function setStatus(fileText: string, target: ParsedMessage, status: StatusLine): string {
  checkStatus(status);
  const found = locate(fileText, target);
  const line = renderStatus(status);
  return found.hasStatusLine ? replaceLine(fileText, found.endLine, line) : insertLines(fileText, found.endLine, [line]);
}

/** Many edits of one file, made in one pass by `editBlocks`. */
export interface BlockEdits {
  /** New status lines, by the id of a block of the file. */
  status: Map<string, StatusLine>;
  /** Blocks (their lines) to put before the file's first block, in order; appended when it has none. */
  atStart: string[][];
  /** Blocks to put right under a block of the file, by its id, in order. */
  under: Map<string, string[][]>;
}

/**
 * `fileText` (whose blocks are `messages`, parsed from it) with every edit made in one pass:
 * the text setStatus and insertBlockLines give one edit at a time (each of which parses the
 * file again: an inbox of 3,000 new blocks took 92 s to merge), other bytes untouched.
 */
export function editBlocks(fileText: string, messages: ParsedMessage[], edits: BlockEdits): string {
  for (const status of edits.status.values()) checkStatus(status);
  const eol = eolOf(fileText);
  const block = (lines: string[]) => lines.map((c) => c + eol).join('');
  const lines = splitLines(fileText);
  if (!messages.length) {
    if (!edits.atStart.length) return fileText;
    // Appended after the text without its trailing blank lines, one blank line before each block.
    let last = lines.length;
    while (last > 0 && isBlank(lines[last - 1])) last--;
    const kept = fileText.slice(0, offsetAfterLine(fileText, last));
    const head = last === 0 ? '' : (kept.endsWith('\n') ? kept : kept + eol) + eol;
    return head + edits.atStart.map(block).join(eol);
  }
  // Offsets of the line starts, so that each edit finds its line without scanning the file again.
  const starts = [0];
  for (let i = fileText.indexOf('\n'); i >= 0; i = fileText.indexOf('\n', i + 1)) starts.push(i + 1);
  const after = (n: number) => (n < starts.length ? starts[n] : fileText.length); // just past line n's terminator
  const out: string[] = [];
  let pos = 0;
  if (edits.atStart.length) {
    pos = after(messages[0].startLine - 1);
    out.push(fileText.slice(0, pos));
    for (const b of edits.atStart) out.push(block(b) + eol);
  }
  for (const m of messages) {
    const status = edits.status.get(m.id);
    const chain = edits.under.get(m.id) ?? [];
    if (!status && !chain.length) continue;
    const end = after(m.endLine);
    if (status && m.hasStatusLine) {
      // The status line's text replaced, its line end kept.
      const from = after(m.endLine - 1);
      const nl = end > from && fileText[end - 1] === '\n' ? end - 1 : -1;
      const to = nl < 0 ? fileText.length : nl > from && fileText[nl - 1] === '\r' ? nl - 1 : nl;
      out.push(fileText.slice(pos, from), renderStatus(status), fileText.slice(to, end));
    } else out.push(fileText.slice(pos, end));
    pos = end;
    // An unterminated last line gets its line end before anything follows it.
    const added = status && !m.hasStatusLine;
    if (fileText[end - 1] !== '\n' && (added || chain.length)) out.push(eol);
    if (added) out.push(renderStatus(status) + eol);
    if (!chain.length) continue;
    for (const b of chain) out.push(eol + block(b)); // no spread: 100k+ arguments overflow the stack
    // One blank line between the last block put here and text that follows at once.
    const following = lines[m.endLine];
    if (following !== undefined && !isBlank(following)) out.push(eol);
  }
  out.push(fileText.slice(pos));
  return out.join('');
}

/** The file without the blocks `ms` (parsed from it) and the blank lines right under each; other bytes untouched. */
export function withoutBlocks(fileText: string, ms: ParsedMessage[]): string {
  if (!ms.length) return fileText;
  const starts = [0];
  for (let i = fileText.indexOf('\n'); i >= 0; i = fileText.indexOf('\n', i + 1)) starts.push(i + 1);
  const after = (n: number) => (n < starts.length ? starts[n] : fileText.length);
  const lines = splitLines(fileText);
  const out: string[] = [];
  let pos = 0;
  for (const m of [...ms].sort((a, b) => a.startLine - b.startLine)) {
    out.push(fileText.slice(pos, after(m.startLine - 1)));
    let end = m.endLine;
    while (end < lines.length && isBlank(lines[end])) end++;
    pos = after(end);
  }
  out.push(fileText.slice(pos));
  return out.join('');
}
