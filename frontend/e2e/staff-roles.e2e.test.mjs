// Staff accounts and history (contract 8.2) in Chromium against the running stack: an admin edits
// a record in the console; a viewer, invited with a temporary password, chooses a new one at the
// first sign-in, sees no edit, delete or import control, is refused a write by the API, and reads
// the admin's change in the History panel; a user in no group is told to ask an admin. axe-core
// on each screen.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { axeViolations } from './lib/axe.mjs';
import { fillSignIn, outputDir, signInAsStaff, startOn, watchConsole } from './lib/browser.mjs';
import { ADMIN, api, BASE_URL, RUN } from './lib/config.mjs';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: a viewer invited with a temporary password (see tests/e2e/test_spa.py)`);
  return value;
}

const VIEWER = { email: required('E2E_VIEWER_EMAIL'), password: required('E2E_VIEWER_TEMP_PASSWORD') };
const NO_ROLE = { email: required('E2E_NOROLE_EMAIL'), password: required('E2E_NOROLE_PASSWORD') };
/** History is written from the table's stream: within 5 s on the local stack (contract 8.2). */
const HISTORY_TIMEOUT_MS = 15_000;

const OUT = outputDir();
const problems = [];
const a11y = [];
let browser;
let page;
let id;

const shot = async (target, name) => {
  await target.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  for (const violation of await axeViolations(target)) a11y.push(`${name}: ${violation}`);
};

before(async () => {
  ({ browser, page } = await startOn(BASE_URL, problems));
  const created = await api('/professionals', {
    method: 'POST',
    body: { full_name: `Hedy Lamarr ${RUN}`, email: `hedy.${RUN}@example.com`, job_title: 'Actress' },
  });
  assert.equal(created.status, 201);
  id = created.body.id;
});

after(async () => {
  await browser?.close();
});

describe('staff roles and history', () => {
  test('an admin edits a record; the History panel shows who changed what', async () => {
    await signInAsStaff(page);
    await page.goto(`${BASE_URL}/staff/professionals/${id}`);
    await page.getByRole('heading', { name: `Hedy Lamarr ${RUN}`, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel(/Job title/).fill(`Inventor ${RUN}`);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Changes saved.').waitFor();

    const history = page.getByRole('region', { name: 'History' });
    const change = history.getByRole('listitem').filter({ hasText: `Updated by ${ADMIN.email}` });
    await change.waitFor({ timeout: HISTORY_TIMEOUT_MS });
    const row = change.getByRole('row', { name: /Job title/ });
    assert.deepEqual(await row.locator('th, td').allInnerTexts(), ['Job title', 'Actress', `Inventor ${RUN}`]);
    const when = change.locator('time');
    assert.match(await when.getAttribute('title'), /^\d{4}-\d\d-\d\dT/);
    await history.getByRole('listitem').filter({ hasText: /^Created by / }).waitFor();
    await shot(page, '70-history-admin');
  });

  test('a viewer sets a new password at the first sign-in, has no edit control, and reads the history', async () => {
    const viewer = await browser.context.newPage(); // a tab of its own: its own session
    watchConsole(viewer, problems);
    await viewer.goto(`${BASE_URL}/staff/professionals/${id}`);
    await viewer.getByRole('heading', { name: 'Sign in to the staff console' }).waitFor();
    await viewer.getByLabel('Email').fill(VIEWER.email);
    await viewer.getByLabel('Password').fill(VIEWER.password);
    await viewer.getByRole('button', { name: 'Sign in' }).click();
    await viewer.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await shot(viewer, '71-new-password');
    const chosen = `Viewer-${RUN}-Passw0rd`;
    await viewer.getByLabel('New password', { exact: true }).fill(chosen);
    await viewer.getByLabel('Repeat the new password').fill(chosen);
    await viewer.getByRole('button', { name: 'Set the password and sign in' }).click();

    await viewer.getByRole('heading', { name: `Hedy Lamarr ${RUN}`, level: 1 }).waitFor();
    assert.match(await viewer.getByTestId('staff-user').innerText(), /Viewer/);
    for (const name of ['Edit', 'Delete']) {
      assert.equal(await viewer.getByRole('button', { name, exact: true }).count(), 0, `no ${name} button`);
    }
    assert.equal(await viewer.getByRole('link', { name: 'Bulk import' }).count(), 0, 'no import link');

    const history = viewer.getByRole('region', { name: 'History' });
    const change = history.getByRole('listitem').filter({ hasText: `Updated by ${ADMIN.email}` });
    await change.waitFor({ timeout: HISTORY_TIMEOUT_MS });
    assert.match(await change.getByRole('row', { name: /Job title/ }).innerText(), new RegExp(`Actress\\s+Inventor ${RUN}`));
    await shot(viewer, '72-history-viewer');

    // The API refuses the viewer's write whatever the console shows (403 forbidden).
    const refused = await viewer.evaluate(async (professional) => {
      const key = Object.keys(sessionStorage).find((k) => k.startsWith('CognitoIdentityServiceProvider.') && k.endsWith('.accessToken'));
      const response = await fetch(`/api/professionals/${professional}`, {
        method: 'PATCH',
        headers: { Authorization: `Bearer ${sessionStorage.getItem(key)}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ job_title: 'Nope' }),
      });
      return { status: response.status, body: await response.json() };
    }, id);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'forbidden');

    await viewer.goto(`${BASE_URL}/staff/import`);
    await viewer.getByText('Your role is viewer', { exact: false }).waitFor();
    assert.equal(await viewer.locator('input[type=file]').count(), 0, 'no upload control');
    await shot(viewer, '73-import-viewer');
    await viewer.close();
  });

  test('a user in no group is told to ask an admin, and sees nothing else', async () => {
    const nobody = await browser.context.newPage();
    watchConsole(nobody, problems);
    await nobody.goto(`${BASE_URL}/staff`);
    await fillSignIn(nobody, NO_ROLE);
    const screen = nobody.getByRole('heading', { name: 'No role yet' });
    await screen.waitFor();
    assert.match(await nobody.locator('main').innerText(), /your account has no role yet; ask an admin/);
    assert.equal(await nobody.getByRole('heading', { name: 'Professionals', level: 1 }).count(), 0);
    await shot(nobody, '74-no-role');
    await nobody.getByRole('main').getByRole('button', { name: 'Sign out' }).click();
    await nobody.getByRole('heading', { name: 'Sign in to the staff console' }).waitFor();
    await nobody.close();
  });

  test('no console errors, and axe-core found nothing', () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(a11y, []);
  });
});
