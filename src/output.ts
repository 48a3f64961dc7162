// Printing: text for people (colour only on a terminal without NO_COLOR), JSON for programs.
import { writeStderr, writeStdout } from './host.js';

const useColor = () => !process.env.NO_COLOR && process.stdout.isTTY === true;
const paint = (code: string) => (s: string) => (useColor() ? `\x1b[${code}m${s}\x1b[0m` : s);
export const bold = paint('1');
export const dim = paint('2');
export const green = paint('32');
export const yellow = paint('33');
export const red = paint('31');

export function out(text: string): void {
  writeStdout(text.endsWith('\n') ? text : text + '\n');
}

export function err(text: string): void {
  writeStderr(text.endsWith('\n') ? text : text + '\n');
}

/** Prints a value as JSON on one line, the stable shape programs read. */
export function json(value: unknown): void {
  writeStdout(JSON.stringify(value) + '\n');
}

/**
 * What a reporting verb returns to the runner: the JSON object programs read (printed with
 * --json), the text for people (printed otherwise), and the exit code (0 unless given).
 */
export interface Report {
  json: unknown;
  text(): void;
  code?: number;
}

/** A Report; see there. */
export const report = (value: unknown, text: () => void, code?: number): Report => ({ json: value, text, code });

/** Lays out rows as aligned columns (ANSI colour codes not counted in widths). */
export function table(head: string[], rows: string[][]): string {
  const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').length;
  const widths = head.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i] - visible(c))))
      .join('  ')
      .trimEnd();
  return [line(head.map((h) => bold(h))), ...rows.map(line)].join('\n');
}
