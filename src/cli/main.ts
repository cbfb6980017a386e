// The command-line tool `cgi-shim`: a table of commands, each in its own module, imported only
// when named so that one command's dependencies never slow another.

import { didYouMean } from './args.js';
import { ownPackage } from '../base/own-package.js';

/** A command: receives its own arguments, resolves with the exit status. */
export type Command = (args: string[]) => Promise<number>;

interface CommandEntry {
  summary: string;
  load: () => Promise<{ main: Command }>;
}

const COMMANDS: Record<string, CommandEntry> = {
  init: { summary: 'write a starter project: package.json, tsconfig.json, two scripts', load: () => import('./init.js') },
  build: { summary: 'build scripts (cgi-bin/*.ts by default) into dist/cgi-bin/*.cgi', load: () => import('./build.js') },
  serve: { summary: 'host a folder of CGI scripts at http://127.0.0.1:8080/cgi-bin/', load: () => import('./serve.js') },
  fastcgi: { summary: 'run a built script as a FastCGI daemon (workers sharing one socket)', load: () => import('./fastcgi.js') },
  run: { summary: 'run one CGI script for a request described by flags', load: () => import('./run-script.js') },
  'hash-password': { summary: 'print a users-file line for a password read from stdin', load: () => import('./hash-password.js') },
  gc: { summary: 'remove expired sessions (run it from cron)', load: () => import('./gc.js') },
  sessions: { summary: 'list, show or delete sessions', load: () => import('./sessions.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length), 4);
  const lines = Object.entries(COMMANDS).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`);
  return `usage: cgi-shim <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n` +
    'Run `cgi-shim <command> --help` for a command\'s options, `cgi-shim --version` for the version.\n';
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    process.stdout.write(`${ownPackage().version}\n`);
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (entry === undefined) {
    process.stderr.write(`cgi-shim: unknown command "${name}"${didYouMean(name, Object.keys(COMMANDS))}\n\n${usage()}`);
    return 2;
  }
  const { main: command } = await entry.load();
  return command(args);
}

main(process.argv.slice(2)).then(
  (status) => { process.exitCode = status; },
  (error: unknown) => {
    process.stderr.write(`cgi-shim: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
