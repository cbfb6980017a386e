// This package's own package.json and folder, found from wherever the tool runs: the sources
// (src/), the compiled package (dist/lib/), or a project's node_modules.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the tool needs of its package.json. */
export interface OwnPackage {
  /** The package's folder. */
  root: string;
  name: string;
  version: string;
  devDependencies: Readonly<Record<string, string>>;
}

const NAME = 'node-cgi-shim';

let found: OwnPackage | undefined;

/** This package's package.json, from the nearest folder above this module that holds it. */
export function ownPackage(): OwnPackage {
  if (found !== undefined) return found;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const manifest = readManifest(join(dir, 'package.json'));
    if (manifest?.name === NAME && typeof manifest.version === 'string') {
      found = { root: dir, name: NAME, version: manifest.version, devDependencies: manifest.devDependencies ?? {} };
      return found;
    }
    if (dirname(dir) === dir) throw new Error(`cannot find the package.json of ${NAME} above ${fileURLToPath(import.meta.url)}`);
  }
}

function readManifest(file: string): { name?: unknown; version?: unknown; devDependencies?: Record<string, string> } | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown; devDependencies?: Record<string, string> };
  } catch {
    return undefined;
  }
}
