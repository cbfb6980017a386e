// Which files of a project a build takes: the scripts (one built file each), the shared modules
// they import (bundled into them, never built alone), and the data files deployed beside them.
// And the Node the built scripts will run with, checked before anything is written.

import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join } from 'node:path';
import { CgiError } from '../base/errors.js';
import { scriptName, type ScriptEntry } from './bundle.js';

/** The extensions of a script's source. */
export const SCRIPT_EXTENSIONS: readonly string[] = ['.ts', '.mts', '.js', '.mjs'];

/** The extensions of the data files copied beside the built scripts by default. */
export const DATA_EXTENSIONS: readonly string[] = ['.txt', '.json', '.csv'];

/** Files a folder may hold that are the project's own settings, never data to deploy. */
const NOT_DATA = new Set(['package.json', 'package-lock.json', 'tsconfig.json', 'jsconfig.json']);

/** What a build takes from its inputs. */
export interface Sources {
  scripts: ScriptEntry[];
  /** Data files, each copied under its own name. */
  data: string[];
}

/**
 * The sources in `inputs` (files and folders). A folder gives its own files (not its subfolders):
 * each script whose name does not start with `_` (those are modules the scripts share), and each
 * data file (an extension in `dataExtensions`; not a dotfile, nor package.json or tsconfig.json).
 * A file named on its own is built or copied whatever its name. Throws CgiError `EBUILDINPUT`
 * for an input that does not exist or is neither, for two scripts of the same name, or when
 * there is no script at all.
 */
export async function findSources(inputs: readonly string[], dataExtensions: readonly string[] = DATA_EXTENSIONS): Promise<Sources> {
  const scripts: ScriptEntry[] = [];
  const data: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    if (info === undefined) throw new CgiError('EBUILDINPUT', `${input}: no such file or folder`);
    if (info.isDirectory()) {
      for (const entry of (await readdir(input, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
        if (!entry.isFile() || entry.name.startsWith('.')) continue;
        const file = join(input, entry.name);
        if (isScript(entry.name) && !entry.name.startsWith('_')) scripts.push({ name: scriptName(file), file });
        else if (dataExtensions.includes(extname(entry.name)) && !NOT_DATA.has(entry.name)) data.push(file);
      }
    } else if (isScript(input)) {
      scripts.push({ name: scriptName(input), file: input });
    } else if (dataExtensions.includes(extname(input))) {
      data.push(input);
    } else {
      throw new CgiError('EBUILDINPUT', `${input}: neither a script (${SCRIPT_EXTENSIONS.join(', ')}) nor a data file (${dataExtensions.join(', ') || 'none'})`);
    }
  }
  if (scripts.length === 0) {
    throw new CgiError('EBUILDINPUT', `no scripts in ${inputs.join(', ')}: a script is a ${SCRIPT_EXTENSIONS.join(', ')} file whose name does not start with _`);
  }
  checkUnique(scripts.map((script) => [`${script.name}.cgi`, script.file]), 'built');
  checkUnique(data.map((file) => [basename(file), file]), 'copied');
  return { scripts, data };
}

/** Why a Node cannot be a built script's interpreter. */
export interface NodeProblem {
  reason: string;
  /** Whether another machine may still have it: missing or not executable here. */
  local: boolean;
}

/**
 * Why `node` cannot be a built script's interpreter on this machine, or undefined if it can: it
 * must be an absolute path without spaces (a shebang cannot quote), to an executable file.
 */
export async function checkNode(node: string): Promise<NodeProblem | undefined> {
  if (!isAbsolute(node)) return { reason: `${node} is not an absolute path (web servers run scripts with a minimal PATH)`, local: false };
  if (/\s/.test(node)) return { reason: `${node} holds a space, which a shebang line cannot quote`, local: false };
  const info = await stat(node).catch(() => undefined);
  if (info === undefined) return { reason: `${node} does not exist`, local: true };
  if (!info.isFile()) return { reason: `${node} is not a file`, local: true };
  const executable = await access(node, constants.X_OK).then(() => true, () => false);
  return executable ? undefined : { reason: `${node} is not executable`, local: true };
}

function isScript(file: string): boolean {
  return SCRIPT_EXTENSIONS.includes(extname(file)) && !/\.d\.m?ts$/.test(file);
}

function checkUnique(pairs: ReadonlyArray<[string, string]>, verb: string): void {
  const seen = new Map<string, string>();
  for (const [name, file] of pairs) {
    const other = seen.get(name);
    if (other !== undefined) throw new CgiError('EBUILDINPUT', `${other} and ${file} would both be ${verb} as ${name}`);
    seen.set(name, file);
  }
}
