// Every demo's flow, walked with a real cookie jar through a running server: the local CGI host,
// Apache and lighttpd all run this same table (see test/host and test/servers), so a demo is
// proven the same way everywhere it is served.

import type { ExecutionContext } from 'ava';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CookieClient, fetchOnce, honouringRetryAfter } from '../helpers/http-client.js';
import { elementText, readWire, shownCookie } from '../helpers/wire.js';

/** What a flow needs of a running server. */
export interface DemoSite {
  /** An absolute URL for a path on the server, e.g. `/cgi-bin/counter.cgi`. */
  url(path: string): string;
  /** The sessions folder the server gives the scripts (CGI_SESSION_DIR). */
  sessionsDir: string;
}

/** One walk through a demo. */
export interface DemoFlow {
  title: string;
  /** Loads the machine (many parallel processes): run it with no other such test at once. */
  heavy?: boolean;
  run(t: ExecutionContext, site: DemoSite): Promise<void>;
}

const CSRF = /name="_csrf" value="([A-Za-z0-9_.-]+)"/;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
/** Every demo the index links to. */
const DEMOS = ['hello', 'set-cookie', 'read-cookie', 'cookie-cycle', 'counter', 'questionnaire', 'login', 'cart', 'parking', 'signed-session', 'error'];

function client(site: DemoSite): CookieClient {
  return new CookieClient(site.url('/'));
}

async function text(response: Response): Promise<string> {
  return response.text();
}

/**
 * The page of a demo's response, after checking its "on the wire" panel against what really
 * crossed: the Cookie header the client sent, and every Set-Cookie the response carried.
 */
async function wirePage(t: ExecutionContext, c: CookieClient, response: Response): Promise<string> {
  const page = await response.text();
  const wire = readWire(page);
  t.is(wire.cookie, shownCookie(c.lastCookieSent), 'the panel shows the Cookie header as it was sent');
  t.deepEqual(wire.setCookies, response.headers.getSetCookie().map((value) => `Set-Cookie: ${value}`), 'and every Set-Cookie of the response');
  return page;
}

/** GETs a demo page, checks its panel, and returns its text and the CSRF token of its forms. */
async function open(t: ExecutionContext, c: CookieClient, path: string): Promise<{ page: string; token: string; status: number }> {
  const response = await c.get(path);
  const page = await wirePage(t, c, response);
  return { page, token: CSRF.exec(page)?.[1] ?? '', status: response.status };
}

async function sessionFiles(site: DemoSite): Promise<string[]> {
  return (await readdir(site.sessionsDir).catch(() => [])).filter((name) => name.endsWith('.json'));
}

export const DEMO_FLOWS: DemoFlow[] = [
  {
    title: 'index.cgi links every demo and the checklist; pages carry an inline icon and a way back',
    async run(t, site) {
      const c = client(site);
      const { page } = await open(t, c, '/cgi-bin/index.cgi');
      for (const demo of [...DEMOS, 'checklist']) t.regex(page, new RegExp(`href="${demo}\\.cgi"`), demo);
      t.regex(page, /<link rel="icon" href="data:image\/svg\+xml,/, 'no request for /favicon.ico');
      const checklist = (await open(t, c, '/cgi-bin/checklist.cgi')).page;
      const linked = [...checklist.matchAll(/<td><a href="([a-z-]+)\.cgi">/g)].map((m) => m[1]!);
      t.true(linked.length >= 10, 'a row per practice');
      t.deepEqual(linked.filter((demo) => !DEMOS.includes(demo)), [], 'each practice points to a demo that exists');
      t.regex(checklist, /<a href="index\.cgi">/);
    },
  },
  {
    title: 'hello.cgi shows the header block it printed, which the server turned into the response',
    async run(t, site) {
      const c = client(site);
      const response = await c.get('/cgi-bin/hello.cgi?name=Ada');
      const body = Buffer.from(await response.clone().arrayBuffer());
      const page = await wirePage(t, c, response);
      t.regex(page, /<h1>Hello, Ada!<\/h1>/);
      const block = elementText(page, 'header-block') ?? '';
      t.regex(block, /^Status: 200 OK$/m);
      t.true(block.split('\n').includes(`Content-Type: ${response.headers.get('content-type')}`), block);
      t.true(block.split('\n').includes(`Content-Length: ${body.length}`), 'the length it printed is the body\'s');
      t.regex(page, /<a href="index\.cgi">/);
    },
  },
  {
    title: 'error pages keep the demos\' frame: a 405, a 403 and a crash link back to the index',
    async run(t, site) {
      const put = await fetchOnce(site.url('/cgi-bin/counter.cgi'), { method: 'PUT' });
      t.is(put.status, 405);
      const refused = await client(site).post('/cgi-bin/set-cookie.cgi', { flavor: 'ginger', path: '/cgi-bin/', lifetime: 'max-age' });
      t.is(refused.status, 403);
      t.deepEqual(refused.headers.getSetCookie(), [], 'a refused form sets nothing');
      const crash = await fetchOnce(site.url('/cgi-bin/error.cgi'));
      t.is(crash.status, 500);
      for (const [response, title] of [[put, '405 Method Not Allowed'], [refused, '403 Forbidden'], [crash, '500 Internal Server Error']] as const) {
        const page = await response.text();
        t.regex(page, new RegExp(`<h1>${title}</h1>`));
        t.regex(page, /<a href="index\.cgi">/, `${title} links back`);
        t.regex(page, /<link rel="icon" href="data:image\/svg\+xml,/);
      }
    },
  },
  ...cookieFlows(),
  {
    title: 'counter.cgi counts per visitor, with an HttpOnly SameSite=Lax session cookie',
    async run(t, site) {
      const a = client(site);
      const b = client(site);
      const first = await a.get('/cgi-bin/counter.cgi');
      const setCookie = first.headers.get('set-cookie') ?? '';
      t.regex(setCookie, /^sid=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax/);
      const page = await wirePage(t, a, first);
      t.regex(page, /id="count">1</);
      t.is(readWire(page).sessionBefore, '(none: your browser sent no session cookie)');
      t.regex(readWire(page).sessionAfter ?? '', /^id [A-Za-z0-9_-]{8}…\n\{\n {2}"visits": 1\n\}$/);
      const again = (await open(t, a, '/cgi-bin/counter.cgi')).page;
      t.regex(again, /id="count">2</);
      t.regex(readWire(again).sessionBefore ?? '', /"visits": 1/);
      t.regex(readWire(again).sessionAfter ?? '', /"visits": 2/);
      t.regex((await open(t, b, '/cgi-bin/counter.cgi')).page, /id="count">1</);
      t.regex((await open(t, a, '/cgi-bin/counter.cgi')).page, /id="count">3</);
    },
  },
  {
    title: 'counter.cgi: two visitors from one address are told apart by their cookies',
    async run(t, site) {
      const [a, b] = [client(site), client(site)];
      const pageA = (await open(t, a, '/cgi-bin/counter.cgi')).page;
      const pageB = (await open(t, b, '/cgi-bin/counter.cgi')).page;
      t.is(elementText(pageA, 'remote-addr'), elementText(pageB, 'remote-addr'), 'one address');
      t.is(elementText(pageA, 'remote-addr'), '127.0.0.1');
      t.not(elementText(pageA, 'session-id'), elementText(pageB, 'session-id'), 'two sessions');
      t.is(elementText(pageA, 'session-id'), `${(await a.cookie('sid'))!.slice(0, 8)}…`);
    },
  },
  {
    title: 'counter.cgi: a forged or unknown session ID is never adopted',
    async run(t, site) {
      const forged = 'A'.repeat(43);
      const response = await fetchOnce(site.url('/cgi-bin/counter.cgi'), { headers: { cookie: `sid=${forged}` } });
      t.regex(await response.text(), /id="count">1</);
      const id = /sid=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1] ?? '';
      t.regex(id, SESSION_ID);
      t.not(id, forged);
      const traversal = await fetchOnce(site.url('/cgi-bin/counter.cgi'), { headers: { cookie: 'sid=../../../etc/passwd' } });
      t.is(traversal.status, 200);
      t.regex(await traversal.text(), /id="count">1</);
    },
  },
  {
    title: 'counter.cgi: 100 parallel requests with one cookie count to exactly 101',
    heavy: true,
    async run(t, site) {
      const c = client(site);
      await text(await c.get('/cgi-bin/counter.cgi'));
      // 100 processes at once on two cores, beside other test files: a request may wait for the
      // lock longer than its waitMs (8 s) and get the documented answer, 503 with Retry-After,
      // having written nothing. A client that honours it must still be counted exactly once.
      let retried = 0;
      const visit = () => honouringRetryAfter(t, () => c.get('/cgi-bin/counter.cgi'), () => retried++);
      const responses = await Promise.all(Array.from({ length: 100 }, visit));
      const counts = await Promise.all(responses.map(async (r) => Number(/id="count">(\d+)</.exec(await r.text())?.[1])));
      if (retried > 0) t.log(`${retried} of 100 requests answered 503 first and were retried after Retry-After`);
      t.deepEqual(responses.map((r) => r.status).filter((s) => s !== 200), [], 'every request succeeded');
      t.deepEqual([...counts].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i + 2), 'each count seen exactly once');
      t.regex(await text(await c.get('/cgi-bin/counter.cgi')), /id="count">102</);
    },
  },
  ...questionnaireFlows(),
  ...loginFlows(),
  ...cartFlows(),
  ...parkingFlows(),
  ...signedSessionFlows(),
];

function cookieFlows(): DemoFlow[] {
  /** Posts set-cookie.cgi's form as a browser would, with the form token of a GET before. */
  const setFlavor = async (t: ExecutionContext, c: CookieClient, choice: Record<string, string>) => {
    const { token } = await open(t, c, '/cgi-bin/set-cookie.cgi');
    const response = await c.post('/cgi-bin/set-cookie.cgi', { ...choice, _csrf: token });
    t.is(response.status, 200);
    const page = await wirePage(t, c, response);
    return { page, flavor: response.headers.getSetCookie().find((line) => line.startsWith('flavor=')) ?? '' };
  };
  return [
    {
      title: 'set-cookie.cgi then read-cookie.cgi: the jar stores the cookie and sends it back',
      async run(t, site) {
        const c = client(site);
        const shown = await open(t, c, '/cgi-bin/set-cookie.cgi');
        t.is(await c.cookie('flavor', '/cgi-bin/'), undefined, 'a GET sets no flavor');
        t.regex(shown.page, /<form method="post" action="set-cookie\.cgi" id="choose">/);
        const { flavor, page } = await setFlavor(t, c, { flavor: 'ginger', path: '/cgi-bin/', lifetime: 'max-age' });
        t.is(flavor, 'flavor=ginger; Max-Age=3600; Path=/cgi-bin/; HttpOnly; SameSite=Lax');
        t.is(elementText(page, 'set-cookie'), `Set-Cookie: ${flavor}`);
        t.is(await c.cookie('flavor', '/cgi-bin/'), 'ginger');
        t.is(await c.cookie('flavor', '/elsewhere/'), undefined, 'Path=/cgi-bin/ keeps it from other paths');
        t.regex((await open(t, c, '/cgi-bin/read-cookie.cgi')).page, /<strong id="flavor">ginger<\/strong>/);
      },
    },
    {
      title: 'set-cookie.cgi: Path, Expires or a browser-session cookie, and deletion; read-cookie.cgi sees both flavors',
      async run(t, site) {
        const c = client(site);
        await setFlavor(t, c, { flavor: 'ginger', path: '/cgi-bin/', lifetime: 'expires' }).then(({ flavor }) => {
          const expires = /; Expires=([^;]+);/.exec(flavor)?.[1] ?? '';
          t.regex(expires, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/, 'an HTTP date');
          t.true(Date.parse(expires) > Date.now(), 'in the future');
          t.notRegex(flavor, /Max-Age/);
        });
        const { flavor } = await setFlavor(t, c, { flavor: 'oatmeal', path: '/cgi-bin/read-cookie.cgi', lifetime: 'session' });
        t.is(flavor, 'flavor=oatmeal; Path=/cgi-bin/read-cookie.cgi; HttpOnly; SameSite=Lax', 'neither Max-Age nor Expires');
        const read = (await open(t, c, '/cgi-bin/read-cookie.cgi')).page;
        t.regex(readWire(read).cookie, /flavor=oatmeal;.* flavor=ginger/, 'the longer Path first');
        t.regex(read, /<strong id="flavor">oatmeal<\/strong>/, 'the first one is kept');
        t.regex(read, /<td>flavor<\/td><td>ginger<\/td><td>ignored: the first of this name wins<\/td>/);
        const cycle = readWire((await open(t, c, '/cgi-bin/cookie-cycle.cgi')).page).cookie;
        t.regex(cycle, /flavor=ginger/);
        t.notRegex(cycle, /oatmeal/, 'Path=/cgi-bin/read-cookie.cgi does not reach cookie-cycle.cgi');
        const deleted = await setFlavor(t, c, { flavor: 'oatmeal', path: '/cgi-bin/read-cookie.cgi', lifetime: 'delete' });
        t.regex(deleted.flavor, /^flavor=; Max-Age=0; Path=\/cgi-bin\/read-cookie\.cgi;/);
        t.regex((await open(t, c, '/cgi-bin/read-cookie.cgi')).page, /<strong id="flavor">ginger<\/strong>/);
      },
    },
    {
      title: 'set-cookie.cgi: choices not on the form are refused, never echoed into a header',
      async run(t, site) {
        const c = client(site);
        const { token } = await open(t, c, '/cgi-bin/set-cookie.cgi');
        for (const bad of [{ flavor: '<script>' }, { path: '/' }, { lifetime: 'forever' }, { flavor: 'a\r\nSet-Cookie: x=1' }]) {
          const response = await c.post('/cgi-bin/set-cookie.cgi', { flavor: 'ginger', path: '/cgi-bin/', lifetime: 'max-age', ...bad, _csrf: token });
          t.is(response.status, 400, JSON.stringify(bad));
          t.deepEqual(response.headers.getSetCookie(), []);
        }
      },
    },
    {
      title: 'cookie-cycle.cgi: first visit, return visit, the whole header with its cookie marked, deletion by POST',
      async run(t, site) {
        const c = client(site);
        t.regex((await open(t, c, '/cgi-bin/cookie-cycle.cgi')).page, /First visit/);
        const again = await open(t, c, '/cgi-bin/cookie-cycle.cgi');
        t.regex(again.page, /Return visit/);
        t.regex(readWire(again.page).setCookies.join('\n'), /^Set-Cookie: cycle=2; Max-Age=60; Path=\/cgi-bin\//m);
        t.regex(again.page, /<mark>cycle=1<\/mark>/, 'its own cookie is marked');
        t.regex(readWire(again.page).cookie, /csrf=/, 'the other cookies are shown too');
        await text(await c.get('/cgi-bin/cookie-cycle.cgi?action=delete'));
        t.is(await c.cookie('cycle', '/cgi-bin/'), '3', 'a link (GET) deletes nothing');
        const deleted = await c.post('/cgi-bin/cookie-cycle.cgi', { _csrf: again.token });
        t.is(deleted.status, 200);
        t.regex(await wirePage(t, c, deleted), /Max-Age=0/);
        t.is(await c.cookie('cycle', '/cgi-bin/'), undefined);
        t.regex((await open(t, c, '/cgi-bin/cookie-cycle.cgi')).page, /First visit/);
        t.is((await c.post('/cgi-bin/cookie-cycle.cgi', {})).status, 403, 'no token, no deletion');
        t.is(await c.cookie('cycle', '/cgi-bin/'), '1');
      },
    },
  ];
}

function questionnaireFlows(): DemoFlow[] {
  /** Starts (or restarts) the questionnaire as its button does: a POST with the CSRF token. */
  const start = async (t: ExecutionContext, c: CookieClient) => {
    const { token } = await open(t, c, '/cgi-bin/questionnaire.cgi');
    const started = await c.post('/cgi-bin/questionnaire.cgi', { action: 'start', _csrf: token });
    await text(started);
    return started;
  };
  const answer = async (c: CookieClient, form: Record<string, string>) => c.post('/cgi-bin/questionnaire.cgi', form);
  /** The current question's hidden fields, read from the page as a browser would submit them. */
  const current = async (t: ExecutionContext, c: CookieClient) => {
    const { page, token } = await open(t, c, '/cgi-bin/questionnaire.cgi');
    return {
      page, token,
      id: /name="question_id" value="(\d+)"/.exec(page)?.[1] ?? '',
      run: /name="run" value="([^"]+)"/.exec(page)?.[1] ?? '',
    };
  };
  /** A new visitor who started the questionnaire and answered its first question. */
  const answeredOnce = async (t: ExecutionContext, site: DemoSite, value: string) => {
    const c = client(site);
    await start(t, c);
    const q = await current(t, c);
    await text(await answer(c, { question_id: '0', answer: value, run: q.run, _csrf: q.token }));
    return { c, q };
  };
  return [
    {
      title: 'questionnaire.cgi: start, one question per page, then every answer shown escaped',
      async run(t, site) {
        const c = client(site);
        const first = await open(t, c, '/cgi-bin/questionnaire.cgi');
        t.regex(first.page, /id="start-again"/);
        t.regex(first.page, /<form method="post" action="questionnaire\.cgi" id="start">/, 'starting is a form, not a link');
        const started = await start(t, c);
        t.is(started.status, 303);
        const answers = ['Ada <b>Lovelace</b>', '36', 'London & "Marylebone"', '<script>alert(1)</script>'];
        for (const [i, value] of answers.entries()) {
          const q = await current(t, c);
          t.is(q.id, String(i));
          t.regex(q.page, new RegExp(`Question ${i + 1} of 4`));
          const posted = await answer(c, { question_id: q.id, answer: value, run: q.run, _csrf: q.token });
          t.is(posted.status, 303);
          t.is(posted.headers.get('location')?.replace(/^.*\//, ''), 'questionnaire.cgi');
        }
        const results = await text(await c.get('/cgi-bin/questionnaire.cgi'));
        t.regex(results, /<dt>What is your name\?<\/dt><dd>Ada &lt;b&gt;Lovelace&lt;\/b&gt;<\/dd>/);
        t.regex(results, /<dd>London &amp; &quot;Marylebone&quot;<\/dd>/);
        t.regex(results, /<dd>&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/dd>/);
        t.notRegex(results, /<script>/);
      },
    },
    {
      title: 'questionnaire.cgi: double submit, back button and replay keep the first answer',
      async run(t, site) {
        const c = client(site);
        await start(t, c);
        const q = await current(t, c);
        const form = { question_id: q.id, answer: 'first', run: q.run, _csrf: q.token };
        await text(await answer(c, form));
        const again = await answer(c, { ...form, answer: 'second' });
        t.is(again.status, 303);
        t.regex(again.headers.get('location') ?? '', /note=already-answered/);
        const next = await text(await c.get(`/cgi-bin/questionnaire.cgi?note=already-answered`));
        t.regex(next, /answered already/);
        t.regex(next, /Question 2 of 4/);
        for (const value of ['2', 'x', 'y']) {
          const step = await current(t, c);
          await text(await answer(c, { question_id: step.id, answer: value, run: step.run, _csrf: step.token }));
        }
        t.regex(await text(await c.get('/cgi-bin/questionnaire.cgi')), /<dd>first<\/dd>/);
      },
    },
    {
      title: 'questionnaire.cgi: skipped and out-of-range questions, empty answers',
      async run(t, site) {
        const c = client(site);
        await start(t, c);
        const q = await current(t, c);
        const skip = await answer(c, { question_id: '2', answer: 'x', run: q.run, _csrf: q.token });
        t.regex(skip.headers.get('location') ?? '', /note=skipped/);
        for (const id of ['4', '99999', '-1', 'abc', '']) {
          const bad = await answer(c, { question_id: id, answer: 'x', run: q.run, _csrf: q.token });
          t.is(bad.status, 400, `question_id ${JSON.stringify(id)}`);
        }
        const empty = await answer(c, { question_id: '0', answer: '   ', run: q.run, _csrf: q.token });
        t.regex(empty.headers.get('location') ?? '', /note=empty/);
        t.is((await current(t, c)).id, '0', 'nothing was recorded');
      },
    },
    {
      title: 'questionnaire.cgi: a new start mid-way begins again, and the old form is recognized',
      async run(t, site) {
        const { c, q } = await answeredOnce(t, site, 'old');
        await start(t, c);
        const fresh = await current(t, c);
        t.is(fresh.id, '0');
        const replay = await answer(c, { question_id: '0', answer: 'old form', run: q.run, _csrf: fresh.token });
        t.regex(replay.headers.get('location') ?? '', /note=old-form/);
        t.is((await current(t, c)).id, '0');
      },
    },
    {
      title: 'questionnaire.cgi: a link (GET ?start=1) or a start without the token wipes nothing',
      async run(t, site) {
        const { c } = await answeredOnce(t, site, 'kept');
        const linked = await open(t, c, '/cgi-bin/questionnaire.cgi?start=1');
        t.is(linked.status, 200);
        t.regex(linked.page, /Question 2 of 4/);
        t.is((await c.post('/cgi-bin/questionnaire.cgi', { action: 'start' })).status, 403);
        t.is((await c.post('/cgi-bin/questionnaire.cgi', { action: 'start', _csrf: 'A'.repeat(43) })).status, 403);
        const after = await current(t, c);
        t.is(after.id, '1', 'the first answer stands');
        t.regex(readWire(after.page).sessionAfter ?? '', /"answers": \[\n\s+"kept"\n\s+\]/);
        t.regex(readWire(after.page).sessionAfter ?? '', /"_csrf": "\(CSRF token, hidden\)"/, 'the token is masked in the panel');
      },
    },
    {
      title: 'questionnaire.cgi: missing or wrong CSRF token is refused with 403',
      async run(t, site) {
        const c = client(site);
        await start(t, c);
        const q = await current(t, c);
        t.is((await answer(c, { question_id: '0', answer: 'x', run: q.run })).status, 403);
        t.is((await answer(c, { question_id: '0', answer: 'x', run: q.run, _csrf: 'A'.repeat(43) })).status, 403);
        t.is((await current(t, c)).id, '0');
      },
    },
    {
      title: 'questionnaire.cgi: no cookie, a forged cookie or an expired session get a clear start-again page',
      async run(t, site) {
        const none = await fetchOnce(site.url('/cgi-bin/questionnaire.cgi'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'question_id=0&answer=x' });
        t.is(none.status, 409);
        t.regex(await none.text(), /id="start-again"/);
        t.deepEqual(none.headers.getSetCookie(), [], 'an answer posted without a session makes none (no cookie to replace the visitor\'s)');
        const forged = await fetchOnce(site.url('/cgi-bin/questionnaire.cgi'), { headers: { cookie: `sid=${'Q'.repeat(43)}` } });
        t.regex(await forged.text(), /id="start-again"/);
        const c = client(site);
        await start(t, c);
        const id = await c.cookie('sid');
        t.regex(id ?? '', SESSION_ID);
        await ageSession(site, id!, 31 * 60 * 1000); // Past the 30-minute idle timeout.
        t.regex((await current(t, c)).page, /id="start-again"/, 'expired');
        await start(t, c);
        const second = await c.cookie('sid');
        await rm(join(site.sessionsDir, `${second}.json`));
        t.regex((await current(t, c)).page, /id="start-again"/, 'deleted');
      },
    },
  ];
}

function loginFlows(): DemoFlow[] {
  const login = async (t: ExecutionContext, c: CookieClient, username: string, password: string, token?: string) => {
    const csrf = token ?? (await open(t, c, '/cgi-bin/login.cgi')).token;
    return c.post('/cgi-bin/login.cgi', { action: 'login', username, password, _csrf: csrf });
  };
  return [
    {
      title: 'login.cgi: log in renews the session ID, members page, log out destroys the session',
      async run(t, site) {
        const c = client(site);
        const members = await c.get('/cgi-bin/login.cgi?page=members');
        t.is(members.status, 401);
        await text(members);
        const before = await c.cookie('sid');
        t.regex(before ?? '', SESSION_ID, 'the log-in form opened a session for its CSRF token');
        const response = await login(t, c, 'ada', 'analytical-engine');
        t.is(response.status, 303);
        const after = await c.cookie('sid');
        t.regex(after ?? '', SESSION_ID);
        t.not(after, before, 'a new session ID at log-in');
        t.false((await sessionFiles(site)).includes(`${before}.json`), 'the old session file is gone');
        const page = await open(t, c, '/cgi-bin/login.cgi?page=members');
        t.is(page.status, 200);
        t.regex(page.page, /members' page, <strong>ada<\/strong>/);
        t.is(elementText(page.page, 'id-before'), `${before!.slice(0, 8)}…`, 'the ID before log-in, shortened');
        t.is(elementText(page.page, 'id-after'), `${after!.slice(0, 8)}…`, 'and the ID now');
        t.regex(readWire(page.page).sessionAfter ?? '', /"user": "ada"/);
        const out = await c.post('/cgi-bin/login.cgi', { action: 'logout', _csrf: page.token });
        t.is(out.status, 303);
        t.regex(out.headers.get('set-cookie') ?? '', /^sid=; Max-Age=0/);
        t.false((await sessionFiles(site)).includes(`${after}.json`), 'the session file is gone');
        const loggedOut = await open(t, c, '/cgi-bin/login.cgi?note=logged-out');
        t.regex(loggedOut.page, /id="logged-out"[^>]*>[^<]*<?[\s\S]*CSRF token has to live in a session/, 'the page says why a new session exists');
        t.is(readWire(loggedOut.page).sessionBefore, '(none: your browser sent no session cookie)');
        t.regex(readWire(loggedOut.page).sessionAfter ?? '', /^id \S+\n\{\n {2}"_csrf": "\(CSRF token, hidden\)"\n\}$/, 'it holds the token alone');
        t.is((await c.get('/cgi-bin/login.cgi?page=members')).status, 401);
        // The old ID, replayed by someone who kept it, opens nothing.
        const replay = await fetchOnce(site.url('/cgi-bin/login.cgi?page=members'), { headers: { cookie: `sid=${after}` } });
        t.is(replay.status, 401);
      },
    },
    {
      title: 'login.cgi: wrong password and unknown user get the same 401 answer',
      async run(t, site) {
        const wrong = await login(t, client(site), 'ada', 'not-it');
        const unknown = await login(t, client(site), 'nobody', 'not-it');
        t.is(wrong.status, 401);
        t.is(unknown.status, 401);
        const message = (page: string) => /<p class="error" id="error">([^<]*)<\/p>/.exec(page)?.[1];
        t.is(message(await wrong.text()), 'Wrong user name or password.');
        t.is(message(await unknown.text()), 'Wrong user name or password.');
      },
    },
    {
      title: 'login.cgi: a log-in without the CSRF token is refused with 403',
      async run(t, site) {
        const c = client(site);
        await open(t, c, '/cgi-bin/login.cgi');
        t.is((await c.post('/cgi-bin/login.cgi', { action: 'login', username: 'ada', password: 'analytical-engine' })).status, 403);
      },
    },
  ];
}

function cartFlows(): DemoFlow[] {
  const post = async (t: ExecutionContext, c: CookieClient, form: Record<string, string>) => {
    const { token } = await open(t, c, '/cgi-bin/cart.cgi');
    return c.post('/cgi-bin/cart.cgi', { ...form, _csrf: token });
  };
  const total = async (t: ExecutionContext, c: CookieClient) => /<th id="total">([^<]+)<\/th>/.exec((await open(t, c, '/cgi-bin/cart.cgi')).page)?.[1];
  return [
    {
      title: 'cart.cgi: add, change quantity, remove, empty; totals computed on the server',
      async run(t, site) {
        const c = client(site);
        t.regex((await open(t, c, '/cgi-bin/cart.cgi')).page, /id="empty"/);
        t.is((await post(t, c, { action: 'add', id: 'shortbread', price: '0' })).status, 303);
        await post(t, c, { action: 'add', id: 'ginger-snaps' });
        await post(t, c, { action: 'add', id: 'ginger-snaps' });
        t.is(await total(t, c), '$21.00');
        await post(t, c, { action: 'set', id: 'ginger-snaps', quantity: '5' });
        t.is(await total(t, c), '$34.50');
        await post(t, c, { action: 'remove', id: 'shortbread' });
        t.is(await total(t, c), '$22.50');
        await post(t, c, { action: 'empty' });
        t.regex((await open(t, c, '/cgi-bin/cart.cgi')).page, /id="empty"/);
      },
    },
    {
      title: 'cart.cgi: unknown items, bad quantities and missing tokens are refused',
      async run(t, site) {
        const c = client(site);
        for (const id of ['caviar', '__proto__', '<b>', '']) t.is((await post(t, c, { action: 'add', id })).status, 400, id);
        for (const quantity of ['-1', '100', '1.5', 'lots', '']) t.is((await post(t, c, { action: 'set', id: 'shortbread', quantity })).status, 400, quantity);
        t.is((await post(t, c, { action: 'steal', id: 'shortbread' })).status, 400);
        t.is((await c.post('/cgi-bin/cart.cgi', { action: 'add', id: 'shortbread' })).status, 403);
        t.regex((await open(t, c, '/cgi-bin/cart.cgi')).page, /id="empty"/);
      },
    },
  ];
}

function parkingFlows(): DemoFlow[] {
  /** Posts the gate's form, with the token of the page before, as its buttons do. */
  const act = async (t: ExecutionContext, c: CookieClient, action: string) => {
    const { token } = await open(t, c, '/cgi-bin/parking.cgi');
    return c.post('/cgi-bin/parking.cgi', { action, _csrf: token });
  };
  const forge = (site: DemoSite, ticket: string, action = 'leave') => fetchOnce(site.url('/cgi-bin/parking.cgi'), {
    method: 'POST', headers: { cookie: `ticket=${ticket}`, 'content-type': 'application/x-www-form-urlencoded' }, body: `action=${action}`,
  });
  return [
    {
      title: 'parking.cgi: take a ticket, see the fee, pay and leave, every step a POST then a redirect',
      async run(t, site) {
        const c = client(site);
        t.regex((await open(t, c, '/cgi-bin/parking.cgi')).page, /id="gate"/);
        const enter = await act(t, c, 'enter');
        t.is(enter.status, 303);
        const ticket = await c.cookie('ticket', '/cgi-bin/');
        t.regex(ticket ?? '', /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
        t.is((await act(t, c, 'enter')).status, 303);
        t.is(await c.cookie('ticket', '/cgi-bin/'), ticket, 'a second enter (a resent form) keeps the one ticket');
        const gate = (await open(t, c, '/cgi-bin/parking.cgi')).page;
        t.regex(gate, /id="fee">\$0\.00</);
        t.regex(gate, /<mark>ticket=/);
        const leave = await act(t, c, 'leave');
        t.is(leave.status, 303);
        t.is(leave.headers.get('location'), 'parking.cgi');
        t.is(await c.cookie('ticket', '/cgi-bin/'), undefined, 'the exit takes the ticket');
        t.truthy(await c.cookie('receipt', '/cgi-bin/parking.cgi'), 'and hands a receipt, for this script only');
        t.is(await c.cookie('receipt', '/cgi-bin/cookie-cycle.cgi'), undefined);
        for (const reload of [1, 2]) {
          const receipt = await open(t, c, '/cgi-bin/parking.cgi');
          t.is(receipt.status, 200);
          t.regex(receipt.page, /id="paid">\$0\.00</, `the receipt, on reload ${reload}`);
        }
        t.is((await act(t, c, 'leave')).status, 303, 'leaving again (a resent form) is harmless');
        t.regex((await open(t, c, '/cgi-bin/parking.cgi')).page, /id="paid">\$0\.00</);
      },
    },
    {
      title: 'parking.cgi: a spent ticket is refused, also when two exits race with copies of it',
      async run(t, site) {
        const c = client(site);
        await text(await act(t, c, 'enter'));
        const ticket = (await c.cookie('ticket', '/cgi-bin/'))!;
        const { token } = await open(t, c, '/cgi-bin/parking.cgi');
        // Two exits at once with the same ticket and token: exactly one may pass.
        const exits = await Promise.all([1, 2].map(() => fetchOnce(site.url('/cgi-bin/parking.cgi'), {
          method: 'POST',
          headers: { cookie: `ticket=${ticket}; csrf=${c.lastCookieSent?.match(/csrf=([^;]+)/)?.[1] ?? ''}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ action: 'leave', _csrf: token }).toString(),
        })));
        t.deepEqual(exits.map((r) => r.status).sort(), [303, 403]);
        const replay = await fetchOnce(site.url('/cgi-bin/parking.cgi'), { headers: { cookie: `ticket=${ticket}` } });
        t.is(replay.status, 403);
        t.regex(replay.headers.get('set-cookie') ?? '', /^ticket=; Max-Age=0/, 'and taken back');
        t.regex(await replay.text(), /id="spent"/);
        t.is((await forge(site, ticket)).status, 403, 'leaving with it again');
        const marks = await readdir(join(site.sessionsDir, 'parking-spent'));
        t.true(marks.includes(JSON.parse(Buffer.from(ticket.split('.')[0]!, 'base64url').toString()).id), 'its id is kept as spent');
      },
    },
    {
      title: 'parking.cgi: a tampered ticket is refused and taken back',
      async run(t, site) {
        const c = client(site);
        await text(await act(t, c, 'enter'));
        const ticket = (await c.cookie('ticket', '/cgi-bin/')) ?? '';
        const [payload = '', mac = ''] = ticket.split('.');
        const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { enteredAt: number };
        const earlier = Buffer.from(JSON.stringify({ ...decoded, enteredAt: decoded.enteredAt + 3_600_000 })).toString('base64url');
        for (const forged of [`${earlier}.${mac}`, `${payload}.${'A'.repeat(43)}`, payload, `${payload}.`, 'garbage']) {
          const response = await forge(site, forged);
          t.is(response.status, 403, forged);
          t.regex(response.headers.get('set-cookie') ?? '', /^ticket=; Max-Age=0/);
          t.regex(await response.text(), /not issued by this garage/);
        }
      },
    },
    {
      title: 'parking.cgi: entering or leaving without the form token changes nothing',
      async run(t, site) {
        const c = client(site);
        const refused = await c.post('/cgi-bin/parking.cgi', { action: 'enter' });
        t.is(refused.status, 403);
        t.is(await c.cookie('ticket', '/cgi-bin/'), undefined);
        await text(await act(t, c, 'enter'));
        const ticket = await c.cookie('ticket', '/cgi-bin/');
        t.is((await c.post('/cgi-bin/parking.cgi', { action: 'leave', _csrf: 'x' })).status, 403);
        t.is(await c.cookie('ticket', '/cgi-bin/'), ticket, 'still parked with the same ticket');
      },
    },
  ];
}

function signedSessionFlows(): DemoFlow[] {
  return [
    {
      title: 'signed-session.cgi: a note kept both ways; the signed cookie is readable, an edit is refused',
      async run(t, site) {
        const c = client(site);
        const first = await open(t, c, '/cgi-bin/signed-session.cgi');
        t.is((await c.post('/cgi-bin/signed-session.cgi', { action: 'add', note: 'Ginger <snaps>', _csrf: first.token })).status, 303);
        const both = await open(t, c, '/cgi-bin/signed-session.cgi');
        t.is(elementText(both.page, 'cookie-notes'), 'Ginger <snaps>');
        t.is(elementText(both.page, 'server-notes'), 'Ginger <snaps>');
        t.is(elementText(both.page, 'readable'), '["Ginger <snaps>"]', 'the client can read the signed cookie');
        const signed = (await c.cookie('notes', '/cgi-bin/signed-session.cgi'))!;
        t.is(Number(elementText(both.page, 'signed-bytes')), 'notes='.length + signed.length);
        t.is(Number(elementText(both.page, 'sid-bytes')), 47);
        const edited = /<textarea name="value"[^>]*>([^<]*)<\/textarea>/.exec(both.page)?.[1] ?? '';
        const check = async (value: string) => {
          const response = await c.post('/cgi-bin/signed-session.cgi', { action: 'check', value, _csrf: both.token });
          t.is(response.status, 200);
          return elementText(await wirePage(t, c, response), 'check-result') ?? '';
        };
        t.regex(await check(edited.replace(/&quot;/g, '"')), /^Refused/);
        t.regex(await check(signed), /^Accepted/);
        t.is(await c.cookie('notes', '/cgi-bin/index.cgi'), undefined, 'its Path keeps it to this one script');
        t.is((await c.post('/cgi-bin/signed-session.cgi', { action: 'clear', _csrf: both.token })).status, 303);
        t.is(await c.cookie('notes', '/cgi-bin/signed-session.cgi'), undefined);
        t.is(elementText((await open(t, c, '/cgi-bin/signed-session.cgi')).page, 'server-notes'), '');
      },
    },
    {
      title: 'signed-session.cgi: past 4 KB the cookie stops growing, the server session does not',
      async run(t, site) {
        const c = client(site);
        const { token } = await open(t, c, '/cgi-bin/signed-session.cgi');
        const note = 'x'.repeat(200);
        let location = '';
        for (let i = 0; i < 20 && !location.includes('too-big'); i++) {
          location = (await c.post('/cgi-bin/signed-session.cgi', { action: 'add', note, _csrf: token })).headers.get('location') ?? '';
        }
        t.regex(location, /note=too-big/);
        const page = (await open(t, c, '/cgi-bin/signed-session.cgi?note=too-big')).page;
        t.true(Number(elementText(page, 'signed-bytes')) <= 4096);
        const count = (id: string) => new RegExp(`<ol id="${id}">([\\s\\S]*?)</ol>`).exec(page)?.[1]?.split('<li>').length ?? 0;
        t.is(count('server-notes'), count('cookie-notes') + 1, 'the server took the note the cookie could not');
      },
    },
  ];
}

/** Rewrites a session file's times, as if it had been idle (or alive) for `ageMs`. */
export async function ageSession(site: DemoSite, id: string, ageMs: number): Promise<void> {
  const file = join(site.sessionsDir, `${id}.json`);
  const record = JSON.parse(await readFile(file, 'utf8')) as { createdAt: number; touchedAt: number };
  await writeFile(file, JSON.stringify({ ...record, createdAt: record.createdAt - ageMs, touchedAt: record.touchedAt - ageMs }));
}
