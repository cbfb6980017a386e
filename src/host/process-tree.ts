// What a script left running, found through /proc (Linux): its descendants, and whatever holds
// its output pipes. A child that called setsid has left the script's process group, so killing
// the group misses it; if it kept the script's stdout, the host would wait for it. Where there is
// no /proc, nothing is found and only the process group is killed.
// Synchronous on purpose: it runs only when a script is killed or leaves something behind, and
// a few hundred small reads are done before an asynchronous walk would have started.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** The pipes of a running process's stdout and stderr, as /proc names them: `socket:[12345]`
 * (Node's child processes get socket pairs) or `pipe:[12345]`. Whoever else holds that same
 * end inherited it from the script. */
export function outputPipes(pid: number): string[] {
  const pipes: string[] = [];
  for (const fd of [1, 2]) {
    const link = readLink(`/proc/${pid}/fd/${fd}`);
    if (link !== undefined && /^(pipe|socket):\[[0-9]+\]$/.test(link)) pipes.push(link);
  }
  return pipes;
}

/**
 * The processes to end with a script: every process but this one holding one of `pipes`, and,
 * given the script's `pid` while it lives, its live descendants (found by parent links, so only
 * while their parents live).
 */
export function findStragglers(pipes: readonly string[], pid?: number): number[] {
  const children = new Map<number, number[]>();
  const found = new Set<number>();
  for (const entry of listProc()) {
    if (entry === process.pid) continue;
    const parent = parentOf(entry);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), entry]);
    if (pipes.length > 0 && holdsAny(entry, pipes)) found.add(entry);
  }
  for (const queue = pid === undefined ? [] : [pid]; queue.length > 0;) {
    for (const child of children.get(queue.pop()!) ?? []) {
      if (!found.has(child)) queue.push(child);
      found.add(child);
    }
  }
  if (pid !== undefined) found.delete(pid);
  return [...found];
}

/** SIGKILL to each process; one that is gone already is no error. */
export function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already, or not ours to kill.
    }
  }
}

function listProc(): number[] {
  try {
    return readdirSync('/proc').filter((name) => /^[0-9]+$/.test(name)).map(Number);
  } catch {
    return [];
  }
}

/** The parent of `pid` from /proc/<pid>/stat, whose second field (the name) may hold spaces
 * and parentheses: the fields after the last `)` are the state, then the parent. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(parent) ? parent : undefined;
  } catch {
    return undefined;
  }
}

function holdsAny(pid: number, pipes: readonly string[]): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // Gone, or another user's.
  }
  return fds.some((fd) => {
    const link = readLink(`/proc/${pid}/fd/${fd}`);
    return link !== undefined && pipes.includes(link);
  });
}

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
