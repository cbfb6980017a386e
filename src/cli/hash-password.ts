// `cgi-shim hash-password NAME`: reads a password from stdin and prints a users-file line
// `NAME:scrypt:…` for the log-in demo (or any script using verifyPassword).

import { readFileSync } from 'node:fs';
import { hashPassword } from '../secrets/passwords.js';
import { parseCommand, usageError } from './args.js';

const SPEC = {
  name: 'hash-password',
  usage: 'usage: echo PASSWORD | cgi-shim hash-password NAME\n' +
    'Prints "NAME:<hash>" for a users file such as cgi-bin/login-users.txt. The password is read\n' +
    'from stdin (its first line), never from the command line, where other users could see it.\n',
  options: {},
  positionals: [1, 1],
  missing: 'expected one user name',
} as const;

/** Runs the command. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(SPEC, args);
  if (typeof parsed === 'number') return parsed;
  const name = parsed.positionals[0]!;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) return usageError(SPEC.name, "give one user name of letters, digits, '.', '_' or '-'");
  const password = readFileSync(0, 'utf8').split(/\r?\n/, 1)[0] ?? '';
  if (password.length < 8) {
    process.stderr.write('cgi-shim hash-password: the password (first line of stdin) must have at least 8 characters\n');
    return 2;
  }
  process.stdout.write(`${name}:${await hashPassword(password)}\n`);
  return 0;
}
