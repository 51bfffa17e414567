import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { statSync } from 'node:fs';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/platform/paths.js';
import {
  CONSOLE_SCREENSHOTS,
  ConsoleStack,
  accessibilityViolations,
} from '../harness/console-browser.js';
import { alterLeaf } from '../harness/insider.js';
import { createSubject, recordPath } from '../harness/subjects.js';

/**
 * The console in a real browser (Debian's Chromium via playwright-core), signed in through a
 * real OpenID provider, over a real gateway on real stores: what auditors and legal reviewers
 * do with it. `CONSOLE_SCREENSHOTS=1` also refreshes the screenshots in docs/console/.
 */

const US = 'us-east-1';

let stack: ConsoleStack | undefined;
let skipped: string | undefined;

async function shot(page: Page, name: string): Promise<void> {
  if (!CONSOLE_SCREENSHOTS) return;
  const dir = join(PROJECT_ROOT, 'docs', 'console');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/** Polls (the page's CSP forbids the string predicates of waitForFunction). */
async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the page');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function need(): ConsoleStack {
  if (stack === undefined) throw new Error('the console stack did not start');
  return stack;
}

describe('console: auditors and legal reviewers in a real browser', () => {
  before(async () => {
    const started = await ConsoleStack.start();
    if (typeof started === 'string') {
      skipped = started;
      process.stdout.write(`\n*** console browser tests SKIPPED: ${started} ***\n\n`);
      return;
    }
    stack = started;
  });

  after(async () => {
    await stack?.close();
  });

  it('the US auditor signs in, finds the decision of a subject just read, and sees its receipt verified in the browser', async (t) => {
    if (skipped !== undefined) {
      t.skip(skipped);
      return;
    }
    const { gateway } = need();
    const feed = await gateway.token({ service: 'svc:feed', region: US, roles: ['service'] });
    const subject = await createSubject(gateway, feed, 'US');
    const path = recordPath(subject.subjectId, 'profile', 'p1');
    assert.equal(
      (await gateway.request('PUT', path, { token: feed, body: { displayName: 'Ada' } })).status,
      201,
    );
    const read = await gateway.request('GET', path, { token: feed });
    assert.equal(read.status, 200, read.text);
    const decisionId = read.headers.get('x-decision-id') ?? '';
    await gateway.integrate();

    const page = await need().signIn('auditor-us');
    const firstRender = await page.evaluate(
      () => performance.getEntriesByName('console-rendered')[0]?.startTime ?? -1,
    );
    process.stdout.write(`console: first render after sign-in ${firstRender.toFixed(0)} ms\n`);
    const home = subject.homeRegion;
    await page.getByLabel('Region', { exact: true }).selectOption(home);
    await page.getByLabel('Subject', { exact: true }).fill(subject.subjectId);
    await page.getByLabel('Action', { exact: true }).selectOption('read');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/subject=s1\./, { waitUntil: 'commit' });
    const rows = page.locator('tbody tr');
    // The page before the search lists this subject's decisions too: wait for the filtered one.
    await until(
      async () => (await rows.count()) === 1 && (await page.getByText('1 decision.').count()) === 1,
    );
    assert.equal(await rows.count(), 1);
    await shot(page, 'decisions');
    // Export of the current filter: the same one decision, as NDJSON.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export NDJSON' }).click(),
    ]);
    const exported = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\n');
    assert.equal(exported.length, 1);
    assert.equal(
      (JSON.parse(exported[0] ?? '{}') as { decision_id?: string }).decision_id,
      decisionId,
    );
    await rows.first().getByRole('link').click();
    await page.getByText(decisionId).waitFor();
    const verdict = page.getByTestId('receipt-verdict');
    await verdict.getByText('Receipt verified').waitFor();
    assert.match(await verdict.innerText(), /Inclusion proof: leaf \d+ is in the signed tree/);
    await verdict.getByText(/First checkpoint of this log seen in this browser/).waitFor();
    await shot(page, 'decision-verified');

    // A later decision: its checkpoint must extend the one this browser remembered.
    const again = await gateway.request('GET', path, { token: feed });
    const laterId = again.headers.get('x-decision-id') ?? '';
    await gateway.integrate();
    await page.goto(`${need().consoleUrl}#/decisions/${home}/${laterId}`);
    await page.getByText(laterId).waitFor();
    await verdict.getByText('Receipt verified').waitFor();
    await verdict
      .getByText(/Consistent with the checkpoint of \d+ leaves this browser verified before/)
      .waitFor();

    // Shown another tree than before (a fork, or rewritten history): not verified.
    await page.evaluate(`(() => {
      const key = 'rg.checkpoint.${home}';
      const seen = JSON.parse(localStorage.getItem(key));
      localStorage.setItem(key, JSON.stringify({ size: seen.size, root: btoa('x'.repeat(32)) }));
    })()`);
    await page.reload();
    await verdict.getByText('Receipt NOT verified').waitFor();
    assert.match(
      await verdict.innerText(),
      /history was rewritten, or this browser is shown another tree/,
    );
    await page.context().close();
  });

  it('an insider alters an entry in the store: the full verification names its leaf index, and its receipt no longer verifies', async (t) => {
    if (skipped !== undefined) {
      t.skip(skipped);
      return;
    }
    const { gateway } = need();
    const feed = await gateway.token({ service: 'svc:feed', region: US, roles: ['service'] });
    const subject = await createSubject(gateway, feed, 'US');
    const path = recordPath(subject.subjectId, 'profile', 'p1');
    await gateway.request('PUT', path, { token: feed, body: { displayName: 'Bo' } });
    const read = await gateway.request('GET', path, { token: feed });
    const decisionId = read.headers.get('x-decision-id') ?? '';
    await gateway.integrate();
    const home = subject.homeRegion;
    const rows = await gateway.regions.query<{ leaf_index: string }>(
      home,
      `SELECT l.leaf_index::text AS leaf_index FROM audit_leaves l
       JOIN audit_entries e ON e.id = l.entry_id WHERE e.decision_id = $1`,
      [decisionId],
    );
    const index = Number(rows[0]?.leaf_index);
    assert.ok(Number.isInteger(index));

    const page = await need().signIn('auditor-us');
    await page.getByRole('link', { name: 'Log health' }).click();
    const card = page.locator(`article[data-region="${home}"]`);
    await card.getByText('Latest checkpoint', { exact: true }).waitFor();
    await card.getByRole('button', { name: 'Verify the whole log' }).click();
    await card.getByTestId('verify-result').getByText('Intact').waitFor();
    await shot(page, 'log-health');

    await alterLeaf(gateway.regions, home, index);
    await card.getByRole('button', { name: 'Verify the whole log' }).click();
    const result = card.getByTestId('verify-result');
    await result.getByText('Not intact').waitFor();
    assert.match(
      await result.innerText(),
      new RegExp(`first divergence at leaf index ${String(index)}\\b`),
    );
    await card.getByText(`FAILED (altered at leaf ${String(index)})`).waitFor();
    await shot(page, 'log-health-tampered');

    await result.getByRole('link', { name: /Open the entry at leaf/ }).click();
    await page.getByText(decisionId).waitFor();
    const verdict = page.getByTestId('receipt-verdict');
    await verdict.getByText('Receipt NOT verified').waitFor();
    assert.match(await verdict.innerText(), /does not lead to the signed root/);
    await page.context().close();
  });

  it('legal requests: a reviewer cannot approve a request they opened, a second reviewer can; the break-glass access it allows is reviewed by an auditor', async (t) => {
    if (skipped !== undefined) {
      t.skip(skipped);
      return;
    }
    const { gateway } = need();
    const feed = await gateway.token({ service: 'svc:feed', region: US, roles: ['service'] });
    const subject = await createSubject(gateway, feed, 'US');
    const path = recordPath(subject.subjectId, 'profile', 'p1');
    await gateway.request('PUT', path, { token: feed, body: { displayName: 'Cy' } });

    const first = await need().signIn('legal-a');
    const home = subject.homeRegion;
    await first.goto(`${need().consoleUrl}#/legal?region=${home}`);
    await first.getByRole('heading', { name: 'Legal requests' }).waitFor();
    await first.getByText('Open a legal request').click();
    await first.getByLabel('Subjects (one region)').fill(subject.subjectId);
    await first.getByLabel('Requester service (who may use the approval)').fill('svc:legal-us');
    await first.getByLabel('External reference').fill('LR-2026-7');
    await first.getByRole('button', { name: 'Open request' }).click();
    const opened = first.locator('li[data-case]').filter({ hasText: 'LR-2026-7' });
    await opened.waitFor();
    const caseId = (await opened.getAttribute('data-case')) ?? '';
    await opened.getByRole('button', { name: 'Approve' }).click();
    await opened
      .getByRole('alert')
      .getByText(/two_person_rule/)
      .waitFor();
    await shot(first, 'legal-requests');
    // Sign-out ends the session here and at the provider.
    await first.getByRole('button', { name: 'Sign out' }).click();
    await first.getByRole('button', { name: 'Yes, sign me out' }).click();
    await first.getByRole('button', { name: /Sign in with/ }).waitFor();
    assert.equal(await first.evaluate<string | null>("sessionStorage.getItem('rg.session')"), null);
    await first.context().close();

    const second = await need().signIn('legal-b');
    await second.goto(`${need().consoleUrl}#/legal?region=${home}`);
    const same = second.locator(`li[data-case="${caseId}"]`);
    await same.getByRole('button', { name: 'Approve' }).click();
    await same.getByText('approved', { exact: true }).waitFor();
    assert.match(await same.innerText(), /approved by user:legal-b/);
    await second.context().close();

    const requester = await gateway.token({
      service: 'svc:legal-us',
      region: US,
      roles: ['legal'],
    });
    const breakGlass = await gateway.request('GET', path, {
      token: requester,
      purpose: 'legal-process',
      headers: { 'X-Case-Id': caseId },
    });
    assert.equal(breakGlass.status, 200, breakGlass.text);
    await gateway.integrate();

    const auditor = await need().signIn('auditor-us');
    await auditor.getByRole('link', { name: 'Reviews' }).click();
    await auditor.getByLabel('Region', { exact: true }).selectOption(home);
    const item = auditor.locator('li.card').filter({ hasText: 'svc:legal-us' });
    await item.getByLabel('Review note').fill('LR-2026-7: court order checked, access matches it.');
    await shot(auditor, 'reviews');
    await item.getByRole('button', { name: 'Mark reviewed' }).click();
    await auditor.getByText('Nothing to review.').waitFor();
    await auditor.getByLabel('Show').selectOption('reviewed');
    await auditor.getByText(/Reviewed by user:auditor-us/).waitFor();
    // The review is itself a decision in the log.
    await auditor.goto(`${need().consoleUrl}#/decisions?region=${home}&action=audit.review`);
    await auditor.getByText('1 decision.').waitFor();
    await auditor.context().close();
  });

  it('an EU auditor does not see US decisions; the flows chart and a narrow window work for the US auditor', async (t) => {
    if (skipped !== undefined) {
      t.skip(skipped);
      return;
    }
    const eu = await need().signIn('auditor-eu');
    const regions = await eu
      .getByLabel('Region', { exact: true })
      .locator('option')
      .allInnerTexts();
    assert.deepEqual(regions, ['eu-central-1']);
    await eu.goto(`${need().consoleUrl}#/decisions?region=${US}`);
    await eu
      .getByRole('alert')
      .getByText(/audit_outside_jurisdiction/)
      .waitFor();
    await eu.context().close();

    const narrow = await need().signIn('auditor-us', 390);
    await narrow.getByRole('link', { name: 'Flows' }).click();
    await narrow
      .getByRole('table')
      .getByText(/US → US · service-delivery/)
      .waitFor();
    const overflow = await narrow.evaluate<number>(
      'document.documentElement.scrollWidth - window.innerWidth',
    );
    assert.ok(overflow <= 0, `the page scrolls sideways by ${String(overflow)} px at 390 px`);
    await narrow.setViewportSize({ width: 1280, height: 900 });
    await shot(narrow, 'flows');
    await narrow.context().close();
  });

  it('keyboard only: sign in and search without a mouse; reports page weight and time to first render', async (t: TestContext) => {
    if (skipped !== undefined) {
      t.skip(skipped);
      return;
    }
    // A decision of svc:feed in us-east-1, the region the US auditor's search opens on (US
    // subjects are placed in either US region at random).
    const { gateway } = need();
    const feed = await gateway.token({ service: 'svc:feed', region: US, roles: ['service'] });
    for (let i = 0; i < 40; i++) {
      if ((await createSubject(gateway, feed, 'US')).homeRegion === US) break;
    }
    const context = await need().browser.newContext();
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    await page.goto(need().consoleUrl);
    await page.getByRole('button', { name: /Sign in with/ }).waitFor();
    const firstRender = await page.evaluate(
      () => performance.getEntriesByName('console-rendered')[0]?.startTime ?? -1,
    );
    await page.keyboard.press('Tab');
    assert.match(await page.evaluate<string>('document.activeElement.textContent'), /Sign in with/);
    await page.keyboard.press('Enter');
    await page.getByLabel('User').selectOption('auditor-us');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    const search = page.getByLabel('Caller service', { exact: true });
    await search.waitFor();
    await search.fill('svc:feed');
    await search.press('Enter');
    await page.waitForURL(/service=svc%3Afeed/, { waitUntil: 'commit' });
    await page.locator('tbody tr').first().waitFor();
    const bytes = (name: string) => statSync(join(PROJECT_ROOT, 'dist', 'console', name)).size;
    const gzip = ['index.html.gz', 'app.js.gz', 'console.css.gz'].reduce((n, f) => n + bytes(f), 0);
    const raw = ['index.html', 'app.js', 'console.css'].reduce((n, f) => n + bytes(f), 0);
    process.stdout.write(
      `console: page weight ${String(raw)} bytes (${String(gzip)} gzipped); first render ${firstRender.toFixed(0)} ms after navigation start\n`,
    );
    assert.ok(firstRender > 0 && firstRender < 3000);

    // The session ends with the access token: the console says so and asks to sign in again.
    await page.evaluate(`(() => {
      const session = JSON.parse(sessionStorage.getItem('rg.session'));
      sessionStorage.setItem('rg.session', JSON.stringify({ ...session, expiresAt: Date.now() + 1500 }));
    })()`);
    await page.reload();
    await page.getByRole('alert').getByText('Your session has ended').waitFor();
    await page.getByRole('button', { name: /Sign in with/ }).waitFor();
    await context.close();
  });

  it('every view passes axe-core’s WCAG 2 A and AA checks', async (t) => {
    if (skipped !== undefined) {
      t.skip(skipped);
      return;
    }
    const signedOut = await need().browser.newContext({ bypassCSP: true });
    const start = await signedOut.newPage();
    await start.goto(need().consoleUrl);
    await start.getByRole('button', { name: /Sign in with/ }).waitFor();
    const found: string[] = [];
    const check = async (page: typeof start, view: string) => {
      for (const v of await accessibilityViolations(page))
        found.push(
          `${view}: ${v.id} (${v.impact ?? '?'}) ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
        );
    };
    await check(start, 'sign-in');
    await signedOut.close();

    const auditor = await need().signIn('auditor-us', 1280, { bypassCSP: true });
    for (const [view, ready] of [
      ['decisions', /decisions?\.|No decisions match/],
      ['health', /Latest checkpoint/],
      ['reviews', /Nothing to review|Mark reviewed/],
      ['flows', /Flows in the period|No decisions in this period/],
    ] as const) {
      await auditor.goto(`${need().consoleUrl}#/${view}`);
      await auditor.getByText(ready).first().waitFor();
      await check(auditor, view);
    }
    await auditor.context().close();
    const legal = await need().signIn('legal-a', 1280, { bypassCSP: true });
    await legal.getByRole('heading', { name: 'Legal requests' }).waitFor();
    await legal
      .getByText(/No legal requests|opened by/)
      .first()
      .waitFor();
    await check(legal, 'legal');
    await legal.context().close();
    assert.deepEqual(found, []);
  });
});
