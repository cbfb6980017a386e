// Drives Debian's Chromium (the `chromium` package) headless through playwright-core for the
// browser tests: where the browser is, how it is launched on a closed network, and how the
// screenshots of the demos (docs/screenshots/, shown in the README) are taken.

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Where Debian's `chromium` package installs its launcher. playwright-core never downloads a
 * browser: this one is the only one the tests use. */
export const CHROMIUM = '/usr/bin/chromium';

/** The Debian package to install for the browser tests. */
export const CHROMIUM_PACKAGE = 'chromium';

/** Screenshots land here, one PNG per name: the README shows them. */
export const SCREENSHOTS_DIR = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url));

/**
 * Chromium's command line. Without the background-networking flags Chromium keeps trying to
 * reach Google's services (component updates, sync, variations), and on a closed network its
 * connections to our own server are refused as well. No sandbox: CI runs the tests as root, where
 * Chromium's sandbox refuses to start. No GPU and no QUIC: neither exists on a headless test box.
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Options of {@link launchChromium}. */
export interface LaunchOptions {
  /** How long to wait for the browser to start, in ms. @default 30000 */
  timeoutMs?: number;
}

/** Whether Debian's Chromium is installed here. */
export function isChromiumInstalled(): boolean {
  return existsSync(CHROMIUM);
}

/**
 * Starts a headless Chromium. The caller closes it (`test.after.always(() => browser.close())`);
 * playwright also kills it if the test process exits first.
 * @example
 * const browser = await launchChromium();
 * const context = await browser.newContext(); // its own cookie jar
 */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  if (!isChromiumInstalled()) throw new Error(`Chromium is not installed at ${CHROMIUM}: sudo apt-get install ${CHROMIUM_PACKAGE}`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: options.timeoutMs ?? 30000,
  });
}

/**
 * Saves a full-page screenshot as `docs/screenshots/<name>.png` and returns its path. What differs
 * from run to run (random IDs and tokens, times, ticket numbers) is first replaced in the page by
 * fixed stand-ins of the same length, so that taking it again rewrites the file only when the page
 * itself changed. `name` is lower-case letters, digits and dashes, so two tests never write the
 * same file by accident of spelling and no name reaches outside the folder.
 */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(name)) throw new TypeError(`screenshot name must be kebab-case: ${JSON.stringify(name)}`);
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  const file = join(SCREENSHOTS_DIR, `${name}.png`);
  await page.evaluate(STEADY_TEXT);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled', caret: 'hide' });
  return file;
}

/** Runs in the page (a string: the tests' TypeScript has no DOM types): replaces the text that
 * changes from run to run with fixed stand-ins. */
const STEADY_TEXT = String.raw`(() => {
  // One stand-in per distinct random value, told apart by its first 8 characters (the shortened
  // IDs the pages show), in the order the page shows them: a value shown twice looks the same
  // twice, and two values look different.
  const sample = 'q7Xk2pL9vR4mN8sT1wY6zB3cD5fH0jGuEaWoIyQe';
  const seen = new Map();
  const standIn = (value) => {
    const key = value.slice(0, 8);
    if (!seen.has(key)) seen.set(key, seen.size);
    const start = (seen.get(key) * 7) % sample.length;
    const rotated = sample.slice(start) + sample.slice(0, start);
    return rotated.repeat(Math.ceil(value.length / rotated.length)).slice(0, value.length);
  };
  const random = (run) => /[0-9]/.test(run) || (/[A-Z]/.test(run) && /[a-z]/.test(run));
  const steady = (text) => text
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, '2025-06-01T09:30:00.000Z')
    .replace(/[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT/g, 'Sun, 01 Jun 2025 10:30:00 GMT')
    // Random base64url: long runs with a digit or both cases (English words have neither).
    .replace(/[A-Za-z0-9_-]{16,}/g, (run) => (random(run) ? standIn(run) : run))
    // Shorter ones where the pages print them: JSON strings in the session panels.
    .replace(/"([A-Za-z0-9_-]{8,15})"/g, (quoted, run) => (random(run) ? '"' + standIn(run) + '"' : quoted))
    .replace(/[A-Za-z0-9_-]{8}…/g, (short) => standIn(short.slice(0, 8)) + '…')
    .replace(/\b[1-9]\d{5}\b/g, '314159');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) node.textContent = steady(node.textContent);
  for (const field of document.querySelectorAll('textarea')) field.value = steady(field.value);
})()`;
