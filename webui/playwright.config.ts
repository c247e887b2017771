// The console's browser tests: Debian's Chromium (no browser download), driven against
// the real cluster tests/webui/run.py builds; that harness passes the fixture file.
import { defineConfig } from '@playwright/test';
import { readFileSync } from 'node:fs';

const fixture = process.env.POOLHA_WEBUI_FIXTURE ? JSON.parse(readFileSync(process.env.POOLHA_WEBUI_FIXTURE, 'utf8')) : {};

export default defineConfig({
  testDir: 'tests',
  timeout: 60_000,
  workers: 1,
  fullyParallel: false,
  reporter: [['list']],
  outputDir: fixture.out ? fixture.out + '/results' : 'test-results',
  use: {
    baseURL: fixture.base_url,
    ignoreHTTPSErrors: true,  // the cluster CA signs the controllers' certificates
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    viewport: { width: 1440, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
             '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    },
  },
});
