// `cgi-shim build`: turns a project's scripts into one self-contained executable file each, as
// the demos are built, and copies the data files they read from beside themselves.

import { copyFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
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
  -h, --help      show this help
`;

const SPEC = {
  name: 'build',
  usage: USAGE,
  options: {
    out: { type: 'string', default: DEFAULT_OUT },
    node: { type: 'string' },
    data: { type: 'string', default: DATA_EXTENSIONS.join(',') },
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

  const node = values.node ?? (process.env.CGI_NODE || process.execPath);
  const problem = await checkNode(node);
  const source = values.node !== undefined ? '--node' : process.env.CGI_NODE ? 'CGI_NODE' : 'the Node running this command';
  if (problem !== undefined && !(problem.local && values.node !== undefined)) {
    process.stderr.write(`cgi-shim build: ${source}: ${problem.reason}. Name an installed Node (\`command -v node\` shows one)` +
      `${problem.local ? ', or use --node to build for a Node that exists only on the server' : ''}.\n`);
    return 1;
  }
  if (problem !== undefined) {
    process.stderr.write(`cgi-shim build: warning: ${problem.reason} here; the scripts will run only where it does\n`);
  } else if (/^\/(root|home)\//.test(node)) {
    process.stderr.write(`cgi-shim build: warning: ${node} is in a home folder, which a web server's user (www-data) usually cannot enter; ` +
      'for a server, install Node system-wide and build with --node /usr/bin/node (or where it is)\n');
  }

  let sources;
  try {
    sources = await findSources(parsed.positionals.length > 0 ? parsed.positionals : [DEFAULT_INPUT], dataExtensions);
  } catch (error) {
    if (errorCode(error) !== 'EBUILDINPUT') throw error;
    process.stderr.write(`cgi-shim build: ${errorMessage(error)}\n`);
    return 1;
  }
  const written = await bundleScripts(sources.scripts, values.out, { node });
  await Promise.all(sources.data.map((file) => copyFile(file, join(values.out, basename(file)))));
  const data = sources.data.length === 0 ? '' : `; data: ${sources.data.map((file) => basename(file)).join(', ')}`;
  process.stdout.write(`cgi-shim build: ${written.length} script${written.length === 1 ? '' : 's'} into ${relative('.', values.out) || '.'} ` +
    `(#!${node}): ${written.map((file) => basename(file)).join(', ')}${data}\n`);
  return 0;
}
