// The users tests act as when they run as root (as CI does): folders and files made as `nobody`
// (another local user), scripts run as `www-data` (the user Debian's Apache runs CGI as).

import { readFileSync } from 'node:fs';

/** Debian's `nobody` (and its group `nogroup`). */
export const NOBODY = 65534;

/** Whether this test process runs as root, and so may act as other users. */
export const IS_ROOT = process.getuid?.() === 0;

/** A local user. */
export interface User {
  name: string;
  uid: number;
  gid: number;
}

/** The user `name` from /etc/passwd; throws when there is none. */
export function lookUpUser(name: string): User {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith(`${name}:`));
  const fields = line?.split(':');
  if (fields === undefined || fields.length < 4) throw new Error(`the tests need the user ${name}`);
  return { name, uid: Number(fields[2]), gid: Number(fields[3]) };
}
