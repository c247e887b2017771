// The console against the real controller pair (tests/webui/run.py): sign-in, the live
// dashboard, a host crash seen without reloading, a switchover followed live and found
// in the audit trail, what a viewer and an operator may not do, lockout, a controller
// failover with the page still signed in, the language switch. Prints what it measures.
import { expect, test } from '@playwright/test';
import { control, fixture, password, shot, signIn } from './fixture';

test.describe.configure({ mode: 'serial' });

const figures: Record<string, number> = {};
test.afterAll(() => console.log('figures: ' + JSON.stringify(figures)));

test('sign-in with the one-time password, then the dashboard matches poolhactl status', async ({ page }) => {
  await signIn(page, 'ops');
  await expect(page.getByTestId('dashboard')).toBeVisible();
  await expect(page.getByTestId('live')).toContainText('实时');
  const st = await control('/status');
  const rules = st.state.rules as Record<string, any>;
  for (const [id, r] of Object.entries(rules)) {
    const row = page.getByTestId('rules-table').locator('tr', { hasText: id }).first();
    await expect(row).toContainText(r.primary);
  }
  await expect(page.getByTestId('stat-running')).toContainText(String(Object.values(rules).filter((r: any) => r.phase === 'running').length));
  await shot(page, '01-dashboard');
  await page.getByTestId('nav').getByText('拓扑').click();
  await expect(page.getByTestId('topology')).toBeVisible();
  await shot(page, '02-topology');
});

test('a crashed primary is taken over on the open page within 2 s, without reloading', async ({ page }) => {
  await signIn(page, 'ops');
  await page.getByTestId('nav').getByText('切换规则').click();
  const row = page.getByTestId('rules-table').locator('tr', { hasText: 'r1' }).first();
  await expect(row).toContainText('h1');
  let reloaded = false;
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) reloaded = true; });
  const t0 = Date.now();
  await control('/crash/h1');
  await expect(row.getByTestId('rule-primary')).not.toHaveText('h1', { timeout: 5000 });
  await expect(row).toContainText('运行中', { timeout: 5000 });
  const took = (Date.now() - t0) / 1000;
  figures.crash_to_page_s = took;
  console.log(`host h1 crashed: the page showed r1's new primary after ${took.toFixed(2)} s`);
  expect(reloaded).toBe(false);
  expect(took).toBeLessThanOrEqual(2.0);
  await shot(page, '03-rules-after-crash');
});

test('a switchover with a reason is followed live and appears in the audit trail', async ({ page, browser }) => {
  await signIn(page, 'ops');
  await page.getByTestId('nav').getByText('切换规则').click();
  await page.getByTestId('switchover-r2').click();
  await page.getByTestId('op-reason').fill('月末切换演练');
  await page.getByTestId('op-ticket').fill('CHG-2026-1201');
  await page.getByTestId('op-confirm').fill('r2');
  await shot(page, '04-switchover-confirm');
  const t0 = Date.now();
  await page.getByTestId('op-ok').click();
  await expect(page.getByTestId('op-progress')).toBeVisible();
  await expect(page.getByTestId('op-done')).toBeVisible({ timeout: 15000 });
  figures.switchover_followed_s = (Date.now() - t0) / 1000;
  await expect(page.getByTestId('op-progress')).toContainText('acquire');
  await shot(page, '05-switchover-progress');
  await page.getByTestId('op-close').click();

  const auditor = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: fixture.base_url, locale: 'zh-CN' });
  const ap = await auditor.newPage();
  await signIn(ap, 'aud');
  await expect(ap.getByTestId('audit')).toBeVisible();
  const rec = ap.getByTestId('audit-table').locator('tr', { hasText: '月末切换演练' }).first();
  await expect(rec).toContainText('switchover');
  await expect(rec).toContainText('ops');
  await expect(rec).toContainText('CHG-2026-1201');
  await shot(ap, '06-audit');
  // The audit administrator sees nothing else.
  await expect(ap.getByTestId('nav')).not.toContainText('切换规则');
  expect((await ap.request.get('/v1/status')).status()).toBe(403);
  await auditor.close();
});

test('a viewer and an operator are refused what they may not do, in the page and by the server', async ({ page, browser }) => {
  await signIn(page, 'view');
  await page.getByTestId('nav').getByText('切换规则').click();
  await expect(page.getByTestId('rules-table')).toBeVisible();
  await expect(page.getByTestId('switchover-r1')).toHaveCount(0);
  await expect(page.getByTestId('edit-r1')).toHaveCount(0);
  await shot(page, '07-viewer-rules');
  // A forged request with the session and its CSRF token: the server says no.
  const me = await (await page.request.get('/v1/me')).json();
  const forged = await page.request.post('/v1/rules/r1/switchover', { data: {}, headers: { 'X-CSRF-Token': me.csrf } });
  expect(forged.status()).toBe(403);
  // Without the token: refused as a cross-site request.
  expect((await page.request.post('/v1/rules/r1/switchover', { data: {} })).status()).toBe(403);

  const opctx = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: fixture.base_url });
  const op = await opctx.newPage();
  await signIn(op, 'ops');
  await expect(op.getByTestId('nav')).not.toContainText('用户与策略');
  await expect(op.getByTestId('nav')).not.toContainText('审计');
  const opme = await (await op.request.get('/v1/me')).json();
  expect((await op.request.post('/v1/users', { data: { name: 'x', roles: ['operator'] }, headers: { 'X-CSRF-Token': opme.csrf } })).status()).toBe(403);
  expect((await op.request.get('/v1/audit')).status()).toBe(403);
  await opctx.close();
});

test('repeated wrong passwords lock the account; the security administrator unlocks it', async ({ page, browser }) => {
  await signIn(page, 'admin');  // first sign-in: sets its password
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: fixture.base_url });
  const p = await ctx.newPage();
  await p.goto('/');
  let last = '';
  for (let i = 0; i < 5; i++) {
    await p.getByTestId('login-account').fill('admin');
    await p.getByTestId('login-password').fill('Wrong-Password-' + i);
    await p.getByTestId('login-submit').click();
    await expect(p.getByTestId('login-error')).toBeVisible();
    last = (await p.getByTestId('login-error').textContent()) ?? '';
  }
  expect(last).toContain('locked');
  await p.getByTestId('login-password').fill(password('admin'));
  await p.getByTestId('login-submit').click();
  await expect(p.getByTestId('login-error')).toContainText('locked');
  await shot(p, '08-locked');
  await ctx.close();
  const sec = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: fixture.base_url });
  const sp = await sec.newPage();
  await signIn(sp, 'sec');
  await expect(sp.getByTestId('users')).toBeVisible();
  await sp.getByTestId('user-unlock-admin').click();
  await expect(sp.getByTestId('user-unlock-admin')).toHaveCount(0);
  await shot(sp, '09-users');
  await sec.close();
});

// antd's Select: open it, pick the option with this text.
async function choose(page: any, testid: string, option: string) {
  await page.getByTestId(testid).click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option', { hasText: option }).first().click();
}

test('templates and create forms show the controller\'s messages at the field; a group switches together', async ({ page }) => {
  await signIn(page, 'admin');  // system administrator and operator
  // A template, refused first for a field the controller checks, then stored.
  await page.getByTestId('nav').getByText('高可用模板').click();
  await page.getByTestId('template-new').click();
  await page.getByTestId('field-id').fill('gw-tmpl');
  await page.getByTestId('field-description').fill('网关模板');
  await choose(page, 'field-pool', 'p1');
  await page.getByTestId('field-script_timeout_ms').fill('5');
  await page.getByTestId('spec-save').click();
  await expect(page.getByTestId('field-error-script_timeout_ms')).toContainText('100..600000');
  await shot(page, '12-template-field-error');
  await page.getByTestId('field-script_timeout_ms').fill('3000');
  await page.getByTestId('spec-save').click();
  await expect(page.getByTestId('templates-table')).toContainText('网关模板');

  // A rule made from it, joining r2's group: a bad VIP first, refused at the VIP field.
  await page.getByTestId('nav').getByText('切换规则').click();
  await page.getByTestId('rule-new').click();
  await page.getByTestId('field-id').fill('gw-new');
  await choose(page, 'field-template', 'gw-tmpl');
  await page.getByTestId('field-vip-0').fill('198.18.0.300/24');
  await page.getByTestId('field-group').fill('g-r2');
  // The same object as JSON: the template's fields and name, what was typed.
  await page.getByRole('tab', { name: 'JSON' }).click();
  await expect(page.getByTestId('spec-text')).toHaveValue(/"from_template": "gw-tmpl"/);
  await expect(page.getByTestId('spec-text')).toHaveValue(/"script_timeout_ms": 3000/);
  await expect(page.getByTestId('spec-text')).toHaveValue(/"group": "g-r2"/);
  await page.getByRole('tab', { name: '表单' }).click();
  await expect(page.getByTestId('spec-form')).toContainText('gw-tmpl');  // the selector still names it
  await page.getByTestId('spec-save').click();
  await expect(page.getByTestId('field-error-vips')).toContainText('198.18.0.300/24');
  await shot(page, '13-rule-form-field-error');
  await page.getByTestId('field-vip-0').fill('198.18.0.109/24');
  await page.getByTestId('spec-save').click();
  await expect(page.getByTestId('spec-editor')).toHaveCount(0);
  const st = await control('/status');
  expect(st.state.rules['gw-new'].spec.from_template).toBe('gw-tmpl');
  expect(st.state.rules['gw-new'].spec.script_timeout_ms).toBe(3000);
  const r2row = page.getByTestId('rules-table').locator('tr[data-row-key="r2"]');
  const newrow = page.getByTestId('rules-table').locator('tr[data-row-key="gw-new"]');
  const r2primary = (await r2row.getByTestId('rule-primary').textContent()) ?? '';
  await expect(newrow.getByTestId('rule-primary')).toHaveText(r2primary, { timeout: 10000 });  // joined where its group runs
  await expect(newrow).toContainText('运行中', { timeout: 10000 });

  // The group switch moves both, followed live.
  await page.getByTestId('more-gw-new').click();
  await page.getByRole('menuitem', { name: /组切换/ }).click();
  await page.getByTestId('op-reason').fill('组切换演练');
  await page.getByTestId('op-confirm').fill('gw-new');
  const t0 = Date.now();
  await page.getByTestId('op-ok').click();
  await expect(page.getByTestId('op-done')).toBeVisible({ timeout: 15000 });
  figures.group_switch_followed_s = (Date.now() - t0) / 1000;
  await shot(page, '14-group-switch');
  await page.getByTestId('op-close').click();
  const moved = (await newrow.getByTestId('rule-primary').textContent()) ?? '';
  expect(moved).not.toBe(r2primary);
  await expect(r2row.getByTestId('rule-primary')).toHaveText(moved, { timeout: 5000 });

  // Clean up: the rule, then its template (refused while the rule names it).
  await page.getByTestId('edit-gw-new').click();
  await page.getByTestId('spec-delete').click();
  await expect(newrow).toHaveCount(0, { timeout: 10000 });
  await page.getByTestId('nav').getByText('高可用模板').click();
  await shot(page, '15-templates');
  await page.getByTestId('template-gw-tmpl').click();
  await page.getByTestId('spec-delete').click();
  await expect(page.getByTestId('templates-table')).not.toContainText('gw-tmpl', { timeout: 5000 });
});

test('killing the active controller: the open page carries on through the controller VIP within 3 s, still signed in', async ({ page }) => {
  await signIn(page, 'ops');
  await expect(page.getByTestId('live')).toContainText('实时');
  const before = await page.getByTestId('controller').textContent();
  const killed = await control('/kill-active');
  const t0 = Date.now();
  await expect(page.getByTestId('controller')).not.toHaveText(before ?? '', { timeout: 10000 });
  await expect(page.getByTestId('live')).toContainText('实时', { timeout: 10000 });
  const took = (Date.now() - t0) / 1000;
  figures.controller_failover_page_s = took;
  console.log(`active controller ${killed.killed} killed: the page was live again on the other after ${took.toFixed(2)} s`);
  expect(took).toBeLessThanOrEqual(3.0);
  expect((await page.request.get('/v1/me')).status()).toBe(200);  // the session held
  await page.getByTestId('nav').getByText('控制面').click();
  await expect(page.getByTestId('cluster')).toBeVisible();
  await shot(page, '10-control-plane-after-failover');
  await control('/start/' + killed.killed);
});

test('the language switch turns the console into English', async ({ page }) => {
  await signIn(page, 'ops');
  await page.getByTestId('lang').click();
  await expect(page.getByTestId('nav')).toContainText('Rules');
  await expect(page.getByTestId('nav')).toContainText('Dashboard');
  await page.getByTestId('nav').getByText('Event timeline').click();
  await expect(page.getByTestId('events-table')).toBeVisible();
  await shot(page, '11-events-en');
  await page.getByTestId('lang').click();
  await expect(page.getByTestId('nav')).toContainText('切换规则');
});
