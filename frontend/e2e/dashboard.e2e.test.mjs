// End-to-end, issue 22: someone signs up through the SPA, and the staff dashboard shows it: its
// five charts drawn, every table equal to GET /stats, the period picker, axe-core clean, no console
// error. Real stack (the counters' stream worker included), Debian's Chromium.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { axeViolations } from './lib/axe.mjs';
import { outputDir, signInAsStaff, startOn } from './lib/browser.mjs';
import { api, BASE_URL, RUN } from './lib/config.mjs';

const OUT = outputDir();
const problems = [];
const a11y = [];
let browser;
let page;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const isoDay = (date) => date.toISOString().slice(0, 10);

const shot = async (name) => {
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  for (const violation of await axeViolations(page)) a11y.push(`${name}: ${violation}`);
};

/** The range the dashboard asks for: the last `days` UTC days, today included. */
function range(days) {
  const to = new Date();
  const from = new Date(to);
  from.setUTCDate(from.getUTCDate() - (days - 1));
  return { from: isoDay(from), to: isoDay(to) };
}

async function stats({ from, to }) {
  const { status, body } = await api(`/stats?from=${from}&to=${to}`);
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

/** A table column's figure in GET /stats: its chart and the `data-series` of its header. */
function figure(day, chart, series) {
  switch (chart) {
    case 'signups':
      return day.signups[series];
    case 'resumes':
      return series === 'ready' ? day.resumes.ready : (day.resumes.rejected?.[series.slice('rejected:'.length)] ?? 0);
    case 'bulk-rows':
      return day.bulk_rows[series];
    case 'mails':
      return day.mails[series];
    case 'erasures':
      return day.erasures;
    default:
      throw new Error(`unknown chart ${chart}`);
  }
}

/** Every table of the page as {chart: {series: [...], rows: {date: [figures...]}}}. */
function readTables() {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('table[data-figures]')].map((table) => {
        const series = [...table.querySelectorAll('thead th[data-series]')].map((th) => th.dataset.series);
        const rows = Object.fromEntries(
          [...table.querySelectorAll('tbody tr')].map((tr) => [
            tr.querySelector('th').textContent,
            [...tr.querySelectorAll('td')].map((td) => Number(td.textContent)),
          ]),
        );
        return [table.dataset.figures, { series, rows }];
      }),
    ),
  );
}

/** What the tables must hold for `answer`: each column's figure, then the day's total if stacked. */
function expectedTables(answer, shown) {
  return Object.fromEntries(
    Object.entries(shown).map(([chart, { series }]) => [
      chart,
      {
        series,
        rows: Object.fromEntries(
          answer.days.map((day) => {
            const values = series.map((s) => figure(day, chart, s));
            return [day.date, series.length > 1 ? [...values, values.reduce((a, b) => a + b, 0)] : values];
          }),
        ),
      },
    ]),
  );
}

before(async () => {
  ({ browser, page } = await startOn(BASE_URL, problems));
});

after(async () => {
  await browser?.close();
});

describe('dashboard', () => {
  const email = `dash.${RUN}@example.com`;
  const today = range(1).to;
  let before30;

  test('someone signs up through the SPA', async () => {
    before30 = await stats(range(30));
    await page.goto(`${BASE_URL}/`);
    await page.getByLabel('Full name').fill('Dana Dashboard');
    await page.getByLabel('Email').fill(email);
    await page.getByRole('checkbox', { name: /I have read the privacy notice/ }).check();
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('heading', { name: /You're signed up/ }).waitFor();
  });

  test("today's direct sign-ups count it within 10 s (GET /stats)", async () => {
    const was = before30.days.find((day) => day.date === today).signups.direct;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const now = (await stats(range(1))).days[0];
      if (now.signups.direct > was) break;
      assert.ok(Date.now() < deadline, `today's direct sign-ups still ${now.signups.direct} after 10 s`);
      await sleep(250);
    }
  });

  test('the staff navigation opens the dashboard: five charts drawn, the sign-up among them', async () => {
    await signInAsStaff(page);
    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/staff/dashboard');
    const { from, to } = range(30);
    await page.getByText(`The last 30 days, ${from} to ${to}`, { exact: false }).waitFor();
    const charts = page.locator('svg[role="img"][data-chart]');
    await charts.first().waitFor();
    assert.deepEqual(await charts.evaluateAll((svgs) => svgs.map((svg) => svg.dataset.chart)), ['signups', 'resumes', 'bulk-rows', 'mails', 'erasures']);
    // Drawn: today's direct sign-ups are a bar with a real height on screen.
    const todayBar = page.locator(`svg[data-chart="signups"] rect[data-series="direct"]`).last();
    const box = await todayBar.boundingBox();
    assert.ok(box && box.height > 0 && box.width > 0, `no bar drawn for today's sign-ups: ${JSON.stringify(box)}`);
    assert.match(await todayBar.locator('title').textContent(), new RegExp(`^${today} · Direct: \\d+$`));
    for (const name of ['Sign-ups per day, by source', 'Resumes ready, and rejected by reason', 'Bulk rows per day, by outcome', 'Mails per day, sent and suppressed', 'Erasures per day']) {
      await page.getByRole('img', { name }).waitFor();
      await page.getByRole('table', { name: `${name}, a row a day, newest first` }).waitFor();
    }
    await shot('60-dashboard-30-days');
  });

  test('every table holds what GET /stats answers', async () => {
    // Other tests write to the same stack: compare a page read between two equal answers.
    for (let attempt = 1; ; attempt += 1) {
      const first = await stats(range(30));
      await page.reload();
      await page.locator('table[data-figures="erasures"]').waitFor();
      const shown = await readTables();
      const second = await stats(range(30));
      if (JSON.stringify(first) !== JSON.stringify(second)) {
        assert.ok(attempt < 8, 'GET /stats kept moving');
        await sleep(1000);
        continue;
      }
      assert.equal(Object.keys(shown).length, 5);
      assert.equal(Object.keys(shown.signups.rows).length, 30);
      assert.deepEqual(shown, expectedTables(first, shown));
      // No reason left out: the resumes table has a column for every reason GET /stats names.
      const reasons = new Set(first.days.flatMap((day) => Object.entries(day.resumes.rejected ?? {}).filter(([, n]) => n > 0).map(([r]) => `rejected:${r}`)));
      for (const reason of reasons) assert.ok(shown.resumes.series.includes(reason), `no column for ${reason}`);
      assert.ok(shown.signups.rows[today][0] >= 1, "today's direct sign-ups include Dana's");
      break;
    }
  });

  test('the period picker keeps 7 and 90 days in the URL', async () => {
    await page.getByRole('navigation', { name: 'Period' }).getByRole('link', { name: '7 days' }).click();
    const seven = range(7);
    await page.getByText(`The last 7 days, ${seven.from} to ${seven.to}`, { exact: false }).waitFor();
    assert.equal(new URL(page.url()).search, '?days=7');
    await page.waitForFunction(() => document.querySelectorAll('table[data-figures="signups"] tbody tr').length === 7);
    await shot('61-dashboard-7-days');
    await page.goto(`${BASE_URL}/staff/dashboard?days=90`);
    await page.waitForFunction(() => document.querySelectorAll('table[data-figures="signups"] tbody tr').length === 90);
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('62-dashboard-90-days-mobile');
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  test('no console errors, no axe-core violations', () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(a11y, []);
  });
});
