// A copy of this project in a fresh temporary folder, for tests that build or pack it: they must
// not rewrite dist/ under the tests that run beside them. node_modules is linked, not copied.

import { cp, mkdtemp, symlink } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cgi.js';

/** What building and packing read: the sources, the build, and what package.json's `files` ships
 * (the first part of each path; npm adds README.md and package.json itself). */
const PROJECT_FILES = [...new Set([
  'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'bin', 'scripts', 'cgi-bin', 'README.md',
  ...(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] }).files
    .filter((entry) => !entry.startsWith('!')).map((entry) => entry.split('/')[0]!),
])];

/** Copies the project into a fresh folder (without dist/, test/ or bench/); resolves with it. */
export async function copyProject(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cgi-shim-project-'));
  for (const name of PROJECT_FILES) {
    if (existsSync(join(ROOT, name))) await cp(join(ROOT, name), join(dir, name), { recursive: true, filter: (from) => !from.includes('/docs/api') });
  }
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}
