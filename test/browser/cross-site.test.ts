// Cross-site request forgery, tried in a real browser: a visitor with state in every demo (a
// questionnaire under way, a parking ticket, a flavor cookie, a cart, a log-in, signed notes)
// opens pages of another site, served from 127.0.0.2 against the demos on 127.0.0.1 (another
// site to Chromium), which link to the demos and auto-submit forms to them. Nothing may change:
// every change is a POST with a token the other site cannot read, and no answer to its forms
// sets a cookie that would replace the visitor's. Headless Chromium through playwright-core,
// Apache with the shipped configuration; without them the suite fails on CI and is skipped,
// loudly, elsewhere.

import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { escapeHtml } from '../../src/base/html.js';
import { CHROMIUM_PACKAGE, isChromiumInstalled, launchChromium } from '../helpers/browser.js';
import { isInstalled, PACKAGES, startApache, type RunningServer } from '../helpers/servers.js';

const TITLE = 'browser: links and auto-submitted forms from another site change nothing in any demo';
/** The other site's address: loopback, so no network is needed, but another site to the browser. */
const OTHER_SITE_HOST = '127.0.0.2';
const ACTION_TIMEOUT_MS = 10000;

/** What the other site tries: links to follow, and forms it submits by itself on load. */
const ATTACKS: ReadonlyArray<{ to: string; fields?: Record<string, string> }> = [
  { to: '/cgi-bin/questionnaire.cgi?start=1' },
  { to: '/cgi-bin/cookie-cycle.cgi?action=delete' },
  { to: '/cgi-bin/set-cookie.cgi?flavor=oatmeal&path=/cgi-bin/&lifetime=max-age' },
  { to: '/cgi-bin/questionnaire.cgi', fields: { action: 'start' } },
  { to: '/cgi-bin/questionnaire.cgi', fields: { question_id: '1', answer: 'forged', run: 'x' } },
  { to: '/cgi-bin/parking.cgi', fields: { action: 'enter' } },
  { to: '/cgi-bin/parking.cgi', fields: { action: 'leave' } },
  { to: '/cgi-bin/set-cookie.cgi', fields: { flavor: 'oatmeal', path: '/cgi-bin/', lifetime: 'max-age' } },
  { to: '/cgi-bin/cookie-cycle.cgi', fields: {} },
  { to: '/cgi-bin/cart.cgi', fields: { action: 'empty' } },
  { to: '/cgi-bin/login.cgi', fields: { action: 'logout' } },
  { to: '/cgi-bin/login.cgi', fields: { action: 'login', username: 'grace', password: 'compiler-1952' } },
  { to: '/cgi-bin/signed-session.cgi', fields: { action: 'clear' } },
];

const missing = [
  ...(isChromiumInstalled() ? [] : [CHROMIUM_PACKAGE]),
  ...(isInstalled('apache') ? [] : [PACKAGES.apache]),
];

if (missing.length > 0) {
  const install = `sudo apt-get install ${CHROMIUM_PACKAGE} ${PACKAGES.apache}`;
  const message = `The browser tests need Chromium and Apache, and ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed. Install them with: ${install}`;
  if (process.env.CI === 'true') test('browser: Chromium and Apache are installed (required on CI)', (t) => t.fail(message));
  else {
    console.warn(`\n${'!'.repeat(100)}\n!!! SKIPPED: ${message}\n${'!'.repeat(100)}\n`);
    test.skip(`${TITLE} (not installed: ${install})`, () => {});
  }
} else {
  defineTest();
}

function defineTest(): void {
  let server: RunningServer | undefined;
  let browser: Browser | undefined;
  let otherSite: Server | undefined;

  test.before(async () => {
    const started = await Promise.allSettled([startApache(), launchChromium(), serveOtherSite()]);
    const [apache, chromium, other] = started;
    if (apache.status === 'fulfilled') server = apache.value;
    if (chromium.status === 'fulfilled') browser = chromium.value;
    if (other.status === 'fulfilled') otherSite = other.value;
    for (const outcome of started) if (outcome.status === 'rejected') throw outcome.reason;
  });
  test.after.always(async () => {
    await Promise.all([browser?.close(), server?.stop(), new Promise((resolve) => (otherSite ? otherSite.close(resolve) : resolve(undefined)))]);
  });

  test(TITLE, async (t) => {
    if (server === undefined || browser === undefined || otherSite === undefined) throw new Error('a server or the browser did not start');
    const context = await browser.newContext({ baseURL: server.baseUrl });
    t.teardown(() => context.close());
    context.setDefaultTimeout(ACTION_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
    const page = await context.newPage();
    await makeState(page);
    const before = await stateOf(context, page);

    const other = `http://${OTHER_SITE_HOST}:${(otherSite.address() as AddressInfo).port}`;
    for (const attack of ATTACKS) {
      const target = server.url(attack.to);
      const arrived = page.waitForResponse((r) => r.url() === target && r.request().isNavigationRequest());
      const loaded = page.waitForURL(target, { waitUntil: 'load' });
      const query = new URLSearchParams({ to: target, ...(attack.fields === undefined ? {} : { fields: JSON.stringify(attack.fields) }) });
      await page.goto(`${other}/?${query}`);
      if (attack.fields === undefined) await page.click('#go');
      const response = await arrived;
      await loaded;
      const label = `${attack.fields === undefined ? 'link to' : 'form posted to'} ${attack.to}`;
      t.is((await response.request().allHeaders()).referer?.startsWith(other), true, `${label} came from the other site`);
      if (attack.fields === undefined) continue;
      t.true([403, 409].includes(response.status()), `${label} is refused (${response.status()})`);
      t.deepEqual(await response.headerValues('set-cookie'), [], `${label} sets no cookie`);
    }

    const after = await stateOf(context, page);
    // Following a link is a visit, and cookie-cycle counts visits on every GET: that is the one
    // thing a link may change. What it asks for beyond the visit (action=delete) is not done.
    t.is(cycleOf(after), String(Number(cycleOf(before)) + 1), 'the link counted as one visit, and deleted nothing');
    t.deepEqual(withoutCycle(after), withoutCycle(before), 'every demo is as the visitor left it');
  });
}

/** The visitor's state in every demo, made through the pages as a visitor would. */
async function makeState(page: Page): Promise<void> {
  await page.goto('/cgi-bin/questionnaire.cgi');
  await submit(page, '#start');
  await page.fill('#answer', 'kept');
  await submit(page, '#question-form');
  await page.goto('/cgi-bin/parking.cgi');
  await submit(page, 'form:has(#enter)');
  await page.goto('/cgi-bin/set-cookie.cgi');
  await page.check('input[name="flavor"][value="ginger"]');
  await submit(page, '#choose');
  await page.goto('/cgi-bin/cart.cgi');
  await submit(page, 'form:has(#add-shortbread)');
  await page.goto('/cgi-bin/login.cgi');
  await page.fill('#login input[name="username"]', 'ada');
  await page.fill('#login input[name="password"]', 'analytical-engine');
  await submit(page, '#login');
  await page.goto('/cgi-bin/signed-session.cgi');
  await page.fill('#add input[name="note"]', 'mine');
  await submit(page, '#add');
  await page.goto('/cgi-bin/cookie-cycle.cgi');
}

/** The visit number of the cycle cookie in a state. */
function cycleOf(state: Record<string, unknown>): string | undefined {
  return (state.cookies as string[]).find((cookie) => cookie.startsWith('cycle='))?.split(/[=;]/)[1];
}

function withoutCycle(state: Record<string, unknown>): Record<string, unknown> {
  return { ...state, cookies: (state.cookies as string[]).filter((cookie) => !cookie.startsWith('cycle=')) };
}

/** The state to compare: every cookie the browser holds, and what each demo shows. Read-only:
 * only GETs of pages that change nothing. */
async function stateOf(context: BrowserContext, page: Page): Promise<Record<string, unknown>> {
  const text = async (path: string, selector: string) => {
    await page.goto(path);
    return page.locator(selector).first().textContent();
  };
  return {
    cookies: (await context.cookies()).map(({ name, value, path }) => `${name}=${value}; ${path}`).sort(),
    question: await text('/cgi-bin/questionnaire.cgi', '#question'),
    parking: await text('/cgi-bin/parking.cgi', '#ticket strong'),
    flavor: await text('/cgi-bin/read-cookie.cgi', '#flavor'),
    cart: await text('/cgi-bin/cart.cgi', '#total'),
    members: await text('/cgi-bin/login.cgi?page=members', '#members'),
    notes: await text('/cgi-bin/signed-session.cgi', '#server-notes'),
  };
}

/** The other site: `/?to=URL` is a page with a link to URL; with `fields` (JSON), a form posted
 * to URL by a script as soon as the page loads. */
async function serveOtherSite(): Promise<Server> {
  const site = createServer((request, response) => {
    const query = new URL(request.url ?? '/', 'http://other.invalid').searchParams;
    const to = escapeHtml(query.get('to') ?? '');
    const fields = query.get('fields');
    const body = fields === null
      ? `<a id="go" href="${to}">You have won a prize</a>`
      : `<form id="f" method="post" action="${to}">${Object.entries(JSON.parse(fields) as Record<string, string>)
        .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join('')}</form>
<script>document.getElementById('f').submit()</script>`;
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(`<!doctype html><html><head><link rel="icon" href="data:,"></head><body>${body}</body></html>`);
  });
  await new Promise<void>((resolve, reject) => site.once('error', reject).listen(0, OTHER_SITE_HOST, resolve));
  return site;
}

/** Clicks the submit button of `form` and waits for the page it leads to. */
async function submit(page: Page, form: string): Promise<void> {
  await Promise.all([page.waitForEvent('load'), page.locator(`${form} button[type="submit"]`).click()]);
}
