// Option parsing shared by the session commands: `--dir`, the timeouts, `--help`.

import { resolve } from 'node:path';
import { FileSessionStore } from '../session/file-store.js';

/** Parsed options of a session command. */
export interface SessionCommandOptions {
  dir: string;
  idleMs: number;
  absoluteMs: number;
  staleMs: number | undefined;
  help: boolean;
  positional: string[];
}

/** The options every session command understands, for its --help text. */
export const COMMON_HELP = `  --dir DIR                 sessions folder (default: $CGI_SESSION_DIR, else ./sessions)
  --idle-timeout SECONDS    idle timeout the scripts use (default 1800)
  --absolute-timeout SECONDS  absolute timeout the scripts use (default 28800)
  --stale-ms MS             lock stale time the scripts use (default 10000)
`;

/** Parses `args`; throws an Error with a usage message for unknown or malformed options. */
export function parseSessionArgs(args: string[], env: Readonly<Record<string, string | undefined>>): SessionCommandOptions {
  const out: SessionCommandOptions = {
    dir: env.CGI_SESSION_DIR || 'sessions', idleMs: 1800_000, absoluteMs: 28_800_000, staleMs: undefined, help: false, positional: [],
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const value = () => {
      const next = args[++i];
      if (next === undefined) throw new Error(`option ${arg} needs a value`);
      return next;
    };
    const number = () => {
      const n = Number(value());
      if (!Number.isFinite(n) || n <= 0) throw new Error(`option ${arg} needs a positive number`);
      return n;
    };
    if (arg === '--help' || arg === '-h') out.help = true;
    else if (arg === '--dir') out.dir = value();
    else if (arg === '--idle-timeout') out.idleMs = number() * 1000;
    else if (arg === '--absolute-timeout') out.absoluteMs = number() * 1000;
    else if (arg === '--stale-ms') out.staleMs = number();
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
    else out.positional.push(arg);
  }
  out.dir = resolve(out.dir);
  return out;
}

/** The file store the options describe. */
export function storeFor(options: SessionCommandOptions): FileSessionStore {
  return new FileSessionStore({ dir: options.dir, staleMs: options.staleMs });
}

/**
 * Parses a session command's arguments, answering `--help` and usage errors itself: resolves with
 * the options, or with the exit status when the command has nothing more to do.
 */
export function readSessionArgs(command: string, args: string[], help: string): SessionCommandOptions | number {
  let options: SessionCommandOptions;
  try {
    options = parseSessionArgs(args, process.env);
  } catch (error) {
    process.stderr.write(`cgi-shim ${command}: ${(error as Error).message}\n\n${help}`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(help);
    return 0;
  }
  return options;
}
