// Helpers for tests of the local CGI host: a private copy of the fixture scripts (made executable)
// in a temporary folder, a host on a free port stopped by the test, and raw HTTP requests whose
// paths are sent exactly as written (fetch would normalise `..` away).

import type { ExecutionContext } from 'ava';
import { chmod, cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHost, type Host, type HostOptions } from '../../src/host/server.js';
import { ROOT } from './cgi.js';

export const FIXTURES = join(ROOT, 'test', 'fixtures', 'host-cgi-bin');

/** A temporary folder holding `cgi-bin/` with executable copies of the fixture scripts; removed
 * when the test ends. */
export async function makeScriptsFolder(t: ExecutionContext): Promise<{ base: string; dir: string }> {
  const base = await mkdtemp(join(tmpdir(), 'cgi-host-'));
  t.teardown(() => rm(base, { recursive: true, force: true }));
  const dir = join(base, 'cgi-bin');
  await cp(FIXTURES, dir, { recursive: true });
  for (const name of await readdir(dir)) await chmod(join(dir, name), 0o755);
  return { base, dir };
}

/** A host on a free port serving a fresh scripts folder; its log lines are collected. */
export interface TestHost extends Host {
  dir: string;
  base: string;
  logLines: string[];
}

/** Starts a host for one test, closed by the test's teardown (also when the test fails). */
export async function startTestHost(t: ExecutionContext, options: HostOptions = {}): Promise<TestHost> {
  const { base, dir } = await makeScriptsFolder(t);
  const logLines: string[] = [];
  const host = await startHost({
    dir, port: 0, hostEnv: { PATH: process.env.PATH }, log: (line) => logLines.push(line), ...options,
  });
  t.teardown(() => host.close());
  return { ...host, dir, base, logLines };
}

/**
 * Waits until a log line matches: the request line is written when the server sees the
 * connection close, and a script's stderr travels on its own pipe, so either may arrive after the
 * client has its response. Resolves with the line, or undefined after about five seconds.
 */
export async function waitForLogLine(lines: readonly string[], pattern: RegExp | string): Promise<string | undefined> {
  const matches = (line: string) => (typeof pattern === 'string' ? line === pattern : pattern.test(line));
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const found = lines.find(matches);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

/** What a raw request got back. */
export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Set when the connection broke before the response was complete. */
  aborted: boolean;
}

/** Options of {@link rawRequest}. */
export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  /** The body; sent with Content-Length, or chunked when `chunked` is set. */
  body?: string | Buffer;
  chunked?: boolean;
}

/** Sends one request with `path` exactly as written. */
export function rawRequest(host: Host, path: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[]> = { Connection: 'close', ...options.headers };
    if (options.body !== undefined && !options.chunked) headers['Content-Length'] = String(Buffer.byteLength(options.body));
    const req = request({ host: '127.0.0.1', port: host.port, path, method: options.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      let aborted = false;
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('aborted', () => { aborted = true; });
      res.on('error', () => { aborted = true; });
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), aborted: aborted || !res.complete }));
    });
    req.on('error', reject);
    if (options.body !== undefined) {
      if (options.chunked) {
        const body = Buffer.from(options.body);
        const half = Math.floor(body.length / 2);
        req.write(body.subarray(0, half));
        req.write(body.subarray(half));
      } else {
        req.write(options.body);
      }
    }
    req.end();
  });
}

/** Parses the JSON page of the env.cgi fixture. */
export function scriptEnv(response: RawResponse): { env: Record<string, string>; cwd: string } {
  return JSON.parse(response.body.toString()) as { env: Record<string, string>; cwd: string };
}
