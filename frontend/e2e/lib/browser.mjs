// Debian's Chromium driven by playwright-core: no browser is ever downloaded.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium } from 'playwright-core';

import { ADMIN, BASE_URL } from './config.mjs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Without the background-networking flags Chromium keeps calling Google's hosts, which this
// machine's closed network refuses.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    acceptDownloads: true,
    viewport: { width: 1280, height: 860 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Collects console errors and uncaught exceptions of a page; expected HTTP errors filtered. */
export function watchConsole(page, problems) {
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    // Chromium logs every 4xx the app asked for and handled (a 409 it shows, a wrong key...).
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
    problems.push(`console.error on ${page.url()}: ${text}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught on ${page.url()}: ${error.message}`));
}

export function outputDir() {
  const dir = process.env.E2E_OUTPUT_DIR ?? new URL('../../test-output/', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A confirmation dialog, just opened: focus starts on Cancel, and Escape closes it unconfirmed. */
export async function checkDialogCancels(page, dialog, whileOpen = async () => {}) {
  await dialog.waitFor();
  const cancel = dialog.getByRole('button', { name: 'Cancel' });
  if (!(await cancel.evaluate((el) => el === document.activeElement))) throw new Error('focus does not start on Cancel');
  await whileOpen();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
}

/** Checks that the stack answers, then opens Chromium on one page whose console is watched. */
export async function startOn(baseUrl, problems) {
  const health = await fetch(`${baseUrl}/api/health`).catch((error) => ({ status: String(error) }));
  if (health.status !== 200) throw new Error(`the stack at ${baseUrl} is not healthy (GET /api/health: ${health.status})`);
  const browser = await launch();
  const page = await browser.context.newPage();
  watchConsole(page, problems);
  return { browser, page };
}

/**
 * Signs in on the console's sign-in form, wherever the page is (it shows the form to anyone not
 * signed in); waits for the form to go.
 */
export async function fillSignIn(page, { email, password } = ADMIN) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Sign in to the staff console' }).waitFor({ state: 'hidden' });
}

/** The staff console, signed in as the stack's admin (or `who`), unless this tab already is. */
export async function signInAsStaff(page, who = ADMIN) {
  await page.goto(`${BASE_URL}/staff`);
  const form = page.getByRole('heading', { name: 'Sign in to the staff console' });
  const heading = page.getByRole('heading', { name: 'Professionals', level: 1 });
  await form.or(heading).first().waitFor();
  if (await form.isVisible()) await fillSignIn(page, who);
  await heading.waitFor();
}
