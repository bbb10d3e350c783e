// End-to-end, contract 8.5: a file of more than 1,000 rows (and any .xlsx) imported from the SPA
// through an import job: POST /imports, the file to storage with the presigned POST, progress
// from GET /imports/{id}, the exact summary, the errors file, "Recent imports" after a reload,
// and a workbook that is not one ending failed with its reason. Real stack, Debian's Chromium.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import Papa from 'papaparse';

import { axeViolations } from './lib/axe.mjs';
import { outputDir, signInAsStaff, startOn } from './lib/browser.mjs';
import { api, BASE_URL, RUN } from './lib/config.mjs';

const OUT = outputDir();
/** Seconds to wait for a job to end (5,000 rows take a few seconds; the machine may be busy). */
const JOB_TIMEOUT_MS = Number(process.env.E2E_JOB_TIMEOUT_S ?? 120) * 1000;
const TOTAL = 5000;
const COLUMNS = ['full_name', 'email', 'company_name', 'job_title'];
const ERROR_COLUMNS = ['row', 'error_code', 'error_message'];
const problems = [];
const a11y = [];
const figures = [];
let browser;
let page;

const shot = async (name) => {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  for (const violation of await axeViolations(page)) a11y.push(`${name}: ${violation}`);
};

before(async () => {
  ({ browser, page } = await startOn(BASE_URL, problems));
});

after(async () => {
  await browser?.close();
  if (figures.length) console.log(`\nImport job:\n${figures.map((f) => `  ${f}`).join('\n')}\n`);
});

/** The rows of a CSV (RFC 4180, as the server writes it), header first. */
const parseCsv = (text) => Papa.parse(text, { skipEmptyLines: true }).data;

/** The id of the job the next POST /imports creates, once it answers. */
const nextJobId = () =>
  page
    .waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/api/imports'), {
      timeout: 60_000,
    })
    .then(async (response) => {
      assert.equal(response.status(), 201, await response.text());
      return (await response.json()).id;
    });

/** The four counts of the summary list (data-testid), as shown: {created: '4,950', ...}. */
const shownCounts = (locator) =>
  locator.evaluate((dl) =>
    Object.fromEntries(
      [...dl.querySelectorAll('dt')].map((dt) => [dt.textContent.trim(), dt.nextElementSibling.textContent.trim()]),
    ),
  );

describe('import job', () => {
  // 5,000 rows, unique emails; 1% (50) with an email that cannot be valid, spread through the file.
  const tag = `ij${RUN}${Math.random().toString(36).slice(2, 7)}`;
  const rows = [];
  const bad = new Map(); // 1-based data row -> the row as sent
  for (let n = 0; n < TOTAL; n++) {
    if (n % 100 === 37) {
      const email = n % 200 === 37 ? `no-at-sign.${tag}.${n}` : `${tag}.${n}@`;
      const row = [`Bad Row ${n}`, email, 'Broken, Inc.', 'Tester'];
      rows.push(row);
      bad.set(n + 1, row);
    } else {
      rows.push([`Job Person ${n}`, `p${n}.${tag}@example.com`, `Company ${n % 13}`, n % 2 ? 'Analyst' : '']);
    }
  }
  const csv = Papa.unparse([COLUMNS, ...rows], { newline: '\r\n' }) + '\r\n';
  const created = TOTAL - bad.size;
  let jobId;

  test(`a CSV of ${TOTAL.toLocaleString('en-US')} rows goes through a job: progress moves, the exact summary, the errors file`, async () => {
    assert.equal(bad.size, 50);
    await signInAsStaff(page);
    await page.getByRole('link', { name: 'Bulk import' }).click();
    await page.getByRole('heading', { name: 'Recent imports' }).waitFor();

    await page.getByLabel('CSV or Excel file').setInputFiles({ name: `people-${tag}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('heading', { name: '2. Check the file' }).waitFor();
    assert.match(await page.getByTestId('job-file').innerText(), /: 5,000 rows\./);
    assert.equal(await page.getByRole('heading', { name: '2. Check the columns' }).count(), 0, 'no mapping step for a job');
    assert.match(
      await page.getByRole('region', { name: 'File preview' }).innerText(),
      new RegExp(`First 5 of 5,000 rows from people-${tag}\\.csv`),
    );

    // Every value the import's progress bar takes, recorded in the page as React sets it (the
    // bar is removed once the job ends), so that no step is missed between two looks.
    await page.evaluate(() => {
      window.__jobProgress = [];
      const record = () => {
        const bar = [...document.querySelectorAll('[role=progressbar]')].find(
          (el) => document.getElementById(el.getAttribute('aria-labelledby'))?.textContent === 'Import progress',
        );
        if (!bar) return;
        const entry = { now: Number(bar.getAttribute('aria-valuenow')), text: bar.getAttribute('aria-valuetext') };
        const last = window.__jobProgress.at(-1);
        if (!last || last.now !== entry.now || last.text !== entry.text) window.__jobProgress.push(entry);
      };
      new MutationObserver(record).observe(document.body, {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
        attributeFilter: ['aria-valuenow', 'aria-valuetext'],
      });
    });

    const id = nextJobId();
    const clicked = Date.now();
    await page.getByRole('button', { name: 'Import 5,000 rows' }).click();
    jobId = await id;
    const panel = page.getByTestId('import-job');
    await panel.waitFor({ timeout: 60_000 });
    assert.ok(await page.getByRole('button', { name: 'Import 5,000 rows' }).isDisabled(), 'one job at a time');
    await page.getByRole('progressbar', { name: 'Import progress' }).waitFor({ timeout: JOB_TIMEOUT_MS });
    await shot('job-01-progress');

    const finished = `Import finished: 5,000 rows, ${created.toLocaleString('en-US')} created, 0 updated, 0 unchanged, ${bad.size} failed.`;
    await panel.getByText(finished).waitFor({ timeout: JOB_TIMEOUT_MS });
    assert.equal(await page.getByRole('progressbar', { name: 'Import progress' }).count(), 0, 'the bar goes once done');

    const seen = await page.evaluate(() => window.__jobProgress);
    figures.push(`progress shown before done: ${seen.map((s) => `${s.now}% (${s.text})`).join(', ')}`);
    const values = seen.map((s) => s.now);
    assert.ok(new Set(values).size >= 2, `at least two progress values before done: ${JSON.stringify(seen)}`);
    assert.deepEqual(values, [...values].sort((a, b) => a - b), `progress never goes back: ${JSON.stringify(seen)}`);
    assert.ok(values.some((v) => v > 0 && v < 100), `a value between 0 and 100 was shown: ${JSON.stringify(seen)}`);
    for (const { now, text } of seen) {
      const m = /^([\d,]+) of 5,000 rows$/.exec(text);
      if (text === 'Reading the file…') assert.equal(now, 0);
      else {
        assert.ok(m, `unexpected progress text "${text}"`);
        const done = Number(m[1].replace(/,/g, ''));
        assert.equal(done % 1000, 0, `rows_done grows by chunks of 1,000: ${text}`);
        assert.equal(now, Math.round((done / TOTAL) * 100), `aria-valuenow matches "${text}"`);
      }
    }

    assert.deepEqual(await shownCounts(panel.getByTestId('job-summary')), {
      created: created.toLocaleString('en-US'),
      updated: '0',
      unchanged: '0',
      failed: String(bad.size),
    });
    const job = (await api(`/imports/${jobId}`)).body;
    assert.equal(job.status, 'done');
    assert.deepEqual(job.summary, { created, updated: 0, unchanged: 0, failed: bad.size });
    assert.equal(job.rows_total, TOTAL);
    const seconds = (a, b) => ((Date.parse(b) - Date.parse(a)) / 1000).toFixed(1);
    figures.push(
      `${TOTAL} rows: created to started ${seconds(job.created_at, job.started_at)} s, ` +
        `started to finished ${seconds(job.started_at, job.finished_at)} s; clicked to done seen ${((Date.now() - clicked) / 1000).toFixed(1)} s`,
    );
    assert.ok(await page.getByRole('button', { name: 'Import 5,000 rows' }).isEnabled(), 'another job may start');
    // Written, and not: the last good row and a bad row's email.
    const last = await api(`/professionals?email=${encodeURIComponent(`p${TOTAL - 1}.${tag}@example.com`)}`);
    assert.equal(last.body.items.length, 1);
    assert.equal(last.body.items[0].full_name, `Job Person ${TOTAL - 1}`);
    await shot('job-02-done');

    // The errors file: GET /imports/{id}/errors with the key, its 303 followed to storage.
    const storage = page.waitForResponse((r) => r.request().redirectedFrom()?.url().endsWith(`/imports/${jobId}/errors`), {
      timeout: 30_000,
    });
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 30_000 }),
      panel.getByRole('button', { name: `Download the ${bad.size} failed rows (CSV)` }).click(),
    ]);
    const answer = await storage;
    assert.equal((await answer.request().redirectedFrom().response()).status(), 303);
    assert.equal(answer.status(), 200);
    assert.match(answer.headers()['content-type'] ?? '', /^text\/csv/);
    assert.equal(download.suggestedFilename(), `import-${jobId}-errors.csv`);
    const records = parseCsv(readFileSync(await download.path(), 'utf8'));
    assert.deepEqual(records[0], [...COLUMNS, ...ERROR_COLUMNS]);
    assert.equal(records.length - 1, bad.size, 'one line per failed row');
    assert.deepEqual(records.slice(1).map((r) => r.slice(0, 4)), [...bad.values()], 'the failed rows as sent');
    assert.deepEqual(records.slice(1).map((r) => Number(r[4])), [...bad.keys()], '1-based data rows');
    assert.deepEqual([...new Set(records.slice(1).map((r) => r[5]))], ['validation_error']);
    assert.ok(records.slice(1).every((r) => /email/i.test(r[6])), 'each reason names the email');
    assert.equal(await page.getByText('The errors file could not be downloaded').count(), 0);
  });

  test('after a reload the job is first in Recent imports, done, with its counts and errors file', async () => {
    assert.ok(jobId, 'the import ran');
    await page.reload();
    const table = page.getByTestId('recent-imports');
    const row = table.locator(`tr[data-job-id="${jobId}"]`);
    await row.waitFor({ timeout: 30_000 });
    assert.equal(await table.locator('tbody tr').first().getAttribute('data-job-id'), jobId, 'newest first');
    const cells = await row.locator('th, td').allInnerTexts();
    assert.equal(cells[1], 'Import, CSV');
    assert.equal(cells[2].trim(), 'Import finished');
    assert.deepEqual(cells[3].split('\n').map((s) => s.trim()).filter(Boolean), [
      `${created.toLocaleString('en-US')} created`,
      '0 updated',
      '0 unchanged',
      `${bad.size} failed`,
    ]);
    await row.getByRole('button', { name: `Download the ${bad.size} failed rows (CSV)` }).waitFor();
    assert.equal(await page.getByTestId('import-job').count(), 0, 'the page starts afresh');
    await shot('job-03-recent-after-reload');
  });

  test('an .xlsx that is not a workbook ends failed, its reason shown, nothing written', async () => {
    const name = `not-a-workbook-${tag}.xlsx`;
    await page.getByLabel('CSV or Excel file').setInputFiles({
      name,
      mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      buffer: Buffer.from(`full_name,email\r\nNot Imported,xlsx.${tag}@example.com\r\n`.repeat(20)),
    });
    await page.getByRole('heading', { name: '2. Check the file' }).waitFor();
    assert.match(await page.getByTestId('job-file').innerText(), /an Excel workbook, read by the server/);

    const id = nextJobId();
    await page.getByRole('button', { name: 'Import the workbook' }).click();
    const failedId = await id;
    assert.notEqual(failedId, jobId);
    const panel = page.getByTestId('import-job');
    const alert = panel.getByRole('alert').filter({ hasText: 'The import failed' });
    await alert.waitFor({ timeout: JOB_TIMEOUT_MS });

    const job = (await api(`/imports/${failedId}`)).body;
    assert.equal(job.status, 'failed');
    assert.equal(job.format, 'xlsx');
    assert.equal(job.rows_done, 0);
    assert.match(job.error?.message ?? '', /XLSX|workbook/i, JSON.stringify(job.error));
    const shown = await alert.innerText();
    assert.ok(shown.includes(job.error.message), `the reason "${job.error.message}" is shown: ${shown}`);
    assert.doesNotMatch(shown, /rows were applied/);
    assert.match(await panel.locator('p[aria-live]').innerText(), /^Import failed\.$/);
    assert.equal(await panel.getByRole('progressbar').count(), 0);
    assert.equal(await panel.getByRole('button', { name: /Download/ }).count(), 0, 'no errors file: no row failed');
    assert.ok(await page.getByRole('button', { name: 'Import the workbook' }).isEnabled(), 'another job may start');
    await shot('job-04-xlsx-failed');

    // Recent imports: failed, the reason there too, newest first.
    const table = page.getByTestId('recent-imports');
    const row = table.locator(`tr[data-job-id="${failedId}"]`);
    await row.getByText('Import failed').waitFor({ timeout: 30_000 });
    await row.getByText(job.error.message).waitFor();
    assert.equal(await table.locator('tbody tr').first().getAttribute('data-job-id'), failedId);
    assert.equal((await api(`/professionals?email=${encodeURIComponent(`xlsx.${tag}@example.com`)}`)).body.items.length, 0);
  });

  test('no console errors or uncaught exceptions on any page', () => {
    assert.deepEqual(problems, []);
  });

  test('no WCAG 2.1 A/AA violations (axe-core) on any screen shot', () => {
    assert.deepEqual(a11y, []);
  });
});
