// A team's commitlint and coord's `[sX]` prefix: commitlint's header parser expects `type(scope): subject`
// at the start, so coord gives it a parser preset whose header pattern skips the prefix (built here from
// the session-id rule, the one place it lives) and names it in the team's config: in the config formats
// coord can edit safely (JSON, a block-style YAML map), else refused with the line to add.
import { SESSION_ID_PATTERN } from './ids.js';
import { COMMITLINT_PRESET_PATH } from './layout.js';

/** How the team's config names coord's preset: relative to the config, which sits at the repository's top. */
export const PRESET_REF = `./${COMMITLINT_PRESET_PATH}`;

/**
 * The config files commitlint looks for at the top of a repository, in the order its loader (cosmiconfig)
 * tries them; the first that exists wins (package.json only when it has a `commitlint` key).
 */
export const COMMITLINT_CONFIGS = [
  'package.json',
  '.commitlintrc',
  '.commitlintrc.json',
  '.commitlintrc.yaml',
  '.commitlintrc.yml',
  '.commitlintrc.js',
  '.commitlintrc.cjs',
  '.commitlintrc.mjs',
  'commitlint.config.js',
  'commitlint.config.cjs',
  'commitlint.config.mjs',
  '.commitlintrc.ts',
  '.commitlintrc.cts',
  '.commitlintrc.mts',
  'commitlint.config.ts',
  'commitlint.config.cts',
  'commitlint.config.mts',
];

/** The commitlint config that commitlint loads at the repository's top, or null when there is none. */
export function commitlintConfig(exists: (rel: string) => boolean, read: (rel: string) => string): string | null {
  for (const file of COMMITLINT_CONFIGS) {
    if (!exists(file)) continue;
    if (file !== 'package.json') return file;
    try {
      const pkg = JSON.parse(read(file)) as unknown;
      if (isObject(pkg) && 'commitlint' in pkg) return file;
    } catch {
      /* a package.json that does not parse holds no commitlint config coord can see */
    }
  }
  return null;
}

const PREFIX = `(?:\\[${SESSION_ID_PATTERN}\\] )?`;
/** conventional-changelog-conventionalcommits' header, after an optional session prefix and its one space. */
export const HEADER_PATTERN = new RegExp(`^${PREFIX}(\\w*)(?:\\((.*)\\))?!?: (.*)$`);
const BREAKING_HEADER_PATTERN = new RegExp(`^${PREFIX}(\\w*)(?:\\((.*)\\))?!: (.*)$`);

/**
 * coord's parser preset: conventional-changelog-conventionalcommits' parser options with the header
 * patterns taking an optional `[sX] ` first, so every rule (type-enum, type-case, subject-case, …)
 * judges the rest of the subject as before. A config's parserPreset replaces the one it extends.
 */
export function commitlintPresetScript(): string {
  return `// coord's commitlint parser preset, written by 'coord init' from coord's session-id rule: do not edit
// (run 'coord init' again). It is conventional commits' parser with an optional leading '[sX] ' (a coord
// session's prefix) skipped, so every commitlint rule still applies to the rest of the subject.
'use strict';
module.exports = {
  parserOpts: {
    headerPattern: ${HEADER_PATTERN.toString()},
    breakingHeaderPattern: ${BREAKING_HEADER_PATTERN.toString()},
    headerCorrespondence: ['type', 'scope', 'subject'],
    noteKeywords: ['BREAKING CHANGE', 'BREAKING-CHANGE'],
    revertPattern: /^(?:Revert|revert:)\\s"?([\\s\\S]+?)"?\\s*This reverts commit (\\w*)\\./i,
    revertCorrespondence: ['header', 'hash'],
    issuePrefixes: ['#'],
  },
};
`;
}

type Format = 'json' | 'package' | 'yaml' | 'code';

/** A config in JavaScript or TypeScript, which coord never edits. */
export const configInCode = (file: string): boolean => /\.[cm]?[jt]s$/.test(file);

function formatOf(file: string, text: string): Format {
  if (file === 'package.json') return 'package';
  if (file.endsWith('.json')) return 'json';
  if (/\.ya?ml$/.test(file)) return 'yaml';
  if (configInCode(file)) return 'code';
  return text.trimStart().startsWith('{') ? 'json' : 'yaml'; // .commitlintrc: JSON or YAML
}

/** The line to add to the config, in its own format. */
export function presetLine(file: string, text: string): string {
  const format = formatOf(file, text);
  if (format === 'yaml') return `parserPreset: ${PRESET_REF}`;
  if (format === 'code') return `parserPreset: '${PRESET_REF}',`;
  return `"parserPreset": "${PRESET_REF}"`;
}

/** Where that line goes, for the refusal. */
export function presetWhere(file: string, text: string): string {
  const format = formatOf(file, text);
  if (format === 'code') return `to the object ${file} exports`;
  if (format === 'package') return `to the "commitlint" object of ${file}`;
  return `to ${file} (top level)`;
}

export type CommitlintMerge = { text: string; changed: boolean } | { refused: string };

/** `text` (the config `file`) naming coord's preset, unchanged when it already does, or why coord will not edit it. */
export function mergeCommitlint(file: string, text: string): CommitlintMerge {
  const format = formatOf(file, text);
  // In code, any mention of the preset's path counts as naming it: coord cannot evaluate the config.
  if (format === 'code')
    return text.includes(COMMITLINT_PRESET_PATH) ? { text, changed: false } : { refused: `${file} is code, which coord does not edit` };
  if (format === 'yaml') return mergeYaml(file, text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { refused: `${file} does not parse as JSON (${(e as Error).message})` };
  }
  const cfg = format === 'package' && isObject(parsed) ? parsed.commitlint : parsed;
  const where = format === 'package' ? `its "commitlint" value` : file;
  if (!isObject(cfg)) return { refused: `${where} is not an object` };
  if (cfg.parserPreset === PRESET_REF) return { text, changed: false };
  if (cfg.parserPreset !== undefined) return { refused: ownPreset(cfg.parserPreset) };
  // The one line goes in as text, so the file keeps its own layout; the result must parse to exactly what was meant.
  const at = objectStart(text, format === 'package' ? 'commitlint' : null);
  if (at < 0) return { refused: `coord could not find where ${where}'s object starts` };
  const entry = `"parserPreset": ${JSON.stringify(PRESET_REF)}`;
  const rest = text.slice(at + 1);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const nextLine = /^[ \t]*\r?\n([ \t]*)(.)/.exec(rest);
  const empty = /^\s*\}/.test(rest);
  const insert = empty ? ` ${entry} ` : nextLine ? `${eol}${nextLine[1]}${entry},` : ` ${entry},`;
  const out = text.slice(0, at + 1) + insert + (empty ? rest.replace(/^\s*/, '') : rest);
  const meant =
    format === 'package'
      ? { ...(parsed as object), commitlint: { parserPreset: PRESET_REF, ...cfg } }
      : { parserPreset: PRESET_REF, ...cfg };
  let got: unknown;
  try {
    got = JSON.parse(out);
  } catch {
    got = undefined;
  }
  if (JSON.stringify(got) !== JSON.stringify(meant))
    return { refused: `coord could not add a line to ${where} and keep the rest as it is` };
  return { text: out, changed: true };
}

/** The index of the `{` that opens the top-level object (key null) or the object under one of its keys; -1 when not found. */
function objectStart(text: string, key: string | null): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      if (end < 0) return -1;
      if (key !== null && depth === 1 && JSON.parse(text.slice(i, end + 1)) === key) {
        const m = /^\s*:\s*\{/.exec(text.slice(end + 1));
        if (m) return end + m[0].length;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      if (depth === 0 && key === null) return c === '{' ? i : -1;
      depth++;
    } else if (c === '}' || c === ']') depth--;
  }
  return -1;
}

/** The index of the quote that closes the JSON string opening at `start`. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

function mergeYaml(file: string, text: string): CommitlintMerge {
  const lines = text.split(/\r?\n/);
  const at = lines.findIndex((l) => /^["']?parserPreset["']?\s*:/.test(l));
  if (at >= 0) {
    const value = lines[at]
      .replace(/^[^:]*:/, '')
      .replace(/\s+#.*$/, '')
      .trim()
      .replace(/^(["'])(.*)\1$/, '$2');
    return value === PRESET_REF ? { text, changed: false } : { refused: ownPreset(value || lines[at].trim()) };
  }
  const first = lines.find((l) => l.trim() && !l.trim().startsWith('#'));
  // Only a block-style map at the top level gets a line appended; flow style, documents and anchors are refused.
  if (!first || !/^[A-Za-z_"'][^:]*:(\s|$)/.test(first) || lines.some((l) => /^(---|\.\.\.)\s*$/.test(l)))
    return { refused: `${file} is not a plain block-style YAML map coord can add a line to` };
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const body = text === '' || /\n$/.test(text) ? text : text + eol;
  return { text: `${body}parserPreset: ${PRESET_REF}${eol}`, changed: true };
}

const ownPreset = (value: unknown) =>
  `it names its own parserPreset (${JSON.stringify(value).slice(0, 60)}): replace it with coord's, or make its ` +
  `headerPattern accept an optional leading '[sX] ' as ${COMMITLINT_PRESET_PATH} does`;

/** Whether the config names coord's preset (doctor's static check). */
export function usesCoordPreset(file: string, text: string): boolean {
  const merged = mergeCommitlint(file, text);
  return 'changed' in merged && !merged.changed;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
