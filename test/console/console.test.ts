// The web console in a real browser against a real server: the regulator signs in with the
// bootstrap key and admits an applicant through the page; the page shows the new key once;
// English on request; a screenshot under test-artifacts/; axe finds no serious or critical
// violation. Needs `npm run build` (dist/console) and Debian's chromium at /usr/bin/chromium;
// without chromium the test is skipped, saying so.
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../core/config.js';
import { prepareDataDir } from '../../cli/init.js';
import { CONSOLE_DIR } from '../../server/console.js';
import { serve, type Running } from '../../server/listen.js';
import { strangerUscc } from '../helpers/platform.js';
import { rmDir, tmpDir } from '../helpers/tmp.js';

const CHROMIUM = '/usr/bin/chromium';
const missing = !fs.existsSync(CHROMIUM) ? `${CHROMIUM} is missing (apt-get install -y chromium)` : !fs.existsSync(path.join(CONSOLE_DIR, 'index.html')) ? 'dist/console is not built (npm run build)' : null;
if (missing) console.warn(`test/console: skipped: ${missing}`);
const ARTIFACTS = path.resolve('test-artifacts');

describe.skipIf(missing !== null)(`web console in Chromium${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dataDir: string;
  let profile: string;
  let server: Running;
  let context: BrowserContext;
  let page: Page;
  let regulatorKey: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dataDir = tmpDir('dfix-console-');
    profile = tmpDir('dfix-chromium-');
    const config = resolveConfig({ dataDir, port: 0, host: '127.0.0.1', logLevel: 'warn' });
    prepareDataDir(config);
    server = await serve(config, { quiet: true });
    regulatorKey = (JSON.parse(fs.readFileSync(server.platform.bootstrapFile, 'utf8')) as { apiKey: string }).apiKey;
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (dataDir) rmDir(dataDir);
    if (profile) rmDir(profile);
  });

  it('the regulator signs in and admits an applicant through the page', async () => {
    const applied = await fetch(`${server.url}/v1/orgs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: '姑苏农村商业银行', kind: 'bank', uscc: strangerUscc(700) }),
    });
    expect(applied.status).toBe(201);

    await page.goto(`${server.url}/`);
    await expect(page.locator('html')).toBeDefined();
    expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');
    await page.getByLabel('机构 API 密钥').fill(regulatorKey);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByRole('heading', { name: '监管驾驶舱' }).waitFor();
    // the key is in this tab's session storage, never in the address
    expect(page.url()).not.toContain(regulatorKey);
    expect(await page.evaluate('sessionStorage.getItem("dfix.apiKey")')).toBe(regulatorKey);

    const row = page.getByRole('row', { name: /姑苏农村商业银行/ });
    await row.waitFor();
    expect(await row.textContent()).toContain(strangerUscc(700));
    await page.getByRole('button', { name: '准入 姑苏农村商业银行' }).click();
    const issued = page.getByTestId('issued-key');
    await issued.waitFor();
    const key = (await issued.textContent())?.trim() ?? '';
    expect(key).toMatch(/^dfx_/);
    // the key shown works, once, for the admitted bank
    const me = (await (await fetch(`${server.url}/v1/me`, { headers: { authorization: `Bearer ${key}` } })).json()) as { kind: string; name: string; status: string };
    expect(me).toMatchObject({ kind: 'bank', name: '姑苏农村商业银行', status: 'admitted' });
    await row.waitFor({ state: 'detached' });
    expect(await page.getByRole('region', { name: '准入申请' }).textContent()).toContain('暂无记录');

    // the cockpit: confinement posture, ledger health, the runs chart drawn on canvas
    await page.getByTestId('confinement').waitFor();
    expect(await page.getByTestId('confinement').textContent()).toContain('mode');
    await page.locator('.chart canvas').first().waitFor();

    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-regulator-zh.png'), fullPage: true });

    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Regulator cockpit' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-regulator-en.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('has no serious or critical accessibility violations (axe)', async () => {
    const results = await new AxeBuilder({ page }).analyze();
    const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`)).toEqual([]);
    // and the sign-in page, after signing out
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.evaluate('sessionStorage.getItem("dfix.apiKey")')).toBeNull();
    const signIn = await new AxeBuilder({ page }).analyze();
    expect(signIn.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
  });
});
