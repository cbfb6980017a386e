// A real browser walks the demos: headless Chromium, driven by playwright-core, against a private
// Apache that serves dist/cgi-bin through the shipped apache.conf. It fills the forms, clicks,
// reloads after every POST, reads the pages, and checks every page's "on the wire" panel against
// the request and response headers Chromium saw. It saves a screenshot of each demo to
// docs/screenshots/ for the README. Without Chromium or Apache the suite fails on CI and is
// skipped, loudly, elsewhere.

import test, { type ExecutionContext } from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Cookie, Page, Response } from 'playwright-core';
import { CHROMIUM_PACKAGE, isChromiumInstalled, launchChromium, saveScreenshot } from '../helpers/browser.js';
import { DIST_CGI_BIN, ROOT } from '../helpers/cgi.js';
import { isInstalled, PACKAGES, startApache, type RunningServer } from '../helpers/servers.js';

const TITLES = {
  pages: 'browser: index, hello, checklist and error pages: the frame, an inline icon, no /favicon.ico, a way back',
  cookies: 'browser: set-cookie.cgi with a Path and a lifetime, read-cookie.cgi and cookie-cycle.cgi get back what matches',
  counter: 'browser: counter.cgi counts per browser; two browsers at one address get two sessions',
  questionnaire: 'browser: questionnaire.cgi: four answers, reloads and a resubmitted old form change nothing, markup shows as text',
  login: 'browser: login.cgi: a wrong password gets 401, log-in renews the sid cookie (shown before and after), log-out kills it',
  cart: 'browser: cart.cgi: add and change, reloads repeat nothing, totals from the server',
  parking: 'browser: parking.cgi: Post/Redirect/Get throughout, and a spent ticket put back is refused',
  signed: 'browser: signed-session.cgi: the note kept both ways, an edited cookie refused',
};

/** How long one browser action or navigation may take before the test fails, in ms. */
const ACTION_TIMEOUT_MS = 10000;

/** What the questionnaire walk types, one answer per question of questionnaire.txt. The third is
 * markup, which the results page must show as text. */
const ANSWERS = ['Ada Lovelace', '36', '<b>bold</b> & "London"', 'Note G of the Analytical Engine'];

const missing = [
  ...(isChromiumInstalled() ? [] : [CHROMIUM_PACKAGE]),
  ...(isInstalled('apache') ? [] : [PACKAGES.apache]),
];

if (missing.length > 0) {
  const install = `sudo apt-get install ${CHROMIUM_PACKAGE} ${PACKAGES.apache}`;
  const message = `The browser tests need Chromium and Apache, and ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed. `
    + `Install them with: ${install}`;
  if (process.env.CI === 'true') {
    test('browser: Chromium and Apache are installed (required on CI)', (t) => t.fail(message));
  } else {
    console.warn(`\n${'!'.repeat(100)}\n!!! SKIPPED: ${message}\n${'!'.repeat(100)}\n`);
    for (const title of Object.values(TITLES)) test.skip(`${title} (not installed: ${install})`, () => {});
  }
} else {
  defineWalks();
}

/** A page, and the document responses it got (the last one is what it shows). */
interface Tab {
  context: BrowserContext;
  page: Page;
  /** The response of the document the page shows now. */
  shown(): Response;
}

function defineWalks(): void {
  // The walks run one at a time: each drives Apache, CGI processes and Chromium at once, and
  // eight of them together starve one another on a small machine.
  let server: RunningServer | undefined;
  let browser: Browser | undefined;

  test.before(async () => {
    // Both start at once; whichever did start is stopped by after.always even if the other failed.
    const [apache, chromium] = await Promise.allSettled([startApache(), launchChromium()]);
    if (apache.status === 'fulfilled') server = apache.value;
    if (chromium.status === 'fulfilled') browser = chromium.value;
    if (apache.status === 'rejected') throw apache.reason;
    if (chromium.status === 'rejected') throw chromium.reason;
  });
  test.after.always(async () => {
    await Promise.all([browser?.close(), server?.stop()]);
  });

  /** A fresh browser context (its own cookie jar) with a tab, closed when the test ends; at the
   * end the test also checks that no page asked for /favicon.ico. */
  async function openTab(t: ExecutionContext, context?: BrowserContext): Promise<Tab> {
    if (server === undefined || browser === undefined) throw new Error('Apache or Chromium did not start');
    if (context === undefined) {
      context = await browser.newContext({ baseURL: server.baseUrl });
      t.teardown(() => context!.close());
      context.setDefaultTimeout(ACTION_TIMEOUT_MS);
      context.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
      const icons: string[] = [];
      context.on('request', (request) => { if (new URL(request.url()).pathname === '/favicon.ico') icons.push(request.url()); });
      t.teardown(() => { if (icons.length > 0) t.fail(`pages asked for ${icons.join(', ')}`); });
    }
    const page = await context.newPage();
    let last: Response | undefined;
    page.on('response', (response) => {
      if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) last = response;
    });
    return {
      context, page,
      shown: () => {
        if (last === undefined) throw new Error('the page has loaded no document yet');
        return last;
      },
    };
  }

  test.serial(TITLES.pages, async (t) => {
    const tab = await openTab(t);
    const { page } = tab;
    await visit(t, tab, '/cgi-bin/index.cgi');
    t.is(await page.locator('#demos li').count(), 11);
    await saveScreenshot(page, 'index');
    await visit(t, tab, '/cgi-bin/hello.cgi?name=Ada');
    t.is(await page.textContent('h1'), 'Hello, Ada!');
    const block = (await page.textContent('#header-block')) ?? '';
    t.true(block.includes(`Content-Type: ${tab.shown().headers()['content-type']}`), 'the block says what the server sent on');
    t.true(block.includes(`Content-Length: ${(await tab.shown().body()).length}`));
    await saveScreenshot(page, 'hello');
    await follow(page, 'nav a[href="index.cgi"]');
    await follow(page, 'a#checklist');
    await checkWire(t, tab);
    t.true(await page.locator('#checklist tr').count() > 10);
    await saveScreenshot(page, 'checklist');
    const crash = await page.goto('/cgi-bin/error.cgi');
    t.is(crash?.status(), 500);
    t.is(await page.textContent('h1'), '500 Internal Server Error');
    t.regex(await iconOf(page), /^data:image\/svg\+xml,/);
    t.notRegex(await page.content(), /price list/);
    await saveScreenshot(page, 'error');
    await follow(page, 'a[href="index.cgi"] >> nth=-1');
    t.is(pathOf(page), '/cgi-bin/index.cgi', 'the error page leads back to the index');
  });

  test.serial(TITLES.cookies, async (t) => {
    const tab = await openTab(t);
    const { context, page } = tab;
    await visit(t, tab, '/cgi-bin/set-cookie.cgi');
    t.is(await cookieNamed(context, 'flavor'), undefined, 'showing the form sets nothing');
    await page.check('input[name="flavor"][value="ginger"]');
    t.is((await submit(page, '#choose')).status(), 200);
    await checkWire(t, tab);
    t.regex(await page.textContent('#set-cookie') ?? '', /^Set-Cookie: flavor=ginger; Max-Age=3600; Path=\/cgi-bin\/;/);
    const flavor = await cookieNamed(context, 'flavor');
    t.like(flavor, { value: 'ginger', domain: '127.0.0.1', path: '/cgi-bin/', httpOnly: true, sameSite: 'Lax', secure: false });
    t.true((flavor?.expires ?? -1) > Date.now() / 1000, 'a persistent cookie (Max-Age), not a browser-session cookie');
    t.is(await page.evaluate<string>('document.cookie'), '', 'HttpOnly: page scripts do not see the cookies');
    await saveScreenshot(page, 'set-cookie');
    // A reload sends the form again: the same cookie, set again, harmlessly.
    t.is((await page.reload())?.status(), 200);
    await checkWire(t, tab);
    t.like(await cookieNamed(context, 'flavor'), { value: 'ginger', path: '/cgi-bin/' });

    await page.check('input[name="flavor"][value="oatmeal"]');
    await page.check('input[name="path"][value="/cgi-bin/read-cookie.cgi"]');
    await page.check('input[name="lifetime"][value="session"]');
    await submit(page, '#choose');
    await checkWire(t, tab);
    const oatmeal = (await context.cookies()).find((c) => c.value === 'oatmeal');
    t.like(oatmeal, { name: 'flavor', path: '/cgi-bin/read-cookie.cgi', expires: -1 }, 'a browser-session cookie for one script');

    await follow(page, 'a[href="read-cookie.cgi"]');
    await checkWire(t, tab);
    t.regex(await page.textContent('#cookie-header') ?? '', /flavor=oatmeal;.* flavor=ginger/, 'the longer Path first');
    t.is(await page.textContent('#flavor'), 'oatmeal');
    await saveScreenshot(page, 'read-cookie');

    await page.goto('/cgi-bin/cookie-cycle.cgi');
    await checkWire(t, tab);
    t.regex(await page.textContent('#wire-cookie') ?? '', /flavor=ginger/);
    t.notRegex(await page.textContent('#wire-cookie') ?? '', /oatmeal/, 'Path=/cgi-bin/read-cookie.cgi stays there');
    await follow(page, '#again');
    await checkWire(t, tab);
    t.is(await page.textContent('#wire-cookie mark'), 'cycle=1', 'its own cookie, marked in the whole header');
    await saveScreenshot(page, 'cookie-cycle');
    await submit(page, 'form[action="cookie-cycle.cgi"]');
    await checkWire(t, tab);
    t.is(await cookieNamed(context, 'cycle'), undefined, 'deleted by the POST');
  });

  test.serial(TITLES.counter, async (t) => {
    const first = await openTab(t);
    const second = await openTab(t);
    await visit(t, first, '/cgi-bin/counter.cgi');
    await first.page.reload();
    await checkWire(t, first);
    t.is(await first.page.textContent('#count'), '2');
    await visit(t, second, '/cgi-bin/counter.cgi');
    t.is(await second.page.textContent('#count'), '1');
    t.is(await first.page.textContent('#remote-addr'), await second.page.textContent('#remote-addr'), 'one address');
    t.not(await first.page.textContent('#session-id'), await second.page.textContent('#session-id'), 'two visitors');
    const sid = await cookieNamed(first.context, 'sid');
    t.is(await first.page.textContent('#session-id'), `${sid?.value.slice(0, 8)}…`);
    await saveScreenshot(first.page, 'counter');
  });

  test.serial(TITLES.questionnaire, async (t) => {
    requireBuilt('questionnaire.cgi');
    const questions = readQuestions();
    // Stops here on a mismatch, so every questions[i] below exists.
    if (!t.is(questions.length, ANSWERS.length, 'questionnaire.txt has the questions this walk answers')) return;
    const tab = await openTab(t);
    const { context, page } = tab;

    await visit(t, tab, '/cgi-bin/questionnaire.cgi?start=1');
    t.true(await page.locator('#start-again').isVisible(), 'a link starts nothing');
    t.is((await submit(page, '#start')).status(), 303);
    t.is(pathOf(page), '/cgi-bin/questionnaire.cgi');
    checkSessionCookie(t, await cookieNamed(context, 'sid'));
    t.notRegex(await page.evaluate<string>('document.cookie'), /sid=/, 'HttpOnly: page scripts do not see the session ID');

    // A second tab on question 1, whose form will be stale once the first tab has answered it.
    const oldTab = await context.newPage();
    await oldTab.goto('/cgi-bin/questionnaire.cgi');
    t.is(await oldTab.textContent('#question'), questions[0]!);

    for (const [i, question] of questions.entries()) {
      t.is(await page.textContent('#question'), question, `question ${i + 1}`);
      await checkWire(t, tab);
      if (i === 1) await saveScreenshot(page, 'questionnaire');
      await page.fill('#answer', ANSWERS[i]!);
      t.is((await submit(page, '#question-form')).status(), 303, `answer ${i + 1} is redirected (Post/Redirect/Get)`);
      if (i < questions.length - 1) {
        await page.reload();
        t.is(await page.textContent('#question'), questions[i + 1]!, 'a reload asks the next question, and posts nothing');
      }
      if (i === 0) await goBackAndResubmit(t, page, oldTab, questions);
    }

    t.is(pathOf(page), '/cgi-bin/questionnaire.cgi');
    await checkWire(t, tab);
    const results = page.locator('#results');
    t.deepEqual(await results.locator('dt').allTextContents(), questions);
    t.deepEqual(await results.locator('dd').allTextContents(), ANSWERS, 'the first answer to question 1 stands');
    t.true((await results.textContent())?.includes('<b>bold</b> & "London"'), 'the markup answer shows as text');
    t.is(await results.locator('b').count(), 0, 'the markup answer made no element');
    t.notRegex(await page.textContent('#session-after') ?? '', /"_csrf": "[A-Za-z0-9_-]{43}"/, 'the token is masked');
  });

  /**
   * The back button after question 1, then the old form of question 1 sent again. The pages are
   * `Cache-Control: no-store`, so Chromium fetches the page again on Back and shows the current
   * question (it would show the stale form only from a cache); the stale form is sent from the
   * other tab, opened on question 1 before it was answered.
   */
  async function goBackAndResubmit(t: ExecutionContext, page: Page, oldTab: Page, questions: string[]): Promise<void> {
    t.is(await page.textContent('#question'), questions[1]!);
    const back = await page.goBack();
    t.is(back?.headers()['cache-control'], 'no-store');
    t.is(await page.textContent('#question'), questions[1]!, 'Back shows the current question, not a stale form');

    await oldTab.fill('#answer', 'A second answer to question 1');
    t.is((await submit(oldTab, '#question-form')).status(), 303);
    t.is(pathOf(oldTab), '/cgi-bin/questionnaire.cgi?note=already-answered');
    t.regex(await oldTab.textContent('#note') ?? '', /answered already.*Your first answer stands\./s);
    t.is(await oldTab.textContent('#question'), questions[1]!, 'the questionnaire goes on where it was');
    await oldTab.close();
  }

  test.serial(TITLES.login, async (t) => {
    requireBuilt('login.cgi');
    const tab = await openTab(t);
    const { context, page } = tab;
    await visit(t, tab, '/cgi-bin/login.cgi');
    await page.fill('#login input[name="username"]', 'ada');
    await page.fill('#login input[name="password"]', 'difference-engine');
    t.is((await submit(page, '#login')).status(), 401);
    await checkWire(t, tab);
    t.is(await page.textContent('#error'), 'Wrong user name or password.');
    t.is(await page.inputValue('#login input[name="username"]'), 'ada', 'the name is kept, the password is not');
    t.is(await page.inputValue('#login input[name="password"]'), '');

    const before = await cookieNamed(context, 'sid');
    checkSessionCookie(t, before);
    await page.fill('#login input[name="username"]', 'ada');
    await page.fill('#login input[name="password"]', 'analytical-engine');
    t.is((await submit(page, '#login')).status(), 303);
    t.is(pathOf(page), '/cgi-bin/login.cgi?page=members');
    await checkWire(t, tab);
    t.regex(await page.textContent('#members') ?? '', /members' page, ada\./);
    const after = await cookieNamed(context, 'sid');
    checkSessionCookie(t, after);
    t.not(after?.value, before?.value, 'log-in gives the session a new ID');
    t.is(await page.textContent('#id-before'), `${before?.value.slice(0, 8)}…`, 'the page shows the ID before');
    t.is(await page.textContent('#id-after'), `${after?.value.slice(0, 8)}…`, 'and after');
    await page.reload();
    t.regex(await page.textContent('#members') ?? '', /ada/, 'a reload is just another visit');
    await saveScreenshot(page, 'login');

    const logout = await submit(page, '#logout');
    t.is(logout.status(), 303);
    t.regex(await logout.headerValue('set-cookie') ?? '', /(^|\n)sid=;[^\n]* Max-Age=0;/, 'log-out expires the sid cookie');
    t.is(pathOf(page), '/cgi-bin/login.cgi?note=logged-out');
    await checkWire(t, tab);
    t.regex(await page.textContent('#logged-out') ?? '', /CSRF token has to live in a session/);
    t.not((await cookieNamed(context, 'sid'))?.value, after?.value, 'the browser no longer holds the logged-in ID');
    if (after === undefined) return;

    // The logged-in ID sent again, as by someone who copied it: the server has forgotten it.
    await context.addCookies([after]);
    const replay = await page.goto('/cgi-bin/login.cgi?page=members');
    t.is(replay?.status(), 401, 'the members\' page is closed to the old ID');
    t.regex(await page.textContent('#error') ?? '', /members only/);
  });

  test.serial(TITLES.cart, async (t) => {
    const tab = await openTab(t);
    const { page } = tab;
    await visit(t, tab, '/cgi-bin/cart.cgi');
    t.is((await submit(page, 'form:has(#add-shortbread)')).status(), 303);
    await checkWire(t, tab);
    await submit(page, 'form:has(#add-ginger-snaps)');
    t.is(await page.textContent('#total'), '$16.50');
    await page.reload();
    await checkWire(t, tab);
    t.is(await page.textContent('#total'), '$16.50', 'a reload adds nothing');
    await page.fill('input[aria-label="quantity of Ginger snaps, box of 12"]', '3');
    await submit(page, 'form:has(input[aria-label="quantity of Ginger snaps, box of 12"])');
    t.is(await page.textContent('#total'), '$25.50');
    await saveScreenshot(page, 'cart');
  });

  test.serial(TITLES.parking, async (t) => {
    const tab = await openTab(t);
    const { context, page } = tab;
    await visit(t, tab, '/cgi-bin/parking.cgi');
    t.is((await submit(page, 'form:has(#enter)')).status(), 303);
    await checkWire(t, tab);
    const ticket = await cookieNamed(context, 'ticket');
    t.like(ticket, { path: '/cgi-bin/', httpOnly: true, sameSite: 'Lax' });
    await page.reload();
    await checkWire(t, tab);
    t.is((await cookieNamed(context, 'ticket'))?.value, ticket?.value, 'a reload takes no second ticket');
    t.is(await page.textContent('#fee'), '$0.00');
    await saveScreenshot(page, 'parking');

    t.is((await submit(page, 'form:has(#leave)')).status(), 303);
    await checkWire(t, tab);
    t.is(await page.textContent('#paid'), '$0.00');
    t.is(await cookieNamed(context, 'ticket'), undefined, 'the exit took the ticket');
    t.like(await cookieNamed(context, 'receipt'), { path: '/cgi-bin/parking.cgi' });
    await page.reload();
    t.is(await page.textContent('#paid'), '$0.00', 'a reload shows the receipt again, and pays nothing twice');
    if (ticket === undefined) return;

    // The copy of the ticket, put back as a visitor could in the developer tools.
    await context.addCookies([ticket]);
    const replay = await page.reload();
    t.is(replay?.status(), 403);
    await checkWire(t, tab);
    t.true(await page.locator('#spent').isVisible(), 'a spent ticket is refused');
    t.is(await cookieNamed(context, 'ticket'), undefined, 'and taken back');
  });

  test.serial(TITLES.signed, async (t) => {
    const tab = await openTab(t);
    const { context, page } = tab;
    await visit(t, tab, '/cgi-bin/signed-session.cgi');
    await page.fill('#add input[name="note"]', 'Ginger snaps');
    t.is((await submit(page, '#add')).status(), 303);
    await checkWire(t, tab);
    t.is(await page.textContent('#cookie-notes'), 'Ginger snaps');
    t.is(await page.textContent('#server-notes'), 'Ginger snaps');
    t.like(await cookieNamed(context, 'notes'), { path: '/cgi-bin/signed-session.cgi', httpOnly: true });
    await saveScreenshot(page, 'signed-session');
    await submit(page, '#check');
    await checkWire(t, tab);
    t.regex(await page.textContent('#check-result') ?? '', /^Refused/, 'the edited value does not pass');
  });
}

/** Opens `path` and checks its panel. */
async function visit(t: ExecutionContext, tab: Tab, path: string): Promise<void> {
  await tab.page.goto(path);
  await checkWire(t, tab);
}

/**
 * The page's "on the wire" panel against what Chromium saw: the Cookie header of the request for
 * the document shown, and every Set-Cookie of its response; and the page's icon is inline.
 */
async function checkWire(t: ExecutionContext, tab: Tab): Promise<void> {
  const response = tab.shown();
  const sent = (await response.request().allHeaders()).cookie;
  t.is(await tab.page.textContent('#wire-cookie'), sent === undefined ? '(no Cookie header)' : `Cookie: ${sent}`, `Cookie of ${pathOf(tab.page)}`);
  const setCookies = (await response.headersArray()).filter((h) => h.name.toLowerCase() === 'set-cookie').map((h) => `Set-Cookie: ${h.value}`);
  t.is(await tab.page.textContent('#wire-set-cookie'), setCookies.length === 0 ? '(no Set-Cookie header)' : setCookies.join('\n'), `Set-Cookie of ${pathOf(tab.page)}`);
  t.regex(await iconOf(tab.page), /^data:image\/svg\+xml,/);
}

async function iconOf(page: Page): Promise<string> {
  return (await page.getAttribute('link[rel="icon"]', 'href')) ?? '';
}

/** Clicks the submit button of `form` and waits for the page it leads to; returns the response
 * to the POST itself (a 303 when the script redirects). */
async function submit(page: Page, form: string): Promise<Response> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()),
    page.waitForEvent('load'),
    page.locator(`${form} button[type="submit"]`).click(),
  ]);
  return response;
}

/** Clicks a link and waits for the next page to load. */
async function follow(page: Page, link: string): Promise<void> {
  await Promise.all([page.waitForEvent('load'), page.locator(link).click()]);
}

async function cookieNamed(context: BrowserContext, name: string): Promise<Cookie | undefined> {
  return (await context.cookies()).find((cookie) => cookie.name === name);
}

/** The session cookie's flags as the browser stored them from openSession's defaults. */
function checkSessionCookie(t: ExecutionContext, sid: Cookie | undefined): void {
  t.truthy(sid, 'the browser holds a sid cookie');
  t.regex(sid?.value ?? '', /^[A-Za-z0-9_-]{16,}$/);
  t.is(sid?.path, '/');
  t.is(sid?.httpOnly, true);
  t.is(sid?.sameSite, 'Lax');
  t.is(sid?.secure, false, 'no Secure flag over plain http');
}

/** The page's path and query, e.g. `/cgi-bin/login.cgi?page=members`. */
function pathOf(page: Page): string {
  const url = new URL(page.url());
  return url.pathname + url.search;
}

/** Fails the test at once, saying why, when a demo is not in dist/cgi-bin (Apache would only
 * answer 404, and the walk would wait for a form that never comes). */
function requireBuilt(script: string): void {
  if (existsSync(join(DIST_CGI_BIN, script))) return;
  const source = join('cgi-bin', script.replace(/\.cgi$/, '.ts'));
  throw new Error(existsSync(join(ROOT, source))
    ? `${script} is not built in ${DIST_CGI_BIN}: run \`npm run build\``
    : `${source} does not exist in this checkout, so there is no ${script} to walk`);
}

/** The questions as questionnaire.cgi reads them from the questionnaire.txt the server got. */
function readQuestions(): string[] {
  const file = join(DIST_CGI_BIN, 'questionnaire.txt');
  if (!existsSync(file)) throw new Error(`${file} is missing: questionnaire.cgi reads its questions there (npm run build)`);
  return readFileSync(file, 'utf8').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
}
