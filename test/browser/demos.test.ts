// A real browser walks the demos: headless Chromium, driven by playwright-core, against a private
// Apache that serves dist/cgi-bin through the shipped apache.conf. It fills the forms, clicks,
// reads the pages, checks the cookies it stored, and saves screenshots to test-output/screenshots/.
// Without Chromium or Apache the suite fails on CI and is skipped, loudly, elsewhere.

import test, { type ExecutionContext } from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Cookie, Page, Response } from 'playwright-core';
import { CHROMIUM_PACKAGE, isChromiumInstalled, launchChromium, saveScreenshot } from '../helpers/browser.js';
import { DIST_CGI_BIN, ROOT } from '../helpers/cgi.js';
import { isInstalled, PACKAGES, startApache, type RunningServer } from '../helpers/servers.js';

const TITLES = {
  cookies: 'browser: set-cookie.cgi stores flavor as HttpOnly, SameSite=Lax, Path=/cgi-bin/ and read-cookie.cgi gets it back',
  questionnaire: 'browser: questionnaire.cgi: four answers, a resubmitted old form is refused, the results show markup as text',
  login: 'browser: login.cgi: a wrong password gets 401, log-in renews the sid cookie, log-out kills it',
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

function defineWalks(): void {
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

  /** A fresh browser context (its own cookie jar) with a page, closed when the test ends. */
  async function openPage(t: ExecutionContext): Promise<{ context: BrowserContext; page: Page }> {
    if (server === undefined || browser === undefined) throw new Error('Apache or Chromium did not start');
    const context = await browser.newContext({ baseURL: server.baseUrl });
    t.teardown(() => context.close());
    context.setDefaultTimeout(ACTION_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
    return { context, page: await context.newPage() };
  }

  test(TITLES.cookies, async (t) => {
    const { context, page } = await openPage(t);
    await page.goto('/cgi-bin/set-cookie.cgi');
    await follow(page, 'a[href="set-cookie.cgi?flavor=ginger"]');
    t.regex(await page.textContent('#set-cookie') ?? '', /^Set-Cookie: flavor=ginger;/);

    const flavor = await cookieNamed(context, 'flavor');
    t.is(flavor?.value, 'ginger');
    t.is(flavor?.domain, '127.0.0.1');
    t.is(flavor?.path, '/cgi-bin/');
    t.is(flavor?.httpOnly, true);
    t.is(flavor?.sameSite, 'Lax');
    t.is(flavor?.secure, false, 'no Secure flag over plain http');
    t.true((flavor?.expires ?? -1) > Date.now() / 1000, 'a persistent cookie (Max-Age), not a session cookie');
    t.is(await page.evaluate<string>('document.cookie'), '', 'HttpOnly: page scripts do not see the cookie');

    await follow(page, 'a[href="read-cookie.cgi"]');
    t.is(await page.textContent('#flavor'), 'ginger');
    t.is(await page.textContent('#cookie-header'), 'Cookie: flavor=ginger');
    await saveScreenshot(page, 'cookies-read-back');
  });

  test(TITLES.questionnaire, async (t) => {
    requireBuilt('questionnaire.cgi');
    const questions = readQuestions();
    // Stops here on a mismatch, so every questions[i] below exists.
    if (!t.is(questions.length, ANSWERS.length, 'questionnaire.txt has the questions this walk answers')) return;
    const { context, page } = await openPage(t);

    const start = await page.goto('/cgi-bin/questionnaire.cgi?start=1');
    t.is(await start?.request().redirectedFrom()?.response().then((r) => r?.status()), 303);
    t.is(start?.status(), 200);
    t.is(pathOf(page), '/cgi-bin/questionnaire.cgi');
    checkSessionCookie(t, await cookieNamed(context, 'sid'));
    t.notRegex(await page.evaluate<string>('document.cookie'), /sid=/, 'HttpOnly: page scripts do not see the session ID');

    // A second tab on question 1, whose form will be stale once the first tab has answered it.
    const oldTab = await context.newPage();
    await oldTab.goto('/cgi-bin/questionnaire.cgi');
    t.is(await oldTab.textContent('#question'), questions[0]!);

    for (const [i, question] of questions.entries()) {
      t.is(await page.textContent('#question'), question, `question ${i + 1}`);
      if (i === 0) await saveScreenshot(page, 'questionnaire-first-question');
      await page.fill('#answer', ANSWERS[i]!);
      t.is((await submit(page, 'form')).status(), 303, `answer ${i + 1} is redirected (Post/Redirect/Get)`);
      if (i === 0) await goBackAndResubmit(t, page, oldTab, questions);
    }

    t.is(pathOf(page), '/cgi-bin/questionnaire.cgi');
    const results = page.locator('#results');
    t.deepEqual(await results.locator('dt').allTextContents(), questions);
    t.deepEqual(await results.locator('dd').allTextContents(), ANSWERS, 'the first answer to question 1 stands');
    t.true((await results.textContent())?.includes('<b>bold</b> & "London"'), 'the markup answer shows as text');
    t.is(await results.locator('b').count(), 0, 'the markup answer made no element');
    await saveScreenshot(page, 'questionnaire-results');
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
    t.is((await submit(oldTab, 'form')).status(), 303);
    t.is(pathOf(oldTab), '/cgi-bin/questionnaire.cgi?note=already-answered');
    t.regex(await oldTab.textContent('#note') ?? '', /answered already.*Your first answer stands\./s);
    t.is(await oldTab.textContent('#question'), questions[1]!, 'the questionnaire goes on where it was');
    await saveScreenshot(oldTab, 'questionnaire-already-answered');
    await oldTab.close();
  }

  test(TITLES.login, async (t) => {
    requireBuilt('login.cgi');
    const { context, page } = await openPage(t);
    await page.goto('/cgi-bin/login.cgi');
    await page.fill('#login input[name="username"]', 'ada');
    await page.fill('#login input[name="password"]', 'difference-engine');
    t.is((await submit(page, '#login')).status(), 401);
    t.is(await page.textContent('#error'), 'Wrong user name or password.');
    t.is(await page.inputValue('#login input[name="username"]'), 'ada', 'the name is kept, the password is not');
    t.is(await page.inputValue('#login input[name="password"]'), '');
    await saveScreenshot(page, 'login-wrong-password');

    const before = await cookieNamed(context, 'sid');
    checkSessionCookie(t, before);
    await page.fill('#login input[name="username"]', 'ada');
    await page.fill('#login input[name="password"]', 'analytical-engine');
    t.is((await submit(page, '#login')).status(), 303);
    t.is(pathOf(page), '/cgi-bin/login.cgi?page=members');
    t.regex(await page.textContent('#members') ?? '', /members' page, ada\./);
    const after = await cookieNamed(context, 'sid');
    checkSessionCookie(t, after);
    t.not(after?.value, before?.value, 'log-in gives the session a new ID');
    await saveScreenshot(page, 'login-members');

    const logout = await submit(page, '#logout');
    t.is(logout.status(), 303);
    t.regex(await logout.headerValue('set-cookie') ?? '', /(^|\n)sid=;[^\n]* Max-Age=0;/, 'log-out expires the sid cookie');
    t.is(pathOf(page), '/cgi-bin/login.cgi?note=logged-out');
    t.true(await page.locator('#logged-out').isVisible());
    // The log-in form on this page needs a CSRF token, so it may start a new, anonymous session.
    t.not((await cookieNamed(context, 'sid'))?.value, after?.value, 'the browser no longer holds the logged-in ID');
    await saveScreenshot(page, 'login-logged-out');
    if (after === undefined) return;

    // The logged-in ID sent again, as by someone who copied it: the server has forgotten it.
    await context.addCookies([after]);
    const replay = await page.goto('/cgi-bin/login.cgi?page=members');
    t.is(replay?.status(), 401, 'the members\' page is closed to the old ID');
    t.regex(await page.textContent('#error') ?? '', /members only/);
  });
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
