// Maps a request path under /cgi-bin/ to a script file in the scripts folder, and refuses every
// path that could reach outside it: `..` (also percent-encoded), encoded slashes, NUL, symlinks
// pointing out, and anything but an executable regular file.

import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';

/** The URL path under which scripts are served, as Apache's default `ScriptAlias /cgi-bin/`. */
export const SCRIPT_PREFIX = '/cgi-bin/';

/** Deepest path walked looking for the script: bounds the work a long URL can cause. */
const MAX_SEGMENTS = 32;

/** A request path split into decoded segments, or the status refusing it. */
export type SplitPath = { segments: string[] } | { status: 400 | 404; reason: string };

/** A script found for a request. */
export interface FoundScript {
  /** The script's URL path, decoded, e.g. `/cgi-bin/hello.cgi`. */
  scriptName: string;
  /** The script's file name as found in the scripts folder (symlinks not resolved). */
  scriptFilename: string;
  /** The file to execute: `scriptFilename` with symlinks resolved, known to be inside the folder. */
  realFilename: string;
  /** The decoded rest of the path after the script name; empty when none. */
  pathInfo: string;
}

/** Why no script was found: the HTTP status to answer and a reason for the log. */
export interface ScriptRefusal {
  status: 400 | 403 | 404;
  reason: string;
}

/**
 * Splits a raw (percent-encoded) request path below {@link SCRIPT_PREFIX} into decoded segments.
 * Refuses with 400 a malformed escape, NUL, or a `.`/`..` segment in any spelling; with 404 an
 * encoded slash (as Apache's `AllowEncodedSlashes Off`) or a path outside the prefix.
 * @example splitScriptPath('/cgi-bin/a.cgi/x%20y') // → { segments: ['a.cgi', 'x y'] }
 */
export function splitScriptPath(rawPath: string): SplitPath {
  if (!rawPath.startsWith(SCRIPT_PREFIX)) return { status: 404, reason: 'not under /cgi-bin/' };
  const rawSegments = rawPath.slice(SCRIPT_PREFIX.length).split('/');
  if (rawSegments.length > MAX_SEGMENTS) return { status: 404, reason: 'path too deep' };
  const segments: string[] = [];
  for (const raw of rawSegments) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { status: 400, reason: 'malformed percent-encoding' };
    }
    if (segment.includes('\0')) return { status: 400, reason: 'NUL in path' };
    if (segment === '.' || segment === '..') return { status: 400, reason: 'dot segment in path' };
    if (segment.includes('/')) return { status: 404, reason: 'encoded slash in path' };
    segments.push(segment);
  }
  return { segments };
}

/**
 * Walks `segments` down from `root` (which must already be a real path, symlinks resolved) to the
 * first regular file: that is the script, and the segments after it are the path info. Symlinks
 * are followed only when they resolve inside `root`. The script must be executable.
 */
export async function findScript(root: string, segments: readonly string[]): Promise<FoundScript | ScriptRefusal> {
  let folder = root;
  for (let index = 0; index < segments.length; index += 1) {
    const segment = segments[index]!;
    if (segment === '') return { status: 404, reason: 'empty path segment' };
    const candidate = join(folder, segment);
    const real = await resolveInside(root, candidate);
    if (real === undefined) return { status: 404, reason: 'no such file, or a link leading outside the scripts folder' };
    const info = await stat(real).catch(() => undefined);
    if (info === undefined) return { status: 404, reason: 'no such file' };
    if (info.isDirectory()) {
      folder = candidate;
      continue;
    }
    if (!info.isFile()) return { status: 404, reason: 'not a regular file' };
    const executable = await access(real, constants.X_OK).then(() => true, () => false);
    if (!executable) return { status: 403, reason: 'not executable' };
    const rest = segments.slice(index + 1);
    return {
      scriptName: SCRIPT_PREFIX + segments.slice(0, index + 1).join('/'),
      scriptFilename: candidate,
      realFilename: real,
      pathInfo: rest.length === 0 ? '' : `/${rest.join('/')}`,
    };
  }
  return { status: 404, reason: 'a folder, not a script' };
}

/** The real path of `candidate` if it exists and lies inside `root` (every link resolved, the
 * folders above it included), else undefined. */
async function resolveInside(root: string, candidate: string): Promise<string | undefined> {
  const real = await realpath(candidate).catch(() => undefined);
  if (real === undefined) return undefined;
  return real === root || real.startsWith(root.endsWith(sep) ? root : root + sep) ? real : undefined;
}
