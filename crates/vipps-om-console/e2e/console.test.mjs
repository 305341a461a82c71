// End-to-end test of the support console in headless Chromium.
//
// Starts `vipps-om console --demo` (embedded simulator, temporary database,
// sample orders, two accounts with printed passwords) and walks through
// what support staff do: sign in (and fail to), find an order, read the
// receipt, see a failed delivery with its reason, fix it as editor (upload
// the missing image, retry), be refused as viewer, have a forged form
// refused, and find it all in the audit log; then read it in bokmål on a
// phone (390 px), where no table is wider than the screen. A second walk is
// an admin's start of the day: the dashboard, the failed jobs from its link,
// a bulk retry reviewed and applied, a new colleague's account with a
// one-time password that must be replaced, the account disabled, and those
// pages on a phone. Screenshots go to target/e2e-screenshots/.
//
// VIPPS_OM_BIN: the binary (default target/debug/vipps-om).
// CHROMIUM: the browser (default /usr/bin/chromium); the test skips
// without it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');
const bin = process.env.VIPPS_OM_BIN || join(root, 'target/debug/vipps-om');
const browserPath = process.env.CHROMIUM || '/usr/bin/chromium';
const shots = join(root, 'target/e2e-screenshots');

const skip = !existsSync(browserPath)
  ? `no Chromium at ${browserPath} (apt-get install chromium, or set CHROMIUM)`
  : !existsSync(bin)
    ? `no vipps-om binary at ${bin} (cargo build -p vipps-om-cli, or set VIPPS_OM_BIN)`
    : false;

/** Starts the demo console; resolves with its URL, accounts and process. */
function startDemo() {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, ['console', '--demo', '--listen', '127.0.0.1:0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`the demo did not start within 60 s\n${out}\n${err}`));
    }, 60_000);
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Stop with Ctrl-C.')) {
        clearTimeout(timer);
        const url = out.match(/Support console: (http:\/\/\S+)/)[1];
        const accounts = {};
        for (const m of out.matchAll(/^\s+(\w+) \/ (\S+)\s+\((\w+)\)$/gm)) {
          accounts[m[1]] = m[2];
        }
        resolvePromise({ child, url, accounts, output: () => out + err });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited with ${code}\n${out}\n${err}`));
    });
  });
}

/** A PNG header (what the image check reads): 400×400 px. */
function png(width, height) {
  const b = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'ascii');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  Buffer.from([8, 6, 0, 0, 0]).copy(b, 24);
  return b;
}

/**
 * On a phone no table is wider than the screen, the page does not scroll
 * sideways, and no cell is so narrow that its words break letter by letter.
 * Returns how many tables the page has.
 */
async function fitsThePhone(page, where) {
  const report = await page.evaluate(() => {
    const width = window.innerWidth;
    const tables = [...document.querySelectorAll('table')].map((t) => ({
      right: t.getBoundingClientRect().right,
      scroll: t.scrollWidth,
    }));
    const narrow = [...document.querySelectorAll('td, th')]
      // Shown cells (a stacked table's header row is moved off screen
      // for screen readers).
      .filter((c) => c.offsetParent !== null && c.innerText.trim() !== '' && c.getBoundingClientRect().right > 0)
      .filter((c) => c.getBoundingClientRect().width < 150)
      .map((c) => c.innerText);
    return { width, page: document.documentElement.scrollWidth, tables, narrow };
  });
  for (const t of report.tables) {
    assert.ok(t.right <= report.width && t.scroll <= report.width, `${where}: a table is wider than the screen: ${JSON.stringify(report)}`);
  }
  assert.ok(report.page <= report.width, `${where}: the page scrolls sideways: ${report.page} > ${report.width}`);
  assert.deepEqual(report.narrow, [], `${where}: cells too narrow to read`);
  return report.tables.length;
}

/** Headless Chromium with a throwaway profile, at desktop size. */
async function launch() {
  const profile = mkdtempSync(join(tmpdir(), 'vipps-om-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: browserPath,
    headless: true,
    locale: 'en-GB',
    viewport: { width: 1100, height: 900 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const page = context.pages()[0] || (await context.newPage());
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { page, close };
}

/** Signs in on the console at `base`. */
async function signInAt(page, base, user, password) {
  await page.goto(`${base}/login`);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Runs `walk` against a fresh demo console in a fresh browser: it gets the
 * page, the console's base URL, the demo's accounts, `shot(name)` and
 * `signIn(user, password)`. A failure takes a screenshot (`failure-<tag>`)
 * and carries the console's output; the browser and console always stop.
 */
async function withConsole(tag, walk) {
  mkdirSync(shots, { recursive: true });
  const demo = await startDemo();
  const { page, close } = await launch();
  const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const base = demo.url.replace(/\/$/, '');
  const signIn = (user, password) => signInAt(page, base, user, password);
  try {
    await walk({ page, base, accounts: demo.accounts, shot, signIn });
  } catch (error) {
    await shot(`failure-${tag}`).catch(() => {});
    error.message += `\n--- console output ---\n${demo.output()}`;
    throw error;
  } finally {
    await close();
    demo.child.kill('SIGTERM');
  }
}

test('support staff find, read and fix orders in the console', { skip, timeout: 180_000 }, () => withConsole('staff', async ({ page, base, accounts, shot, signIn }) => {
  const findOrder = async (id, type = 'ecom') => {
    await page.goto(`${base}/`);
    await page.getByLabel('Order id').fill(id);
    await page.getByLabel('Payment type').selectOption(type);
    await page.getByRole('button', { name: 'Show order' }).click();
  };
  // Sign-in with a wrong password, then the right one.
  await page.goto(`${base}/order?order_id=demo-1001&payment_type=ecom`);
  assert.match(page.url(), /\/login\?next=/);
  await shot('01-sign-in');
  await page.getByLabel('User name').fill('editor');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.match(await page.locator('#login-error').innerText(), /user name or password is wrong/);
  await shot('02-wrong-password');
  await signIn('editor', accounts.editor);
  assert.equal(new URL(page.url()).pathname, '/');

  // The receipt as the customer sees it.
  await findOrder('demo-1001');
  assert.equal(await page.locator('#category-button .app-button').innerText(), 'Receipt');
  assert.match(await page.locator('#category-link a').getAttribute('href'), /^https:\/\/shop\.example\/orders\/demo-1001$/);
  assert.equal(await page.locator('#receipt-number').innerText(), 'R-1001');
  assert.match(await page.locator('#barcode').innerText(), /7038010055720/);
  assert.match(await page.locator('#order-total').innerText(), /^NOK\s\d[\d,]*\.\d\d$/);
  assert.ok(await page.getByRole('cell', { name: 'Wool socks' }).isVisible());
  assert.ok(await page.getByText('Knitted cap').isVisible(), 'the return is listed');
  await shot('03-receipt');

  // A failed delivery with its reason.
  await findOrder('demo-1003');
  const failed = page.locator('article.state-failed');
  assert.equal(await failed.count(), 1);
  const failedText = await failed.innerText();
  assert.match(failedText, /imageId/);
  assert.match(failedText, /shop-logo/);
  // It leads with the cause and the fix, in support words.
  const cause = failed.locator('.cause');
  assert.match(await cause.innerText(), /Why it failed: The category link names an image that was never uploaded: shop-logo/);
  assert.match(await cause.innerText(), /What to do: Upload that image/);
  assert.equal(await failed.evaluate((a) => a.querySelector('h3').nextElementSibling.classList.contains('cause')), true);
  assert.doesNotMatch(await page.locator('main').innerText(), /Check the payment type/);
  assert.match(await page.locator('article.state-pending').innerText(), /Waits for an earlier job/);
  const jobId = (await failed.getAttribute('id')).replace('job-', '');
  await shot('04-failed-delivery');

  // Fix it: upload the missing image, then retry.
  await page.getByRole('link', { name: 'Upload an image' }).click();
  await page.getByLabel(/Image file/).setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: png(400, 400) });
  assert.equal(await page.getByLabel(/Image id/).inputValue(), 'shop-logo', 'filled in with the id the job needs');
  await page.getByRole('button', { name: 'Review' }).click();
  assert.equal(await page.locator('#image-id').innerText(), 'shop-logo');
  await page.locator('#confirm').click();
  assert.match(await page.locator('#result').innerText(), /image is queued for upload/);
  assert.match(await page.locator('#failed-ahead').innerText(), /Retry it/);
  await page.getByRole('link', { name: 'Back to the order' }).click();
  await page.getByRole('link', { name: 'Retry delivery' }).click();
  assert.match(await page.locator('h1').innerText(), /Retry this delivery/);
  await shot('05-retry-confirm');
  await page.locator('#confirm').click();
  assert.match(await page.locator('#result').innerText(), /queued again/);
  let delivered = false;
  for (let i = 0; i < 50 && !delivered; i++) {
    await findOrder('demo-1003');
    delivered = (await page.locator('article.state-failed, article.state-pending').count()) === 0;
    if (!delivered) await page.waitForTimeout(200);
  }
  assert.ok(delivered, 'the retried job and the one behind it are delivered');
  assert.equal(await page.locator('#category-button .app-button').innerText(), 'Track delivery');
  await shot('06-after-retry');

  // A forged form without the CSRF token is refused.
  const forged = page.waitForURL(`**/jobs/${jobId}/retry`);
  await page.evaluate(({ jobId }) => {
    const form = document.createElement('form');
    form.method = 'post';
    form.action = `/jobs/${jobId}/retry`;
    document.body.appendChild(form);
    form.submit();
  }, { jobId });
  await forged;
  assert.match(await page.locator('h1').innerText(), /could not be accepted/);
  await shot('07-forged-form-refused');

  // A viewer sees but cannot change.
  await page.goto(`${base}/`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn('viewer', accounts.viewer);
  await findOrder('demo-1003');
  assert.match(await page.locator('main').innerText(), /only editors can change orders/);
  assert.equal(await page.getByRole('link', { name: 'Retry delivery' }).count(), 0);
  const refused = await page.goto(`${base}/jobs/${jobId}/retry`);
  assert.equal(refused.status(), 403);
  assert.match(await page.locator('h1').innerText(), /Not allowed/);
  await shot('08-viewer-refused');

  // The audit log shows who did what.
  await page.getByRole('link', { name: 'Audit log' }).click();
  const audit = await page.locator('#audit').innerText();
  assert.match(audit, /editor\s+job\.retry\s+demo-1003/);
  assert.match(audit, /editor\s+image\.upload\s+demo-1003/);
  assert.match(audit, /editor\s+login\s+wrong password from 127\.0\.0\.1\s+refused/);
  assert.doesNotMatch(audit, /order\.view/, 'page views are off by default');
  // Times in the staff's zone with UTC on hover; short columns on one line.
  assert.match(await page.locator('#audit time').first().getAttribute('title'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  const wrapped = await page.locator('#audit td.nowrap').evaluateAll((cells) =>
    cells.filter((td) => {
      const range = document.createRange();
      range.selectNodeContents(td);
      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.bottom)));
      return lines.size > 1;
    }).map((td) => td.innerText));
  assert.deepEqual(wrapped, [], 'no short column breaks over lines at desktop width');
  await shot('09-audit-log');

  // Norwegian at the switch; readable on a phone.
  await page.getByRole('link', { name: 'Norsk (bokmål)' }).click();
  assert.match(await page.locator('h1').innerText(), /Revisjonslogg/);
  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok((await fitsThePhone(page, 'audit log')) > 0, 'audit log: tables');
  await shot('10-phone-audit');
  await page.goto(`${base}/order?order_id=demo-1001&payment_type=ecom`);
  assert.match(await page.locator('#seen-title').innerText(), /Slik kunden ser den/);
  assert.equal(await page.locator('#category-button .app-button').innerText(), 'Kvittering');
  assert.match(await page.locator('main').innerText(), /\b2 stk\b/);
  assert.doesNotMatch(await page.locator('main').innerText(), /\bpcs\b|Receipt\b/);
  assert.ok((await fitsThePhone(page, 'order')) > 0, 'order: tables');
  await shot('11-phone-bokmal');

  // Every language at the switch, on the phone: <html lang>, the order
  // in that language's amounts, and the status text for the customer.
  for (const [name, code, total] of [
    ['Dansk', 'da', /^\d[\d.]*,\d\d\sNOK$/],
    ['Suomi', 'fi', /^\d[\d\s]*,\d\d\sNOK$/],
    ['Svenska', 'sv', /^\d[\d\s]*,\d\d\sNOK$/],
    ['English', 'en', /^NOK\s\d[\d,]*\.\d\d$/],
  ]) {
    await page.locator('header').getByRole('link', { name }).click();
    assert.equal(await page.locator('html').getAttribute('lang'), code);
    assert.match(await page.locator('#order-total').innerText(), total);
    assert.ok((await page.locator('#customer-text').inputValue()).includes('Vipps'), code);
    await fitsThePhone(page, `order (${code})`);
    await shot(`12-phone-${code}`);
  }
}));

test('an admin starts the day: what needs attention, every delivery, bulk retry, accounts', { skip, timeout: 180_000 }, () => withConsole('admin', async ({ page, base, accounts, shot, signIn }) => {
  const signOut = async () => {
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
  };
  await signIn('admin', accounts.admin);
  assert.equal(new URL(page.url()).pathname, '/');

  // What needs attention: the failed delivery, grouped with its reason
  // in plain words, and the queue per merchant.
  const failures = page.locator('#failures');
  assert.match(await failures.innerText(), /shop-logo/);
  assert.equal(await page.locator('#no-failures').count(), 0);
  assert.ok(await page.locator('#backlog').isVisible());
  assert.ok((await page.locator('svg.chart').count()) > 0, 'the charts are drawn');
  await shot('20-dashboard');

  // Its jobs, from the dashboard's link: /jobs filtered to them.
  await failures.getByRole('link', { name: /Show these jobs/ }).first().click();
  assert.equal(new URL(page.url()).pathname, '/jobs');
  assert.equal(new URL(page.url()).searchParams.get('state'), 'failed');
  const rows = page.locator('#jobs tbody tr');
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().innerText(), /demo-1003/);
  await shot('21-jobs-failed');

  // Bulk retry of the ticked row: review first, then apply.
  await rows.first().locator('input[type="checkbox"]').check();
  await page.getByRole('button', { name: 'Retry the ticked jobs' }).click();
  assert.match(await page.locator('#count').innerText(), /^1\b/);
  assert.match(await page.locator('#listed').innerText(), /demo-1003/);
  await shot('22-bulk-review');
  await page.getByRole('button', { name: /Retry them/ }).click();
  assert.match(await page.locator('#retried').innerText(), /^1\b/);
  await shot('23-bulk-done');

  // The audit log has the bulk retry as one entry.
  await page.goto(`${base}/audit`);
  assert.match(await page.locator('#audit').innerText(), /admin\s+jobs\.retry_bulk/);

  // An account for a new colleague, with a one-time password.
  await page.getByRole('link', { name: 'Accounts' }).click();
  assert.equal(new URL(page.url()).pathname, '/admin/users');
  await page.locator('#username').fill('kari');
  await page.locator('#role').selectOption('viewer');
  await page.getByRole('button', { name: 'Add, with a one-time password' }).click();
  const oneTime = (await page.locator('#one-time-password').innerText()).trim();
  assert.ok(oneTime.length >= 12, 'a one-time password is shown');
  await shot('24-one-time-password');

  // The colleague signs in with it and must choose their own first.
  await signOut();
  await signIn('kari', oneTime);
  assert.ok(await page.locator('#must-change').isVisible(), 'asked to change the one-time password');
  await page.goto(`${base}/`);
  assert.ok(await page.locator('#must-change').isVisible(), 'nothing else until it is changed');
  const own = 'kari chose this herself 42';
  await page.locator('#current_password').fill(oneTime);
  await page.locator('#new_password').fill(own);
  await page.locator('#new_password_again').fill(own);
  await page.getByRole('button', { name: 'Change password' }).click();
  assert.ok(await page.locator('#result').isVisible(), 'the password is changed');
  await page.goto(`${base}/`);
  assert.equal(new URL(page.url()).pathname, '/');
  assert.equal(await page.getByRole('link', { name: 'Accounts' }).count(), 0, 'a viewer has no accounts page');
  const refused = await page.goto(`${base}/admin/users`);
  assert.equal(refused.status(), 403);
  await shot('25-viewer-home');

  // The admin disables the account; its sign-in is refused from then on.
  await signOut();
  await signIn('admin', accounts.admin);
  await page.goto(`${base}/admin/users`);
  await page.locator('#accounts tr', { hasText: 'kari' }).getByRole('link', { name: /Manage/ }).click();
  await page.getByRole('button', { name: 'Disable the account' }).click();
  assert.match(await page.locator('#account-status').innerText(), /disabled/i);
  await shot('26-account-disabled');
  await signOut();
  await signIn('kari', own);
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.ok(await page.locator('#login-error').isVisible());

  // The admin's pages on a phone.
  await signIn('admin', accounts.admin);
  await page.setViewportSize({ width: 390, height: 844 });
  for (const [where, path] of [['dashboard', '/'], ['deliveries', '/jobs'], ['accounts', '/admin/users']]) {
    await page.goto(`${base}${path}`);
    assert.ok((await fitsThePhone(page, where)) > 0, `${where}: tables`);
    await shot(`27-phone-${where}`);
  }
}));
