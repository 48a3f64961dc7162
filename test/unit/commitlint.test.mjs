// coord's commitlint rules (protocol/commitlint.ts): which config commitlint loads, the header pattern
// that skips the [sX] prefix, and the one line added to a config in each format it edits, or refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSource } from './load.mjs';

const C = await loadSource('protocol/commitlint.ts');
const REF = './infrastructure/scripts/coord-commitlint-preset.cjs';

test('the header pattern skips one session prefix and nothing else', () => {
  const parse = (s) => C.HEADER_PATTERN.exec(s)?.slice(1) ?? null;
  assert.deepEqual(parse('[sA] feat(api): x'), ['feat', 'api', 'x']);
  assert.deepEqual(parse('[sABC] fix: y'), ['fix', undefined, 'y']);
  assert.deepEqual(parse('feat: x'), ['feat', undefined, 'x']);
  assert.deepEqual(parse('[sA] feat!: drop'), ['feat', undefined, 'drop']);
  assert.equal(parse('[sA] bad subject'), null);
  assert.equal(parse('[sA]feat: x'), null); // the prefix takes its one space
  assert.equal(parse('[sABCD] feat: x'), null); // not a session id
  assert.equal(parse('[sa] feat: x'), null);
});

test('the preset file states the same pattern', () => {
  assert.ok(C.commitlintPresetScript().includes(`headerPattern: ${C.HEADER_PATTERN.toString()},`));
});

test('commitlintConfig: the first spelling commitlint loads; package.json only with a commitlint key', () => {
  const files = (o) => [(rel) => rel in o, (rel) => o[rel]];
  assert.equal(C.commitlintConfig(...files({})), null);
  assert.equal(C.commitlintConfig(...files({ 'package.json': '{"name":"x"}' })), null);
  assert.equal(C.commitlintConfig(...files({ 'package.json': '{"commitlint":{}}', '.commitlintrc.json': '{}' })), 'package.json');
  assert.equal(C.commitlintConfig(...files({ 'package.json': '{', 'commitlint.config.mjs': '' })), 'commitlint.config.mjs');
  assert.equal(C.commitlintConfig(...files({ '.commitlintrc.yml': '', 'commitlint.config.js': '' })), '.commitlintrc.yml');
});

const merged = (file, text) => {
  const m = C.mergeCommitlint(file, text);
  assert.ok('text' in m, `refused: ${m.refused}`);
  return m.text;
};

test('JSON configs get one line, in their own layout', () => {
  assert.equal(
    merged('.commitlintrc.json', '{\n  "extends": ["@commitlint/config-conventional"]\n}\n'),
    `{\n  "parserPreset": "${REF}",\n  "extends": ["@commitlint/config-conventional"]\n}\n`,
  );
  assert.equal(
    merged('.commitlintrc.json', '{ "extends": ["@commitlint/config-conventional"] }'),
    `{ "parserPreset": "${REF}", "extends": ["@commitlint/config-conventional"] }`,
  );
  assert.equal(merged('.commitlintrc', '{}\r\n'), `{ "parserPreset": "${REF}" }\r\n`);
  const pkg = '{\n  "name": "app",\n  "scripts": { "x": "{ \\"commitlint\\": {" },\n  "commitlint": {\n    "extends": ["x"]\n  }\n}\n';
  const out = merged('package.json', pkg);
  assert.deepEqual(JSON.parse(out).commitlint, { parserPreset: REF, extends: ['x'] });
  assert.equal(out.replace(`\n    "parserPreset": "${REF}",`, ''), pkg);
  const again = C.mergeCommitlint('package.json', out);
  assert.deepEqual(again, { text: out, changed: false });
});

test('YAML configs get one line appended; forms coord will not edit are refused', () => {
  assert.equal(
    merged('.commitlintrc.yml', 'extends:\n  - "@commitlint/config-conventional"'),
    `extends:\n  - "@commitlint/config-conventional"\nparserPreset: ${REF}\n`,
  );
  assert.equal(merged('.commitlintrc', '# ours\nextends: [x]\n'), `# ours\nextends: [x]\nparserPreset: ${REF}\n`);
  assert.deepEqual(C.mergeCommitlint('.commitlintrc.yaml', `parserPreset: '${REF}'\n`), {
    text: `parserPreset: '${REF}'\n`,
    changed: false,
  });
  const refused = (file, text, why) => assert.match(C.mergeCommitlint(file, text).refused ?? '(merged)', why);
  refused('.commitlintrc.yaml', '{extends: [x]}\n', /block-style/);
  refused('.commitlintrc.yml', '---\nextends: [x]\n', /block-style/);
  refused('.commitlintrc.yml', 'parserPreset: ./mine.cjs\n', /its own parserPreset/);
  refused('.commitlintrc.json', '{"parserPreset": "conventional-changelog-atom"}', /its own parserPreset/);
  refused('package.json', '{"commitlint": "x"}', /not an object/);
  refused('.commitlintrc.json', '{"extends": [x]}', /does not parse/);
  refused('commitlint.config.mjs', 'export default {}', /is code/);
  refused('.commitlintrc.ts', 'export default {}', /is code/);
});

test('the line to add names the preset in the config format', () => {
  assert.equal(C.presetLine('commitlint.config.mjs', ''), `parserPreset: '${REF}',`);
  assert.equal(C.presetLine('.commitlintrc.yml', ''), `parserPreset: ${REF}`);
  assert.equal(C.presetLine('package.json', '{}'), `"parserPreset": "${REF}"`);
  assert.equal(C.usesCoordPreset('commitlint.config.mjs', `export default { parserPreset: '${REF}' }`), true);
  assert.equal(C.usesCoordPreset('.commitlintrc.json', '{"extends": []}'), false);
});
