// End-to-end, issue 13: a public sign-up with consent, the mailed link (read back from the local
// stack's mail viewer, /_local/mail.json) opening /me, then edit, resume, download and erasure;
// a bad link and "Lost your link?"; /privacy. Real stack, Debian's Chromium, axe-core.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { axeViolations } from './lib/axe.mjs';
import { checkDialogCancels, fillSignIn, outputDir, startOn, watchConsole } from './lib/browser.mjs';
import { api, BASE_URL, RESUME_TIMEOUT_MS, RUN } from './lib/config.mjs';
import { makePdf } from './lib/pdf.mjs';

const OUT = outputDir();
const PRIVACY_VERSION = /PRIVACY_VERSION = '([^']+)'/.exec(
  readFileSync(new URL('../src/config/privacy.ts', import.meta.url), 'utf8'),
)[1];
const problems = [];
const a11y = [];
let browser;
let page;

const shot = async (name) => {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  for (const violation of await axeViolations(page)) a11y.push(`${name}: ${violation}`);
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The newest mail the stack's SES emulator accepted for `address` (the local viewer's JSON). */
async function mailTo(address, { after: since = 0 } = {}) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await fetch(`${BASE_URL}/_local/mail.json`);
    assert.equal(response.status, 200, 'the stack shows what it mailed at /_local/mail.json');
    const { messages } = await response.json();
    const found = (messages ?? []).filter((m) => m.to.includes(address));
    if (found.length > since) return found.at(-1);
    assert.ok(Date.now() < deadline, `no new mail to ${address} within 30 s`);
    await sleep(250);
  }
}

async function findByEmail(email) {
  const { status, body } = await api(`/professionals?email=${encodeURIComponent(email)}`);
  assert.equal(status, 200);
  return body.items[0] ?? null;
}

before(async () => {
  ({ browser, page } = await startOn(BASE_URL, problems));
});

after(async () => {
  await browser?.close();
});

describe('self-service', () => {
  const email = `lin.${RUN}@example.com`;
  const newEmail = `lin.new.${RUN}@example.com`;
  let link;
  let id;

  test('/privacy shows the notice and its version', async () => {
    await page.goto(`${BASE_URL}/privacy`);
    await page.getByRole('heading', { name: 'Privacy notice', level: 1 }).waitFor();
    await page.getByText(`Version ${PRIVACY_VERSION}`, { exact: true }).waitFor();
    await page.getByRole('heading', { name: 'Your rights, and how to use them' }).waitFor();
    await shot('30-privacy');
  });

  test('signs up only with consent, then says where the link went', async () => {
    await page.goto(`${BASE_URL}/`);
    const consent = page.getByRole('checkbox', { name: /I have read the privacy notice/ });
    assert.equal(await consent.isChecked(), false, 'the consent box starts unticked');
    const notice = page.getByRole('link', { name: /privacy notice/ });
    assert.equal(await notice.getAttribute('href'), '/privacy');

    await page.getByLabel('Full name').fill('Lin Self');
    await page.getByLabel('Phone').fill('+1 415 555 0142');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByText('Enter your email address: we send you a link there to confirm it.').waitFor();
    await page.getByText('Tick the box to accept the privacy notice', { exact: false }).waitFor();
    await shot('31-signup-consent-missing');

    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Company').fill('Self Service Ltd');
    await consent.check();
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('heading', { name: /You're signed up/ }).waitFor();
    assert.match(await page.getByTestId('link-sent').innerText(), new RegExp(`^We sent a link to ${email.replace(/\./g, '\\.')}\\.`));
    await shot('32-signup-link-sent');

    const record = await findByEmail(email);
    assert.ok(record, 'the sign-up is stored');
    id = record.id;
    assert.equal(record.email_verified, false);
    assert.equal(record.consent?.version, PRIVACY_VERSION, 'the accepted version is the one /privacy shows');

    const mail = await mailTo(email);
    [link] = mail.links;
    assert.ok(link?.startsWith(`${BASE_URL}/me?token=`), `the mail carries the /me link: ${mail.links}`);
  });

  test('the link opens /me: the token leaves the address bar, the address is confirmed', async () => {
    const sentReferers = [];
    const listen = (request) => sentReferers.push(request.headerValue('referer'));
    page.on('request', listen);
    await page.goto(link);
    await page.getByRole('heading', { name: 'What we hold about you' }).waitFor();
    assert.equal(page.url(), `${BASE_URL}/me`, 'the token is gone from the URL');
    assert.equal(await page.evaluate(() => location.search), '');
    page.off('request', listen);
    const referers = await Promise.all(sentReferers);
    assert.ok(referers.length > 3, `the page's own requests were seen (${referers.length})`);
    assert.ok(!referers.some((referer) => referer?.includes('token=')), `no request carried the token as its Referer: ${referers}`);
    const details = page.getByTestId('own-details');
    await details.getByText(email).waitFor();
    await details.getByText('(confirmed)').waitFor();
    await details.getByText(`Version ${PRIVACY_VERSION}, accepted`, { exact: false }).waitFor();
    assert.equal((await findByEmail(email)).email_verified, true);
    await shot('33-me');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('33-me-mobile');
    await page.setViewportSize({ width: 1280, height: 860 });

    // The staff console shows the verified badge beside the address.
    const staff = await browser.context.newPage();
    watchConsole(staff, problems);
    await staff.goto(`${BASE_URL}/staff/professionals/${id}`);
    await fillSignIn(staff);
    await staff.getByRole('heading', { name: 'Lin Self', level: 1 }).waitFor();
    await staff.getByRole('region', { name: 'Details' }).getByText('verified', { exact: true }).waitFor();
    await staff.close();
  });

  test('edits the details; a new email gets its own confirmation link', async () => {
    await page.getByRole('button', { name: 'Edit your details' }).click();
    const form = page.getByRole('form', { name: 'Edit your details' });
    await form.getByLabel('Job title').fill('Archivist');
    await form.getByLabel('Phone').fill('');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Changes saved.', { exact: true }).waitFor();
    let stored = await findByEmail(email);
    assert.equal(stored.job_title, 'Archivist');
    assert.equal(stored.phone, null);

    await page.getByRole('button', { name: 'Edit your details' }).click();
    await form.getByLabel('Email').fill(newEmail);
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText(`We sent a link to ${newEmail} to confirm the new address`, { exact: false }).waitFor();
    await page.getByTestId('own-details').getByText('(not confirmed yet', { exact: false }).waitFor();
    stored = await findByEmail(newEmail);
    assert.equal(stored?.id, id);
    assert.equal(stored.email_verified, false);
    const mail = await mailTo(newEmail);
    assert.ok(mail.links[0]?.startsWith(`${BASE_URL}/me?token=`));
    await shot('34-me-edited');
  });

  test('replaces the resume, followed until ready', async () => {
    const pdf = makePdf([`Lin Self ${RUN}`, 'Archivist of analytical engines']);
    await page.getByRole('region', { name: 'Resume' }).getByLabel('Resume').setInputFiles({ name: 'lin.pdf', mimeType: 'application/pdf', buffer: pdf });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByText('Your resume is ready.').waitFor({ timeout: RESUME_TIMEOUT_MS });
    await page.getByTestId('own-details').getByText(/^Ready \(1 page/).waitFor();
  });

  test('downloads the data as JSON, and a reload keeps the session', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download your data (JSON)' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^my-details-\d{4}-\d{2}-\d{2}\.json$/);
    const data = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert.equal(data.id, id);
    assert.equal(data.email, newEmail);
    assert.equal(data.job_title, 'Archivist');
    assert.equal(data.resume.status, 'ready');
    assert.match(data.resume_text, new RegExp(`Lin Self ${RUN}`));

    await page.reload();
    await page.getByTestId('own-details').getByText(newEmail).waitFor();
  });

  test('erases everything after a confirmation; the old link then opens nothing', async () => {
    await page.getByRole('button', { name: 'Delete all your data' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete all your data?' });
    await checkDialogCancels(page, dialog, () => shot('35-me-erase-confirm'));
    assert.equal((await api(`/professionals/${id}`)).status, 200, 'cancelling erases nothing');

    await page.getByRole('button', { name: 'Delete all your data' }).click();
    await dialog.getByRole('button', { name: 'Delete everything' }).click();
    await page.getByRole('heading', { name: 'Your data was erased.' }).waitFor();
    await shot('36-me-erased');
    assert.equal((await api(`/professionals/${id}`)).status, 404, 'the record is gone');
    assert.equal(await findByEmail(newEmail), null);

    await page.goto(link);
    await page.getByRole('heading', { name: 'This link does not open anything' }).waitFor();
    assert.equal(page.url(), `${BASE_URL}/me`);
  });

  test('a bad link explains itself; "Lost your link?" says the same for every address', async () => {
    await page.goto(`${BASE_URL}/me?token=not-a-real-token`);
    await page.getByRole('heading', { name: 'This link does not open anything' }).waitFor();
    await page.getByLabel('Email address').fill(`nobody.${RUN}@example.com`);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await page.getByText('If we hold that address, we sent it a link.').waitFor();
    await shot('37-me-bad-link');

    // From the sign-up page, for a registered address: the same words, and a link arrives.
    const known = `known.${RUN}@example.com`;
    assert.equal((await api('/professionals', { method: 'POST', body: { full_name: 'Known Person', email: known } })).status, 201);
    await page.goto(`${BASE_URL}/`);
    await page.getByRole('link', { name: 'Lost your link?' }).click();
    await page.getByLabel('Email address').fill(known);
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await page.getByText('If we hold that address, we sent it a link.').waitFor();
    const mail = await mailTo(known);
    await page.goto(mail.links[0]);
    await page.getByTestId('own-details').getByText(known).waitFor();
    await shot('38-me-from-access-link');

    // Erased elsewhere (here by staff): the kept session ends, and the page says so.
    const { id: knownId } = await findByEmail(known);
    assert.equal((await api(`/professionals/${knownId}`, { method: 'DELETE' })).status, 204);
    await page.reload();
    await page.getByRole('heading', { name: 'Your session has ended' }).waitFor();
    await page.getByRole('button', { name: 'Send me a link' }).waitFor();
    await shot('39-me-session-ended');
  });

  test('no console errors or uncaught exceptions', () => {
    assert.deepEqual(problems, []);
  });

  test('no WCAG 2.1 A/AA violations (axe-core) on /privacy, the sign-up and /me', () => {
    assert.deepEqual(a11y, []);
  });
});
