// Which files a build takes from a folder, and which Node it accepts.
import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CgiError } from '../../src/base/errors.js';
import { checkNode, findSources } from '../../src/build/sources.js';
import { tempDir } from '../helpers/temp-dir.js';

test('findSources takes a folder\'s scripts and data, not its shared modules, types, dotfiles, settings or subfolders', async (t) => {
  const dir = await tempDir();
  for (const name of ['a.ts', 'b.mts', 'c.js', 'd.mjs', '_shared.ts', 'types.d.ts', '.hidden.ts', 'x.txt', 'y.json', 'z.csv',
    '.secret.txt', 'package.json', 'tsconfig.json', 'readme.md']) await writeFile(join(dir, name), '');
  await mkdir(join(dir, 'lib'));
  await writeFile(join(dir, 'lib', 'deep.ts'), '');
  const sources = await findSources([dir]);
  t.deepEqual(sources.scripts.map((s) => s.name), ['a', 'b', 'c', 'd']);
  t.deepEqual(sources.data.map((file) => file.slice(dir.length + 1)), ['x.txt', 'y.json', 'z.csv']);
});

test('findSources builds a file named on its own, even a shared one, and copies data named on its own', async (t) => {
  const dir = await tempDir();
  await writeFile(join(dir, '_tool.ts'), '');
  await writeFile(join(dir, 'notes.md'), '');
  const sources = await findSources([join(dir, '_tool.ts'), join(dir, 'notes.md')], ['.md']);
  t.deepEqual(sources.scripts, [{ name: '_tool', file: join(dir, '_tool.ts') }]);
  t.deepEqual(sources.data, [join(dir, 'notes.md')]);
  const error = await t.throwsAsync(findSources([join(dir, 'notes.md'), join(dir, '_tool.ts')], []), { instanceOf: CgiError });
  t.is(error?.code, 'EBUILDINPUT');
  t.regex(error?.message ?? '', /notes\.md: neither a script \(\.ts, \.mts, \.js, \.mjs\) nor a data file \(none\)/);
});

test('checkNode accepts this Node and says what is wrong with others', async (t) => {
  t.is(await checkNode(process.execPath), undefined);
  t.deepEqual(await checkNode('/no/such/node'), { reason: '/no/such/node does not exist', local: true });
  t.deepEqual(await checkNode('/usr/bin'), { reason: '/usr/bin is not a file', local: true });
  t.false((await checkNode('node'))?.local);
  t.false((await checkNode('/opt/my node/bin/node'))?.local);
});
