// Every demo's flow, walked with a real cookie jar through a running server: the local CGI host,
// Apache and lighttpd all run this same table (see test/host and test/servers), so a demo is
// proven the same way everywhere it is served.

import type { ExecutionContext } from 'ava';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CookieClient, fetchOnce } from '../helpers/http-client.js';

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

const CSRF = /name="_csrf" value="([A-Za-z0-9_-]+)"/;
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

function client(site: DemoSite): CookieClient {
  return new CookieClient(site.url('/'));
}

async function text(response: Response): Promise<string> {
  return response.text();
}

/** GETs a page and returns its text and the CSRF token of its forms. */
async function open(c: CookieClient, path: string): Promise<{ page: string; token: string; status: number }> {
  const response = await c.get(path);
  const page = await text(response);
  return { page, token: CSRF.exec(page)?.[1] ?? '', status: response.status };
}

async function sessionFiles(site: DemoSite): Promise<string[]> {
  return (await readdir(site.sessionsDir).catch(() => [])).filter((name) => name.endsWith('.json'));
}

export const DEMO_FLOWS: DemoFlow[] = [
  {
    title: 'index.cgi links every demo, and / leads there',
    async run(t, site) {
      const page = await text(await fetchOnce(site.url('/cgi-bin/index.cgi')));
      for (const demo of ['hello', 'set-cookie', 'read-cookie', 'cookie-cycle', 'counter', 'questionnaire', 'login', 'cart', 'parking', 'error']) {
        t.regex(page, new RegExp(`href="${demo}\\.cgi`), demo);
      }
    },
  },
  {
    title: 'set-cookie.cgi then read-cookie.cgi: the jar stores the cookie and sends it back',
    async run(t, site) {
      const c = client(site);
      await text(await c.get('/cgi-bin/set-cookie.cgi?flavor=ginger'));
      t.is(await c.cookie('flavor', '/cgi-bin/'), 'ginger');
      t.is(await c.cookie('flavor', '/elsewhere/'), undefined, 'Path=/cgi-bin/ keeps it from other paths');
      t.regex(await text(await c.get('/cgi-bin/read-cookie.cgi')), /<strong id="flavor">ginger<\/strong>/);
    },
  },
  {
    title: 'cookie-cycle.cgi: first visit, return visit, deletion',
    async run(t, site) {
      const c = client(site);
      t.regex(await text(await c.get('/cgi-bin/cookie-cycle.cgi')), /First visit/);
      const again = await text(await c.get('/cgi-bin/cookie-cycle.cgi'));
      t.regex(again, /Cookie: cycle=1/);
      t.regex(again, /Set-Cookie: cycle=2; Max-Age=60/);
      await text(await c.get('/cgi-bin/cookie-cycle.cgi?action=delete'));
      t.is(await c.cookie('cycle', '/cgi-bin/'), undefined);
      t.regex(await text(await c.get('/cgi-bin/cookie-cycle.cgi')), /First visit/);
    },
  },
  {
    title: 'counter.cgi counts per visitor, with an HttpOnly SameSite=Lax session cookie',
    async run(t, site) {
      const a = client(site);
      const b = client(site);
      const first = await a.get('/cgi-bin/counter.cgi');
      const setCookie = first.headers.get('set-cookie') ?? '';
      t.regex(setCookie, /^sid=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax/);
      t.regex(await text(first), /id="count">1</);
      t.regex(await text(await a.get('/cgi-bin/counter.cgi')), /id="count">2</);
      t.regex(await text(await b.get('/cgi-bin/counter.cgi')), /id="count">1</);
      t.regex(await text(await a.get('/cgi-bin/counter.cgi')), /id="count">3</);
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
      const visit = async (): Promise<Response> => {
        for (let attempt = 1; ; attempt++) {
          const response = await c.get('/cgi-bin/counter.cgi');
          if (response.status !== 503 || attempt === 3) return response;
          retried++;
          await response.arrayBuffer();
          const seconds = Number(response.headers.get('retry-after'));
          t.true(seconds > 0 && seconds <= 60, `503 with Retry-After: ${response.headers.get('retry-after')}`);
          await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
        }
      };
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
];

function questionnaireFlows(): DemoFlow[] {
  const start = async (c: CookieClient) => {
    const started = await c.get('/cgi-bin/questionnaire.cgi?start=1');
    await text(started);
    return started;
  };
  const answer = async (c: CookieClient, form: Record<string, string>) => c.post('/cgi-bin/questionnaire.cgi', form);
  /** The current question's hidden fields, read from the page as a browser would submit them. */
  const current = async (c: CookieClient) => {
    const { page, token } = await open(c, '/cgi-bin/questionnaire.cgi');
    return {
      page, token,
      id: /name="question_id" value="(\d+)"/.exec(page)?.[1] ?? '',
      run: /name="run" value="([^"]+)"/.exec(page)?.[1] ?? '',
    };
  };
  return [
    {
      title: 'questionnaire.cgi: start, one question per page, then every answer shown escaped',
      async run(t, site) {
        const c = client(site);
        const started = await start(c);
        t.is(started.status, 303);
        const answers = ['Ada <b>Lovelace</b>', '36', 'London & "Marylebone"', '<script>alert(1)</script>'];
        for (const [i, value] of answers.entries()) {
          const q = await current(c);
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
        await start(c);
        const q = await current(c);
        const form = { question_id: q.id, answer: 'first', run: q.run, _csrf: q.token };
        await text(await answer(c, form));
        const again = await answer(c, { ...form, answer: 'second' });
        t.is(again.status, 303);
        t.regex(again.headers.get('location') ?? '', /note=already-answered/);
        const next = await text(await c.get(`/cgi-bin/questionnaire.cgi?note=already-answered`));
        t.regex(next, /answered already/);
        t.regex(next, /Question 2 of 4/);
        for (const value of ['2', 'x', 'y']) {
          const step = await current(c);
          await text(await answer(c, { question_id: step.id, answer: value, run: step.run, _csrf: step.token }));
        }
        t.regex(await text(await c.get('/cgi-bin/questionnaire.cgi')), /<dd>first<\/dd>/);
      },
    },
    {
      title: 'questionnaire.cgi: skipped and out-of-range questions, empty answers',
      async run(t, site) {
        const c = client(site);
        await start(c);
        const q = await current(c);
        const skip = await answer(c, { question_id: '2', answer: 'x', run: q.run, _csrf: q.token });
        t.regex(skip.headers.get('location') ?? '', /note=skipped/);
        for (const id of ['4', '99999', '-1', 'abc', '']) {
          const bad = await answer(c, { question_id: id, answer: 'x', run: q.run, _csrf: q.token });
          t.is(bad.status, 400, `question_id ${JSON.stringify(id)}`);
        }
        const empty = await answer(c, { question_id: '0', answer: '   ', run: q.run, _csrf: q.token });
        t.regex(empty.headers.get('location') ?? '', /note=empty/);
        t.is((await current(c)).id, '0', 'nothing was recorded');
      },
    },
    {
      title: 'questionnaire.cgi: a new start mid-way begins again, and the old form is recognized',
      async run(t, site) {
        const c = client(site);
        await start(c);
        const q = await current(c);
        await text(await answer(c, { question_id: '0', answer: 'old', run: q.run, _csrf: q.token }));
        await start(c);
        const fresh = await current(c);
        t.is(fresh.id, '0');
        const replay = await answer(c, { question_id: '0', answer: 'old form', run: q.run, _csrf: fresh.token });
        t.regex(replay.headers.get('location') ?? '', /note=old-form/);
        t.is((await current(c)).id, '0');
      },
    },
    {
      title: 'questionnaire.cgi: missing or wrong CSRF token is refused with 403',
      async run(t, site) {
        const c = client(site);
        await start(c);
        const q = await current(c);
        t.is((await answer(c, { question_id: '0', answer: 'x', run: q.run })).status, 403);
        t.is((await answer(c, { question_id: '0', answer: 'x', run: q.run, _csrf: 'A'.repeat(43) })).status, 403);
        t.is((await current(c)).id, '0');
      },
    },
    {
      title: 'questionnaire.cgi: no cookie, a forged cookie or an expired session get a clear start-again page',
      async run(t, site) {
        const none = await fetchOnce(site.url('/cgi-bin/questionnaire.cgi'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'question_id=0&answer=x' });
        t.is(none.status, 409);
        t.regex(await none.text(), /id="start-again"/);
        const forged = await fetchOnce(site.url('/cgi-bin/questionnaire.cgi'), { headers: { cookie: `sid=${'Q'.repeat(43)}` } });
        t.regex(await forged.text(), /id="start-again"/);
        const c = client(site);
        await start(c);
        const id = await c.cookie('sid');
        t.regex(id ?? '', SESSION_ID);
        await ageSession(site, id!, 31 * 60 * 1000); // Past the 30-minute idle timeout.
        t.regex((await current(c)).page, /id="start-again"/, 'expired');
        await start(c);
        const second = await c.cookie('sid');
        await rm(join(site.sessionsDir, `${second}.json`));
        t.regex((await current(c)).page, /id="start-again"/, 'deleted');
      },
    },
  ];
}

function loginFlows(): DemoFlow[] {
  const login = async (c: CookieClient, username: string, password: string, token?: string) => {
    const csrf = token ?? (await open(c, '/cgi-bin/login.cgi')).token;
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
        const response = await login(c, 'ada', 'analytical-engine');
        t.is(response.status, 303);
        const after = await c.cookie('sid');
        t.regex(after ?? '', SESSION_ID);
        t.not(after, before, 'a new session ID at log-in');
        t.false((await sessionFiles(site)).includes(`${before}.json`), 'the old session file is gone');
        const page = await open(c, '/cgi-bin/login.cgi?page=members');
        t.is(page.status, 200);
        t.regex(page.page, /members' page, <strong>ada<\/strong>/);
        const out = await c.post('/cgi-bin/login.cgi', { action: 'logout', _csrf: page.token });
        t.is(out.status, 303);
        t.regex(out.headers.get('set-cookie') ?? '', /^sid=; Max-Age=0/);
        t.false((await sessionFiles(site)).includes(`${after}.json`), 'the session file is gone');
        t.is((await c.get('/cgi-bin/login.cgi?page=members')).status, 401);
        // The old ID, replayed by someone who kept it, opens nothing.
        const replay = await fetchOnce(site.url('/cgi-bin/login.cgi?page=members'), { headers: { cookie: `sid=${after}` } });
        t.is(replay.status, 401);
      },
    },
    {
      title: 'login.cgi: wrong password and unknown user get the same 401 answer',
      async run(t, site) {
        const wrong = await login(client(site), 'ada', 'not-it');
        const unknown = await login(client(site), 'nobody', 'not-it');
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
        await open(c, '/cgi-bin/login.cgi');
        t.is((await c.post('/cgi-bin/login.cgi', { action: 'login', username: 'ada', password: 'analytical-engine' })).status, 403);
      },
    },
  ];
}

function cartFlows(): DemoFlow[] {
  const post = async (c: CookieClient, form: Record<string, string>) => {
    const { token } = await open(c, '/cgi-bin/cart.cgi');
    return c.post('/cgi-bin/cart.cgi', { ...form, _csrf: token });
  };
  const total = async (c: CookieClient) => /<th id="total">([^<]+)<\/th>/.exec((await open(c, '/cgi-bin/cart.cgi')).page)?.[1];
  return [
    {
      title: 'cart.cgi: add, change quantity, remove, empty; totals computed on the server',
      async run(t, site) {
        const c = client(site);
        t.regex((await open(c, '/cgi-bin/cart.cgi')).page, /id="empty"/);
        t.is((await post(c, { action: 'add', id: 'shortbread', price: '0' })).status, 303);
        await post(c, { action: 'add', id: 'ginger-snaps' });
        await post(c, { action: 'add', id: 'ginger-snaps' });
        t.is(await total(c), '$21.00');
        await post(c, { action: 'set', id: 'ginger-snaps', quantity: '5' });
        t.is(await total(c), '$34.50');
        await post(c, { action: 'remove', id: 'shortbread' });
        t.is(await total(c), '$22.50');
        await post(c, { action: 'empty' });
        t.regex((await open(c, '/cgi-bin/cart.cgi')).page, /id="empty"/);
      },
    },
    {
      title: 'cart.cgi: unknown items, bad quantities and missing tokens are refused',
      async run(t, site) {
        const c = client(site);
        for (const id of ['caviar', '__proto__', '<b>', '']) t.is((await post(c, { action: 'add', id })).status, 400, id);
        for (const quantity of ['-1', '100', '1.5', 'lots', '']) t.is((await post(c, { action: 'set', id: 'shortbread', quantity })).status, 400, quantity);
        t.is((await post(c, { action: 'steal', id: 'shortbread' })).status, 400);
        t.is((await c.post('/cgi-bin/cart.cgi', { action: 'add', id: 'shortbread' })).status, 403);
        t.regex((await open(c, '/cgi-bin/cart.cgi')).page, /id="empty"/);
      },
    },
  ];
}

function parkingFlows(): DemoFlow[] {
  return [
    {
      title: 'parking.cgi: take a ticket, see the fee, pay and leave',
      async run(t, site) {
        const c = client(site);
        t.regex(await text(await c.get('/cgi-bin/parking.cgi')), /id="gate"/);
        const enter = await c.post('/cgi-bin/parking.cgi', { action: 'enter' });
        t.is(enter.status, 303);
        const ticket = await c.cookie('ticket', '/cgi-bin/');
        t.regex(ticket ?? '', /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
        const gate = await text(await c.get('/cgi-bin/parking.cgi'));
        t.regex(gate, /id="fee">\$0\.00</);
        const leave = await c.post('/cgi-bin/parking.cgi', { action: 'leave' });
        t.is(leave.status, 200);
        t.regex(await leave.text(), /id="paid">\$0\.00</);
        t.is(await c.cookie('ticket', '/cgi-bin/'), undefined);
      },
    },
    {
      title: 'parking.cgi: a tampered ticket is refused and taken back',
      async run(t, site) {
        const c = client(site);
        await text(await c.post('/cgi-bin/parking.cgi', { action: 'enter' }));
        const ticket = (await c.cookie('ticket', '/cgi-bin/')) ?? '';
        const [payload = '', mac = ''] = ticket.split('.');
        const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { number: number; enteredAt: number };
        const earlier = Buffer.from(JSON.stringify({ ...decoded, enteredAt: decoded.enteredAt + 3_600_000 })).toString('base64url');
        for (const forged of [`${earlier}.${mac}`, `${payload}.${'A'.repeat(43)}`, payload, `${payload}.`, 'garbage']) {
          const response = await fetchOnce(site.url('/cgi-bin/parking.cgi'), { method: 'POST', headers: { cookie: `ticket=${forged}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=leave' });
          t.is(response.status, 403, forged);
          t.regex(response.headers.get('set-cookie') ?? '', /^ticket=; Max-Age=0/);
          t.regex(await response.text(), /not issued by this garage/);
        }
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
