// `cgi-shim sessions list|show <id>|delete <id>`: inspect the sessions folder, for teaching and
// for operations.

import type { FileSessionStore } from '../session/file-store.js';
import { isExpired } from '../session/gc.js';
import { isSessionId } from '../session/id.js';
import { parseCommand, usageError } from './args.js';
import { SESSION_OPTIONS, SESSION_OPTIONS_HELP, sessionSettings, storeFor, type SessionSettings } from './session-args.js';

const SPEC = {
  name: 'sessions',
  usage: `usage: cgi-shim sessions list | show <id> | delete <id> [options]

  list          every session: ID, age, idle time, size of its data, state
  show <id>     one session's record, as JSON
  delete <id>   removes one session (waits for its lock, like a script would)

${SESSION_OPTIONS_HELP}`,
  options: SESSION_OPTIONS,
  positionals: [1, 2],
  missing: 'expected an action: list, show <id> or delete <id>',
} as const;

/** Runs the command; resolves with the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(SPEC, args);
  if (typeof parsed === 'number') return parsed;
  const settings = sessionSettings(parsed.values, process.env);
  if (typeof settings === 'string') return usageError(SPEC.name, settings);
  const [action, id] = parsed.positionals;
  const store = storeFor(settings);
  if (action === 'list') return id === undefined ? list(store, settings) : usageError(SPEC.name, `unexpected argument ${JSON.stringify(id)}`);
  if (action !== 'show' && action !== 'delete') return usageError(SPEC.name, `unknown action ${JSON.stringify(action)} (list, show or delete)`);
  if (!isSessionId(id)) return usageError(SPEC.name, `not a session ID: ${JSON.stringify(id ?? '')}`);
  return action === 'show' ? show(store, id) : remove(store, id);
}

async function list(store: FileSessionStore, options: SessionSettings): Promise<number> {
  const now = Date.now();
  const rows: string[] = [];
  for (const { id } of await store.list()) {
    const record = await store.read(id);
    if (record === undefined) {
      rows.push(`${id}  (unreadable)`);
      continue;
    }
    const state = isExpired(record, now, options) ? 'expired' : (await store.isLocked(id)) ? 'locked' : 'live';
    const bytes = Buffer.byteLength(JSON.stringify(record.data));
    rows.push(`${id}  ${duration(now - record.createdAt).padStart(8)}  ${duration(now - record.touchedAt).padStart(8)}  ${String(bytes).padStart(7)}  ${state}`);
  }
  process.stdout.write(`${'id'.padEnd(43)}  ${'age'.padStart(8)}  ${'idle'.padStart(8)}  ${'bytes'.padStart(7)}  state\n`);
  process.stdout.write(rows.map((row) => `${row}\n`).join(''));
  process.stdout.write(`${rows.length} session${rows.length === 1 ? '' : 's'} in ${options.dir}\n`);
  return 0;
}

async function show(store: FileSessionStore, id: string): Promise<number> {
  const record = await store.read(id);
  if (record === undefined) {
    process.stderr.write(`cgi-shim sessions: no session ${id}\n`);
    return 1;
  }
  const printable = { ...record, createdAt: new Date(record.createdAt).toISOString(), touchedAt: new Date(record.touchedAt).toISOString() };
  process.stdout.write(`${JSON.stringify(printable, null, 2)}\n`);
  return 0;
}

async function remove(store: FileSessionStore, id: string): Promise<number> {
  if ((await store.read(id)) === undefined) {
    process.stderr.write(`cgi-shim sessions: no session ${id}\n`);
    return 1;
  }
  const lock = await store.lock(id);
  try {
    await store.delete(id);
  } finally {
    await lock.release();
  }
  process.stdout.write(`deleted ${id}\n`);
  return 0;
}

function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${(s / 3600).toFixed(1)}h`;
}
