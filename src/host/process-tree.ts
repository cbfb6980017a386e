// What a script left running, found through /proc (Linux): its descendants, and whatever holds
// its output pipes. A child that called setsid has left the script's process group, so killing
// the group misses it; if it kept the script's stdout, the host would wait for it. Where there is
// no /proc, nothing is found and only the process group is killed.
// Synchronous on purpose: it runs only when a script is killed or leaves something behind, and
// a few hundred small reads are done before an asynchronous walk would have started.

import { fstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { Readable } from 'node:stream';

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
export function findStragglers(pipes: readonly string[], pid?: number, holdsAll = false): number[] {
  const children = new Map<number, number[]>();
  const found = new Set<number>();
  for (const entry of listProc()) {
    if (entry === process.pid) continue;
    const parent = parentOf(entry);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), entry]);
    if (pipes.length > 0 && holds(entry, pipes, holdsAll)) found.add(entry);
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

/** Whether `pid` holds one of `pipes` (or, with `all`, every one of them). */
function holds(pid: number, pipes: readonly string[], all: boolean): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // Gone, or another user's.
  }
  const held = new Set(fds.map((fd) => readLink(`/proc/${pid}/fd/${fd}`)));
  return all ? pipes.every((pipe) => held.has(pipe)) : pipes.some((pipe) => held.has(pipe));
}

/**
 * The sockets a child's stdout and stderr most likely are, named from our ends of them
 * (`streams`), for a child that ended before outputPipes could look (a fast script on a busy
 * machine): the kernel numbers the two sockets of a pair one after the other, so the child's end
 * is ours + 1. Not always (a new batch of numbers may start between them): so look for processes
 * holding every one of these, which no process but one the script left can.
 */
export function peerSockets(streams: readonly Readable[]): string[] {
  return streams.flatMap((stream) => {
    // Why the cast: Node has no public way to a socket's descriptor; its libuv handle holds it.
    const fd = (stream as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) return [];
    try {
      return [`socket:[${fstatSync(fd).ino + 1}]`];
    } catch {
      return [];
    }
  });
}

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
