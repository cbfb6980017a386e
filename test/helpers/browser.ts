// Drives Debian's Chromium (the `chromium` package) headless through playwright-core for the
// browser tests: where the browser is, how it is launched on a closed network, and where the
// screenshots the tests take are written.

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

/** Screenshots land here (gitignored test output), one PNG per name. */
export const SCREENSHOTS_DIR = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));

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
 * Saves a full-page screenshot as `test-output/screenshots/<name>.png` and returns its path.
 * `name` is lower-case letters, digits and dashes, so two tests never write the same file by
 * accident of spelling and no name reaches outside the folder.
 */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(name)) throw new TypeError(`screenshot name must be kebab-case: ${JSON.stringify(name)}`);
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  const file = join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
