// One table of what a request gets whichever adapter brings it: the CGI process adapter
// (cgi.test.ts) and the FastCGI adapter (fastcgi/serve.test.ts) both run every case, so error
// pages, limits, method checks, HEAD, httpoxy and CSRF behave exactly alike under both.

import type { ExecutionContext } from 'ava';
import { rm } from 'node:fs/promises';
import { HttpError } from '../../src/base/errors.js';
import { csrfToken, openSession, verifyCsrf, type Handler } from '../../src/index.js';
import type { PipelineOptions } from '../../src/core/pipeline.js';
import type { CgiOutput } from '../helpers/cgi.js';
import { tempDir } from '../helpers/temp-dir.js';

/** What one request gave. */
export interface AdapterRun {
  /** The exit status of a CGI process; END_REQUEST's appStatus under FastCGI. */
  status: number;
  response: CgiOutput;
  /** What went to the error log. */
  stderr: string;
}

/** A request: its variables and body, and the script's options. */
export interface InvokeOptions extends PipelineOptions {
  env?: Record<string, string>;
  stdin?: Buffer;
}

/** Runs `handler` once through one adapter. */
export type Invoke = (handler: Handler, options?: InvokeOptions) => Promise<AdapterRun>;

/** The variables every case starts from (a case's own `env` replaces them). */
export const BASE_ENV = { REQUEST_METHOD: 'GET', SCRIPT_NAME: '/cgi-bin/t.cgi' };

export interface Behaviour {
  title: string;
  run(t: ExecutionContext, invoke: Invoke): Promise<void>;
}

export const BEHAVIOURS: Behaviour[] = [
  {
    title: 'answers with the handler\'s response, status 0, nothing logged',
    async run(t, invoke) {
      const result = await invoke((_req, res) => { res.text('ok'); });
      t.is(result.status, 0);
      t.is(result.response.status, 200);
      t.is(result.response.text, 'ok');
      t.is(result.stderr, '');
    },
  },
  {
    title: 'answers an unexpected error with a plain 500 page and logs the details',
    async run(t, invoke) {
      const result = await invoke((_req, res) => {
        res.setCookie('leak', '1');
        throw new Error('secret at /srv/app/db.ts');
      }, { env: { REQUEST_METHOD: 'POST', SCRIPT_NAME: '/cgi-bin/t.cgi', QUERY_STRING: 'a=1' } });
      t.is(result.status, 1);
      t.is(result.response.status, 500);
      t.notRegex(result.response.text, /secret|db\.ts|at /);
      t.is(result.response.header('set-cookie'), undefined);
      t.regex(result.stderr, /^cgi-shim: POST \/cgi-bin\/t\.cgi\?a=1: Error: secret at \/srv\/app\/db\.ts\n\s+at /);
    },
  },
  {
    title: 'answers a rejected promise with a 500 as well',
    async run(t, invoke) {
      const result = await invoke(async () => { await Promise.resolve(); throw new TypeError('later'); });
      t.is(result.response.status, 500);
      t.regex(result.stderr, /TypeError: later/);
    },
  },
  {
    title: 'shows error details in the page in debug mode, escaped',
    async run(t, invoke) {
      const result = await invoke(() => { throw new Error('<b>detail</b>'); }, { debug: true });
      t.is(result.response.status, 500);
      t.regex(result.response.text, /&lt;b&gt;detail&lt;\/b&gt;/);
    },
  },
  {
    title: 'turns on debug mode from CGI_DEBUG',
    async run(t, invoke) {
      const result = await invoke(() => { throw new Error('visible'); }, { env: { ...BASE_ENV, CGI_DEBUG: '1' } });
      t.regex(result.response.text, /visible/);
    },
  },
  {
    title: 'answers an HttpError with its status, message and headers, without logging a 4xx',
    async run(t, invoke) {
      const result = await invoke(() => { throw new HttpError(429, 'Slow down, <you>.', { headers: { 'Retry-After': '5' } }); });
      t.is(result.status, 0);
      t.is(result.response.status, 429);
      t.is(result.response.header('retry-after'), '5');
      t.regex(result.response.text, /Slow down, &lt;you&gt;\./);
      t.is(result.stderr, '');
    },
  },
  {
    title: 'hides the message of a 5xx HttpError unless it is exposed',
    async run(t, invoke) {
      const hidden = await invoke(() => { throw new HttpError(503, 'disk full at /var/x'); });
      t.is(hidden.response.status, 503);
      t.notRegex(hidden.response.text, /disk full/);
      t.regex(hidden.stderr, /disk full/);
      const shown = await invoke(() => { throw new HttpError(503, 'Busy, try again.', { expose: true }); });
      t.regex(shown.response.text, /Busy, try again\./);
    },
  },
  {
    title: 'answers 405 with Allow for a method the script does not declare',
    async run(t, invoke) {
      const result = await invoke(() => t.fail('handler called'), { methods: ['GET', 'POST'], env: { REQUEST_METHOD: 'DELETE' } });
      t.is(result.response.status, 405);
      t.is(result.response.header('allow'), 'GET, POST, HEAD');
    },
  },
  {
    title: 'lets HEAD through where GET is allowed, and sends no body',
    async run(t, invoke) {
      const result = await invoke((_req, res) => { res.text('hello'); }, { methods: ['GET'], env: { REQUEST_METHOD: 'HEAD' } });
      t.is(result.response.status, 200);
      t.is(result.response.header('content-length'), '5');
      t.is(result.response.body.length, 0);
    },
  },
  {
    title: 'answers 413 before the handler for a body over the limit',
    async run(t, invoke) {
      const result = await invoke(() => t.fail('handler called'), {
        env: { REQUEST_METHOD: 'POST', CONTENT_LENGTH: '2000' }, maxBodyBytes: 1000, stdin: Buffer.alloc(2000),
      });
      t.is(result.response.status, 413);
    },
  },
  {
    title: 'reads a body of exactly CONTENT_LENGTH bytes',
    async run(t, invoke) {
      const result = await invoke(async (req, res) => { res.text(`${(await req.body()).toString()}|`); }, {
        env: { REQUEST_METHOD: 'POST', CONTENT_LENGTH: '5' }, stdin: Buffer.from('12345678'),
      });
      t.is(result.response.text, '12345|');
    },
  },
  {
    title: 'answers 400 for a malformed CONTENT_LENGTH',
    async run(t, invoke) {
      const result = await invoke(() => t.fail('handler called'), { env: { REQUEST_METHOD: 'POST', CONTENT_LENGTH: 'ten' } });
      t.is(result.response.status, 400);
    },
  },
  {
    title: 'answers 400 when the body ends before CONTENT_LENGTH',
    async run(t, invoke) {
      const result = await invoke(async (req) => { await req.body(); }, {
        env: { REQUEST_METHOD: 'POST', CONTENT_LENGTH: '100' }, stdin: Buffer.from('short'),
      });
      t.is(result.response.status, 400);
    },
  },
  {
    title: 'keeps a client\'s Proxy header (HTTP_PROXY, httpoxy) from the script',
    async run(t, invoke) {
      const result = await invoke((req, res) => {
        res.json({ env: req.env.HTTP_PROXY ?? null, header: req.headers.get('proxy') ?? null, other: req.headers.get('x-other') ?? null });
      }, { env: { ...BASE_ENV, HTTP_PROXY: 'http://evil.example:8080', HTTP_X_OTHER: 'kept' } });
      t.deepEqual(JSON.parse(result.response.text), { env: null, header: null, other: 'kept' });
    },
  },
  {
    title: 'calls finish hooks with ok=true after the handler, before writing',
    async run(t, invoke) {
      const calls: string[] = [];
      const result = await invoke((_req, res) => {
        res.onFinish((ok) => { calls.push(`first ${ok}`); res.setHeader('X-Hook', 'ran'); });
        res.onFinish((ok) => { calls.push(`second ${ok}`); });
        res.text('body');
      });
      t.deepEqual(calls, ['first true', 'second true']);
      t.is(result.response.header('x-hook'), 'ran');
    },
  },
  {
    title: 'calls finish hooks with ok=false, once, when the handler fails',
    async run(t, invoke) {
      const calls: boolean[] = [];
      const result = await invoke((_req, res) => {
        res.onFinish((ok) => { calls.push(ok); });
        throw new Error('boom');
      });
      t.deepEqual(calls, [false]);
      t.is(result.response.status, 500);
    },
  },
  {
    title: 'turns a failing finish hook into the error response and tells the later hooks',
    async run(t, invoke) {
      const calls: string[] = [];
      const result = await invoke((_req, res) => {
        res.onFinish(() => { calls.push('a'); throw new HttpError(503, 'Busy', { headers: { 'Retry-After': '2' } }); });
        res.onFinish((ok) => { calls.push(`b ${ok}`); });
        res.text('not sent');
      });
      t.deepEqual(calls, ['a', 'b false']);
      t.is(result.response.status, 503);
      t.is(result.response.header('retry-after'), '2');
    },
  },
  {
    title: 'drains an unread body',
    async run(t, invoke) {
      let request: { bodyRead: boolean } | undefined;
      await invoke((req, res) => { request = req; res.text('x'); }, { env: { REQUEST_METHOD: 'POST', CONTENT_LENGTH: '10' }, stdin: Buffer.from('0123456789') });
      t.true(request?.bodyRead);
    },
  },
  {
    title: 'answers 400 when an unread body is truncated, and nothing is committed',
    async run(t, invoke) {
      const calls: boolean[] = [];
      const result = await invoke((_req, res) => { res.onFinish((ok) => { calls.push(ok); }); res.text('x'); }, {
        env: { REQUEST_METHOD: 'POST', CONTENT_LENGTH: '100' }, stdin: Buffer.from('short'),
      });
      t.is(result.response.status, 400);
      t.deepEqual(calls, [false]);
    },
  },
  {
    title: 'escapes control characters of the request line in the log, so a client cannot forge lines',
    async run(t, invoke) {
      const result = await invoke(() => { throw new Error('boom'); }, {
        env: { REQUEST_METHOD: 'GET', SCRIPT_NAME: '/cgi-bin/t.cgi', PATH_INFO: '/x\ncgi-shim: GET /admin: forged\r' },
      });
      t.regex(result.stderr, /^cgi-shim: GET \/cgi-bin\/t\.cgi\/x\\x0acgi-shim: GET \/admin: forged\\x0d: Error: boom\n/);
      t.is(result.stderr.split('\n').filter((l) => l.startsWith('cgi-shim:')).length, 1);
    },
  },
  {
    title: 'refuses a session form POST without its CSRF token (403) and takes one with it',
    async run(t, invoke) {
      const sessions = await tempDir('cgi-shim-behaviour-');
      t.teardown(() => rm(sessions, { recursive: true, force: true }));
      const handler: Handler = async (req, res) => {
        const session = await openSession(req, res);
        if (req.method === 'POST') {
          const form = await req.form();
          await verifyCsrf(req, session, form);
          session.set('note', form.fields.get('note'));
        }
        res.text(`${await csrfToken(session)} ${String(session.get('note'))}`);
      };
      const env = { ...BASE_ENV, CGI_SESSION_DIR: sessions };
      const first = await invoke(handler, { env });
      const cookie = /^(sid=[^;]+)/.exec(first.response.header('set-cookie') ?? '')?.[1] ?? '';
      const token = first.response.text.split(' ')[0]!;
      const post = (body: string) => invoke(handler, {
        env: { ...env, REQUEST_METHOD: 'POST', HTTP_COOKIE: cookie, CONTENT_TYPE: 'application/x-www-form-urlencoded', CONTENT_LENGTH: String(body.length) },
        stdin: Buffer.from(body),
      });
      t.is((await post('note=forged')).response.status, 403);
      t.is((await post(`note=mine&_csrf=${token}`)).response.text, `${token} mine`);
    },
  },
];
