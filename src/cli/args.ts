// Command-line arguments of every `cgi-shim` command: one parser (node:util's parseArgs, strict),
// one answer to --help, and one way to report a usage error (exit status 2).

import leven from 'leven';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { errorMessage } from '../base/errors.js';

/** The command that builds scripts, for messages about TypeScript found where a built script
 * was expected. */
export const BUILD_COMMAND = '`npx cgi-shim build` (cgi-bin/*.ts into dist/cgi-bin/*.cgi)';

/** The options a command takes, as node:util's parseArgs describes them. */
export type OptionsSpec = NonNullable<ParseArgsConfig['options']>;

/** What a command accepts. */
export interface CommandSpec<O extends OptionsSpec> {
  /** The command's name, as in `cgi-shim NAME`. */
  name: string;
  /** The help text, printed for `--help` (which every command takes without listing it). */
  usage: string;
  options: O;
  /** How many positional arguments the command takes: [fewest, most]. @default [0, 0] */
  positionals?: readonly [number, number];
  /** What to say when there are fewer. @default 'an argument is missing' */
  missing?: string;
  /** Arguments that are positionals even when they begin with `-`, as a session ID may (its
   * alphabet holds `-`): a user pastes one from `sessions list` without knowing to write `--`
   * before it. @default none */
  literal?: (arg: string) => boolean;
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** The parsed arguments of a command whose options are `O`. */
export type ParsedArgs<O extends OptionsSpec> = ReturnType<typeof parseArgs<{ options: O & typeof HELP; strict: true; allowPositionals: true }>>;

/**
 * Parses a command's arguments. Answers `--help` (the usage on stdout) and usage errors (on
 * stderr) itself: returns the parsed arguments, or the exit status when the command has nothing
 * more to do (0 after help, 2 after an error).
 */
export function parseCommand<O extends OptionsSpec>(spec: CommandSpec<O>, args: string[]): ParsedArgs<O> | number {
  let parsed: ParsedArgs<O>;
  try {
    parsed = parseArgs({ args: literalsLast(args, spec.literal), options: { ...spec.options, ...HELP }, strict: true, allowPositionals: true });
  } catch (error) {
    // parseArgs says "Unknown option '--x'. To specify a positional argument…", "Option '--port
    // <value>' argument missing": its first sentence, as our messages read.
    const message = errorMessage(error).split('. ', 1)[0]!;
    const unknown = /^Unknown option '([^']*)'/.exec(message)?.[1];
    const known = [...Object.keys(spec.options), 'help'].map((name) => `--${name}`);
    const hint = unknown === undefined ? '' : didYouMean(unknown.split('=', 1)[0]!, known);
    return usageError(spec.name, message.charAt(0).toLowerCase() + message.slice(1) + hint);
  }
  // The generic values type does not show the `help` every command is given.
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(spec.usage);
    return 0;
  }
  const [fewest, most] = spec.positionals ?? [0, 0];
  const count = parsed.positionals.length;
  if (count < fewest) return usageError(spec.name, spec.missing ?? 'an argument is missing');
  if (count > most) return usageError(spec.name, `unexpected argument ${JSON.stringify(parsed.positionals[most])}`);
  return parsed;
}

/** `args` with the ones `literal` picks out (those beginning with `-`) moved behind a `--`,
 * where parseArgs takes them as positionals, in their order; unchanged when `--` is there already. */
function literalsLast(args: string[], literal: CommandSpec<OptionsSpec>['literal']): string[] {
  if (literal === undefined || args.includes('--')) return args;
  const picked = (arg: string) => arg.startsWith('-') && literal(arg);
  const literals = args.filter(picked);
  return literals.length === 0 ? args : [...args.filter((arg) => !picked(arg)), '--', ...literals];
}

/** Reports a usage error of `cgi-shim <command>` on stderr, with a pointer to its help; returns 2. */
export function usageError(command: string, message: string): number {
  process.stderr.write(`cgi-shim ${command}: ${message}\nRun \`cgi-shim ${command} --help\` for its usage.\n`);
  return 2;
}

/**
 * ` (did you mean X?)` for the one candidate closest to a mistyped `word`, or '' when none is
 * close: at most one edit (a letter added, dropped or changed) for words of up to four
 * characters, two for longer ones.
 * @example didYouMean('serv', ['serve', 'run']) // → ' (did you mean serve?)'
 */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const limit = word.length <= 4 ? 1 : 2;
  const scored = candidates.map((candidate) => ({ candidate, distance: leven(word, candidate) }))
    .filter(({ distance }) => distance <= limit)
    .sort((a, b) => a.distance - b.distance);
  const best = scored[0];
  if (best === undefined || scored[1]?.distance === best.distance) return '';
  return ` (did you mean ${best.candidate}?)`;
}

/** `text` as a whole number of at most 15 digits, or undefined. */
export function wholeNumber(text: string): number | undefined {
  return /^[0-9]{1,15}$/.test(text) ? Number(text) : undefined;
}

/** `text` as a positive finite number, or undefined. */
export function positiveNumber(text: string): number | undefined {
  const value = Number(text);
  return text.trim() !== '' && Number.isFinite(value) && value > 0 ? value : undefined;
}

