// `cgi-shim build`: turns a project's scripts into one self-contained executable file each, as
// the demos are built, and copies the data files they read from beside themselves.

import { copyFile, readdir, rm } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import { errorCode, errorMessage } from '../base/errors.js';
import { bundleScripts } from '../build/bundle.js';
import { checkNode, DATA_EXTENSIONS, findSources, SCRIPT_EXTENSIONS } from '../build/sources.js';
import { parseCommand, usageError } from './args.js';

/** Where scripts come from and go to by default: what `cgi-shim serve` serves. */
const DEFAULT_INPUT = 'cgi-bin';
const DEFAULT_OUT = join('dist', 'cgi-bin');

const USAGE = `usage: cgi-shim build [FILES|FOLDERS...] [options]

Builds each script into ONE executable file, <out>/<name>.cgi: the script and everything it
imports (node-cgi-shim included) bundled, a shebang naming Node by absolute path, and V8's code
cache for a fast start. Copy a built file alone into any cgi-bin: it needs no node_modules.

With no FILES or FOLDERS: the scripts in ${DEFAULT_INPUT}/. In a folder, the scripts are its
${SCRIPT_EXTENSIONS.join(', ')} files, except those whose names start with _ (modules the
scripts share); its data files (--data) are copied beside the built scripts. Subfolders are not
searched. Types are not checked: run \`npx tsc --noEmit\` for that.

options:
  --out FOLDER    where the built scripts go (default: ${DEFAULT_OUT})
  --node PATH     the Node the scripts run with, for a build meant for another machine: a
                  warning, not an error, if it is missing here (default: $CGI_NODE, else the
                  Node running this command)
  --data EXTS     extensions of the data files to copy, comma-separated, '' for none
                  (default: ${DATA_EXTENSIONS.join(',')})
  --clean         first remove from the out folder what a build writes there: .cgi files,
                  data files and its package.json
  -h, --help      show this help
`;

const SPEC = {
  name: 'build',
  usage: USAGE,
  options: {
    out: { type: 'string', default: DEFAULT_OUT },
    node: { type: 'string' },
    data: { type: 'string', default: DATA_EXTENSIONS.join(',') },
    clean: { type: 'boolean', default: false },
  },
  positionals: [0, Infinity],
} as const;

/** Runs `cgi-shim build`; resolves with the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(SPEC, args);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const dataExtensions = values.data.split(',').map((ext) => ext.trim()).filter((ext) => ext !== '');
  const badExtension = dataExtensions.find((ext) => !/^\.[A-Za-z0-9]+$/.test(ext));
  if (badExtension !== undefined) return usageError(SPEC.name, `--data takes extensions such as .txt,.json, not "${badExtension}"`);
  const node = await chooseNode(values.node, process.env.CGI_NODE);
  if (node === undefined) return 1;

  let sources;
  try {
    sources = await findSources(parsed.positionals.length > 0 ? parsed.positionals : [DEFAULT_INPUT], dataExtensions);
  } catch (error) {
    if (errorCode(error) !== 'EBUILDINPUT') throw error;
    process.stderr.write(`cgi-shim build: ${errorMessage(error)}\n`);
    return 1;
  }
  if (values.clean) await cleanOut(values.out, dataExtensions);
  const written = await bundleScripts(sources.scripts, values.out, { node });
  await Promise.all(sources.data.map((file) => copyFile(file, join(values.out, basename(file)))));
  const data = sources.data.length === 0 ? '' : `; data: ${sources.data.map((file) => basename(file)).join(', ')}`;
  process.stdout.write(`cgi-shim build: ${written.length} script${written.length === 1 ? '' : 's'} into ${relative('.', values.out) || '.'} ` +
    `(#!${node}): ${written.map((file) => basename(file)).join(', ')}${data}\n`);
  return 0;
}

/**
 * The Node the shebang names: --node, else CGI_NODE, else this Node. One that cannot run here is
 * an error, except from --node, which may name a Node of the server (a warning then). A Node in
 * a home folder gets a warning: the web server's user usually cannot reach it. Undefined after
 * an error, which it has reported.
 */
async function chooseNode(option: string | undefined, fromEnv: string | undefined): Promise<string | undefined> {
  const node = option ?? (fromEnv || process.execPath);
  const problem = await checkNode(node);
  if (problem !== undefined && !(problem.local && option !== undefined)) {
    const source = option !== undefined ? '--node' : fromEnv ? 'CGI_NODE' : 'this Node';
    process.stderr.write(`cgi-shim build: ${source}: ${problem.reason}. Name an installed Node (\`command -v node\` shows one)` +
      `${problem.local ? ', or use --node to build for a Node that exists only on the server' : ''}.\n`);
    return undefined;
  }
  if (problem !== undefined) {
    process.stderr.write(`cgi-shim build: warning: ${problem.reason} here; the scripts will run only where it does\n`);
  } else if (/^\/(root|home)\//.test(node)) {
    process.stderr.write(`cgi-shim build: warning: ${node} is in a home folder, which a web server's user (www-data) usually cannot enter; ` +
      'for a server, install Node system-wide and build with --node /usr/bin/node (or where it is)\n');
  }
  return node;
}

/** Removes what a build writes from `out`: .cgi files, data files, its package.json. */
async function cleanOut(out: string, dataExtensions: readonly string[]): Promise<void> {
  const names = await readdir(out).catch(() => []);
  const ours = names.filter((name) => name === 'package.json' || name.endsWith('.cgi') || dataExtensions.includes(extname(name)));
  await Promise.all(ours.map((name) => rm(join(out, name), { force: true })));
}
