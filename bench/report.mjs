// Printing a benchmark report: aligned text for a terminal, or markdown for
// docs/benchmarks.md (`node bench/report.mjs results.json` re-renders a saved --json run).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const fmtMs = (v) => (v == null ? '—' : v >= 1000 ? v.toFixed(0) : v >= 100 ? v.toFixed(1) : v.toFixed(2));
const fmtRatio = (r) => (r == null ? '' : `${r.toFixed(2)}×`);

function rowCells(r) {
  const vs = r.ratioTo
    ? r.ratioTo + (r.also?.ratio != null ? ` (${fmtRatio(r.also.ratio)} ${r.also.to})` : '')
    : r.baseline
      ? 'baseline'
      : '';
  const gitCell = r.git ? `${r.git.top} / ${r.git.all}` : '?';
  if (r.failed) return [r.label, 'FAILED', '', '', r.failed, gitCell, ''];
  return [r.label, fmtMs(r.median), fmtMs(r.p90), fmtRatio(r.ratio), vs, gitCell, String(r.n)];
}

const HEAD = ['variant', 'median ms', 'p90 ms', 'ratio', 'ratio of medians against', 'git procs (direct / all)', 'runs'];
const BUNDLE_HEAD = ['file', 'size', 'gzip -9', 'lines'];
const bundleCells = (r) => [r.label, `${r.kib.toFixed(1)} KiB (${r.bytes} bytes)`, `${r.gzipKib.toFixed(1)} KiB`, String(r.lines)];

const CONTENTION_HEAD = [
  'writers',
  'push',
  'from',
  'wall ms',
  'serial ms',
  'wall / serial',
  'attempts',
  'per change',
  'max by one',
  'all landed',
];
const contentionCells = (r) => [
  String(r.writers),
  `${r.delayS} s`,
  r.layout === 'clones' ? `${r.writers} clones` : r.layout,
  r.wallMs.toFixed(0),
  r.serialMs.toFixed(0),
  r.layout === 'serial' ? 'baseline' : fmtRatio(r.ratio),
  String(r.attempts),
  r.perChange.toFixed(2),
  r.maxAttempts ?? '—',
  r.landed ? 'yes' : `NO${r.failed ? ` (${r.failed} failed)` : ''}`,
];

const budgetCells = (b) => [
  b.what,
  b.value == null ? '—' : b.unit === '×' ? fmtRatio(b.value) : b.unit === 'KiB' ? `${b.value.toFixed(1)} KiB` : String(b.value),
  `${b.strict ? '<' : '≤'} ${b.unit === '×' ? fmtRatio(b.limit) : b.unit === 'KiB' ? `${b.limit} KiB` : b.limit}`,
  b.pass == null ? 'n/a' : b.pass ? 'PASS' : 'OVER',
];

function textTable(head, rows) {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? '').length)));
  const line = (cells) =>
    cells
      .map((c, i) => String(c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function mdTable(head, rows) {
  const esc = (s) => String(s ?? '').replace(/\|/g, '\\|');
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join(
    '\n',
  );
}

export function render(report, markdown) {
  const table = markdown ? mdTable : textTable;
  const out = [];
  const m = report.machine;
  const li = markdown ? '- ' : '';
  out.push(`${li}coord benchmarks — ${report.quick ? 'QUICK (smoke test: small fixtures, few runs)' : 'full run'}, ${m.date}`);
  out.push(`${li}machine: ${m.nproc} cores, ${m.cpu}, ${m.memGiB} GiB, ${m.os}; node ${m.node}, ${m.deno ?? 'no deno'}, ${m.git}`);
  if (report.keptNodeEnv.length)
    out.push(
      `${li}env: ${report.keptNodeEnv.join(', ')} KEPT in the measured processes (--keep-node-env): node's start-up, the floor, is slower`,
    );
  else if (report.droppedEnv.length)
    out.push(`${li}env: ${report.droppedEnv.join(', ')} dropped from the measured processes (--keep-node-env keeps them)`);
  for (const c of report.cases) {
    out.push('', markdown ? `#### ${c.title}` : `== ${c.title}`);
    if (c.setup) out.push(markdown ? `_${c.setup}_` : `   ${c.setup}`);
    if (c.error) {
      out.push(`   ERROR: ${c.error}`);
      continue;
    }
    if (c.id === 'bundle') out.push('', table(BUNDLE_HEAD, c.rows.map(bundleCells)));
    else if (c.id === 'contention') out.push('', table(CONTENTION_HEAD, c.rows.map(contentionCells)));
    else if (c.rows.length) out.push('', table(HEAD, c.rows.map(rowCells)));
    for (const r of c.rows) {
      if (r.git?.commands?.length && r.label.includes('coord'))
        out.push(`${markdown ? '- ' : '   '}git run by ${r.label}: ${r.git.commands.join(', ')}`);
    }
    for (const n of c.notes) out.push(markdown ? `- ${n}` : `   note: ${n}`);
  }
  const budgets = report.cases.flatMap((c) => c.budgets ?? []);
  out.push(
    '',
    markdown ? '#### Budgets' : '== Budgets (medians, ratios in this run)',
    '',
    table(['budget', 'result', 'limit', 'verdict'], budgets.map(budgetCells)),
  );
  out.push(
    '',
    `${budgets.filter((b) => b.pass === false).length} of ${budgets.length} budgets OVER; ${report.seconds.toFixed(0)} s in all.`,
  );
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === fs.realpathSync(process.argv[1])) {
  const [file, flag] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node bench/report.mjs RESULTS.json [--text]');
    process.exit(2);
  }
  console.log(render(JSON.parse(fs.readFileSync(file, 'utf8')), flag !== '--text'));
}
