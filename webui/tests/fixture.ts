// What tests/webui/run.py hands the browser tests: the console's URL, the accounts'
// one-time passwords, the harness's control socket (faults, poolhactl status).
import { Page, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';

export const fixture: { base_url: string; control: string; accounts: Record<string, string>; out: string } =
  JSON.parse(readFileSync(process.env.POOLHA_WEBUI_FIXTURE!, 'utf8'));

export function control(path: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath: fixture.control, path, method: 'POST' }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => {
        const body = data ? JSON.parse(data) : {};
        if (res.statusCode !== 200) reject(new Error(path + ': ' + (body.error ?? res.statusCode)));
        else resolve(body);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

// New passwords the tests choose (the one-time passwords work once).
export const password = (account: string) => 'Pw-2026-安全-' + account.length + 'x';

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${fixture.out}/${name}.png`, fullPage: true });
}

// Signs in; on the first sign-in the one-time password is replaced by password(account).
export async function signIn(page: Page, account: string) {
  await page.goto('/');
  await page.getByTestId('login-account').fill(account);
  const first = !signedInOnce.has(account);
  await page.getByTestId('login-password').fill(first ? fixture.accounts[account] : password(account));
  await page.getByTestId('login-submit').click();
  if (first) {
    await expect(page.getByTestId('password-form')).toBeVisible();
    await page.getByTestId('password-old').fill(fixture.accounts[account]);
    await page.getByTestId('password-new').fill(password(account));
    await page.getByTestId('password-confirm').fill(password(account));
    await page.getByTestId('password-submit').click();
    signedInOnce.add(account);
  }
  await expect(page.getByTestId('user-menu')).toBeVisible();
}
const signedInOnce = new Set<string>();
