// `cgi-shim init`: writes a starter project (the files of starter/ and a package.json depending on
// this package) that works with `npm install && npx cgi-shim build && npx cgi-shim serve`.

import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseCommand } from './args.js';
import { ownPackage } from '../base/own-package.js';

const USAGE = `usage: cgi-shim init [FOLDER]

Writes a starter project into FOLDER (default: the current folder; made if missing):
package.json (depending on node-cgi-shim), tsconfig.json, cgi-bin/hello.ts (a form),
cgi-bin/counter.ts (a session), cgi-bin/index.ts, .gitignore, README.md and an empty sessions/.
Never overwrites a file: it stops, changing nothing, if any of them exists.

options:
  -h, --help   show this help
`;

const SPEC = { name: 'init', usage: USAGE, options: {}, positionals: [0, 1] } as const;

/** starter/'s files, and the name each is written under (npm leaves out files named .gitignore). */
const STARTER_FILES: ReadonlyArray<[from: string, to: string]> = [
  ['README.md', 'README.md'],
  ['tsconfig.json', 'tsconfig.json'],
  ['gitignore', '.gitignore'],
  ['cgi-bin/index.ts', 'cgi-bin/index.ts'],
  ['cgi-bin/hello.ts', 'cgi-bin/hello.ts'],
  ['cgi-bin/counter.ts', 'cgi-bin/counter.ts'],
];

/** Runs `cgi-shim init`; resolves with the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(SPEC, args);
  if (typeof parsed === 'number') return parsed;
  const folder = resolve(parsed.positionals[0] ?? '.');
  const own = ownPackage();
  const targets = ['package.json', ...STARTER_FILES.map(([, to]) => to)];
  const existing = [];
  for (const target of targets) if (await stat(join(folder, target)).catch(() => undefined)) existing.push(target);
  if (existing.length > 0) {
    process.stderr.write(`cgi-shim init: ${folder} already has ${existing.join(', ')}; nothing was written\n`);
    return 1;
  }
  await mkdir(join(folder, 'cgi-bin'), { recursive: true });
  await writeFile(join(folder, 'package.json'), `${JSON.stringify(starterManifest(basename(folder), own), null, 2)}\n`, { flag: 'wx' });
  for (const [from, to] of STARTER_FILES) {
    await mkdir(dirname(join(folder, to)), { recursive: true });
    await copyFile(join(own.root, 'starter', from), join(folder, to));
  }
  // Sessions of the scripts built into dist/cgi-bin go here (see docs/sessions.md).
  await mkdir(join(folder, 'sessions'), { recursive: true, mode: 0o700 });
  const cd = relative('.', folder);
  process.stdout.write(`cgi-shim init: wrote a starter project in ${folder}. Next:\n` +
    `${cd === '' ? '' : `  cd ${cd}\n`}  npm install\n  npx cgi-shim build\n  npx cgi-shim serve\n`);
  return 0;
}

/** The starter's package.json: this package as a dependency, TypeScript and Node's types as
 * development dependencies, in the versions this package is developed with. */
function starterManifest(folderName: string, own: ReturnType<typeof ownPackage>): object {
  const name = folderName.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '') || 'cgi-scripts';
  return {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      build: 'cgi-shim build',
      // exec: killing `npm start` then stops the server itself, not only the shell around it.
      start: 'cgi-shim build && exec cgi-shim serve',
      typecheck: 'tsc --noEmit',
    },
    dependencies: { [own.name]: `^${own.version}` },
    devDependencies: {
      '@types/node': own.devDependencies['@types/node'] ?? '*',
      typescript: own.devDependencies.typescript ?? '*',
    },
  };
}
