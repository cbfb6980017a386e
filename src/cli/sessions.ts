// `cgi-shim sessions list|show <id>|delete <id>`: inspect the sessions folder or the Redis store,
// for teaching and for operations.

import { isExpired } from '../session/gc.js';
import { isSessionId } from '../session/id.js';
import { parseCommand, usageError } from './args.js';
import { SESSION_OPTIONS, SESSION_OPTIONS_HELP, sessionSettings, storeFor, type CommandStore, type SessionSettings } from './session-args.js';

/** Sessions read at once by `list`: a Redis store gets each batch's commands in one write. */
const LIST_BATCH = 100;

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
  literal: isSessionId,
} as const;

/** Runs the command; resolves with the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(SPEC, args);
  if (typeof parsed === 'number') return parsed;
  const settings = sessionSettings(parsed.values, process.env);
  if (typeof settings === 'string') return usageError(SPEC.name, settings);
  const [action, id] = parsed.positionals;
  if (action === 'list' && id !== undefined) return usageError(SPEC.name, `unexpected argument ${JSON.stringify(id)}`);
  if (action !== 'list' && action !== 'show' && action !== 'delete') return usageError(SPEC.name, `unknown action ${JSON.stringify(action)} (list, show or delete)`);
  if (action !== 'list' && !isSessionId(id)) return usageError(SPEC.name, `not a session ID: ${JSON.stringify(id ?? '')}`);
  const opened = await storeFor(settings);
  try {
    if (action === 'list') return await list(opened, settings);
    return action === 'show' ? await show(opened.store, id!) : await remove(opened.store, id!);
  } finally {
    await opened.close();
  }
}

async function list({ store, where }: CommandStore, options: SessionSettings): Promise<number> {
  const now = Date.now();
  const rows: string[] = [];
  const ids = (await store.list()).map((entry) => entry.id);
  for (let start = 0; start < ids.length; start += LIST_BATCH) {
    const batch = ids.slice(start, start + LIST_BATCH);
    const [records, locked] = await Promise.all([Promise.all(batch.map((id) => store.read(id))), Promise.all(batch.map((id) => store.isLocked(id)))]);
    batch.forEach((id, i) => {
      const record = records[i];
      if (record === undefined) {
        rows.push(`${id}  (unreadable, or gone since the listing)`);
        return;
      }
      const state = isExpired(record, now, options) ? 'expired' : locked[i] ? 'locked' : 'live';
      const bytes = Buffer.byteLength(JSON.stringify(record.data));
      rows.push(`${id}  ${duration(now - record.createdAt).padStart(8)}  ${duration(now - record.touchedAt).padStart(8)}  ${String(bytes).padStart(7)}  ${state}`);
    });
  }
  process.stdout.write(`${'id'.padEnd(43)}  ${'age'.padStart(8)}  ${'idle'.padStart(8)}  ${'bytes'.padStart(7)}  state\n`);
  process.stdout.write(rows.map((row) => `${row}\n`).join(''));
  process.stdout.write(`${rows.length} session${rows.length === 1 ? '' : 's'} in ${where}\n`);
  return 0;
}

async function show(store: CommandStore['store'], id: string): Promise<number> {
  const record = await store.read(id);
  if (record === undefined) {
    process.stderr.write(`cgi-shim sessions: no session ${id}\n`);
    return 1;
  }
  const printable = { ...record, createdAt: new Date(record.createdAt).toISOString(), touchedAt: new Date(record.touchedAt).toISOString() };
  process.stdout.write(`${JSON.stringify(printable, null, 2)}\n`);
  return 0;
}

async function remove(store: CommandStore['store'], id: string): Promise<number> {
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
