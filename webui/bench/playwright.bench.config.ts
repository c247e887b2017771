import { defineConfig } from '@playwright/test';
import base from '../playwright.config';

export default defineConfig({ ...base, testDir: '.', testMatch: /.*\.bench\.ts/, timeout: 300_000 });
