import test from 'ava';
import { chmod, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findScript, splitScriptPath } from '../../src/host/script-path.js';

test('splitScriptPath decodes each segment', (t) => {
  t.deepEqual(splitScriptPath('/cgi-bin/a.cgi/x%20y/z'), { segments: ['a.cgi', 'x y', 'z'] });
});

test('splitScriptPath refuses paths outside /cgi-bin/ with 404', (t) => {
  t.like(splitScriptPath('/etc/passwd'), { status: 404 });
  t.like(splitScriptPath('/cgi-binx/a.cgi'), { status: 404 });
});

for (const path of ['/cgi-bin/../x', '/cgi-bin/%2e%2e/x', '/cgi-bin/%2E%2e/x', '/cgi-bin/a.cgi/../../x', '/cgi-bin/./a.cgi', '/cgi-bin/.%2e/x']) {
  test(`splitScriptPath refuses the dot segment in ${path} with 400`, (t) => {
    t.like(splitScriptPath(path), { status: 400 });
  });
}

test('splitScriptPath refuses NUL with 400', (t) => {
  t.like(splitScriptPath('/cgi-bin/a.cgi%00.txt'), { status: 400 });
});

test('splitScriptPath refuses a malformed escape with 400', (t) => {
  t.like(splitScriptPath('/cgi-bin/a%zz.cgi'), { status: 400 });
});

test('splitScriptPath refuses an encoded slash with 404', (t) => {
  t.like(splitScriptPath('/cgi-bin/..%2fetc/passwd'), { status: 404 });
  t.like(splitScriptPath('/cgi-bin/a%2Fb.cgi'), { status: 404 });
});

async function folder(t: import('ava').ExecutionContext) {
  const base = await realpath(await mkdtemp(join(tmpdir(), 'cgi-path-')));
  t.teardown(() => rm(base, { recursive: true, force: true }));
  const root = join(base, 'cgi-bin');
  await mkdir(join(root, 'sub'), { recursive: true });
  for (const file of [join(root, 'a.cgi'), join(root, 'sub', 'b.cgi'), join(base, 'outside.cgi')]) {
    await writeFile(file, '#!/bin/sh\n');
    await chmod(file, 0o755);
  }
  await writeFile(join(root, 'plain.txt'), 'x');
  return { base, root };
}

test('findScript finds a script and splits off the path info', async (t) => {
  const { root } = await folder(t);
  t.deepEqual(await findScript(root, ['a.cgi', 'x', 'y']), {
    scriptName: '/cgi-bin/a.cgi', scriptFilename: join(root, 'a.cgi'), realFilename: join(root, 'a.cgi'), pathInfo: '/x/y',
  });
});

test('findScript walks into subfolders', async (t) => {
  const { root } = await folder(t);
  t.like(await findScript(root, ['sub', 'b.cgi']), { scriptName: '/cgi-bin/sub/b.cgi', pathInfo: '' });
});

test('findScript refuses a non-executable file with 403', async (t) => {
  const { root } = await folder(t);
  t.like(await findScript(root, ['plain.txt']), { status: 403 });
});

test('findScript refuses a missing file or a folder with 404', async (t) => {
  const { root } = await folder(t);
  t.like(await findScript(root, ['missing.cgi']), { status: 404 });
  t.like(await findScript(root, ['sub']), { status: 404 });
  t.like(await findScript(root, ['']), { status: 404 });
});

test('findScript refuses a symlink leading outside the folder, file or folder, with 404', async (t) => {
  const { base, root } = await folder(t);
  await symlink(join(base, 'outside.cgi'), join(root, 'link.cgi'));
  await symlink(base, join(root, 'up'));
  t.like(await findScript(root, ['link.cgi']), { status: 404 });
  t.like(await findScript(root, ['up', 'outside.cgi']), { status: 404 });
});

test('findScript follows a symlink that stays inside the folder', async (t) => {
  const { root } = await folder(t);
  await symlink(join(root, 'a.cgi'), join(root, 'alias.cgi'));
  t.like(await findScript(root, ['alias.cgi']), { scriptFilename: join(root, 'alias.cgi'), realFilename: join(root, 'a.cgi') });
});

test('splitScriptPath says why it refuses a path', (t) => {
  const deep = `/cgi-bin/${Array(33).fill('a').join('/')}`;
  t.deepEqual(splitScriptPath('/etc/passwd'), { status: 404, reason: 'not under /cgi-bin/' });
  t.deepEqual(splitScriptPath(deep), { status: 404, reason: 'path too deep' });
  t.true('segments' in splitScriptPath(deep.slice(0, -2)), '32 segments are not too deep');
  t.deepEqual(splitScriptPath('/cgi-bin/a%zz'), { status: 400, reason: 'malformed percent-encoding' });
  t.deepEqual(splitScriptPath('/cgi-bin/a%00'), { status: 400, reason: 'NUL in path' });
  t.deepEqual(splitScriptPath('/cgi-bin/%2e%2e/x'), { status: 400, reason: 'dot segment in path' });
  t.deepEqual(splitScriptPath('/cgi-bin/a%2Fb'), { status: 404, reason: 'encoded slash in path' });
});

test('findScript says why it refuses: an empty segment, no file, a link out, not a regular file, not executable, a folder', async (t) => {
  const { base, root } = await folder(t);
  await symlink(join(base, 'outside.cgi'), join(root, 'link.cgi'));
  execFileSync('mkfifo', ['-m', '755', join(root, 'fifo.cgi')]);
  t.deepEqual(await findScript(root, ['', 'a.cgi']), { status: 404, reason: 'empty path segment' });
  t.deepEqual(await findScript(root, ['missing.cgi']), { status: 404, reason: 'no such file, or a link leading outside the scripts folder' });
  t.deepEqual(await findScript(root, ['link.cgi']), { status: 404, reason: 'no such file, or a link leading outside the scripts folder' });
  t.deepEqual(await findScript(root, ['fifo.cgi']), { status: 404, reason: 'not a regular file' });
  t.deepEqual(await findScript(root, ['plain.txt']), { status: 403, reason: 'not executable' });
  t.deepEqual(await findScript(root, ['sub']), { status: 404, reason: 'a folder, not a script' });
});

test('findScript refuses a link to a sibling folder whose name begins with the scripts folder\'s', async (t) => {
  const { base, root } = await folder(t);
  await mkdir(join(base, 'cgi-bin-other'));
  await writeFile(join(base, 'cgi-bin-other', 'c.cgi'), '#!/bin/sh\n', { mode: 0o755 });
  await symlink(join(base, 'cgi-bin-other'), join(root, 'other'));
  t.like(await findScript(root, ['other', 'c.cgi']), { status: 404 });
  await symlink(root, join(root, 'self')); // A link to the folder itself stays inside.
  t.like(await findScript(root, ['self', 'a.cgi']), { realFilename: join(root, 'a.cgi') });
});
