// Drives the hosted verification page in Chromium (playwright-core), for
// pkg/localrun's TestHostedVerificationInBrowser. CommonJS so that NODE_PATH finds
// playwright-core in .cache/npm/node_modules. Input by environment:
//   HB_MODE       verify (send a code, read it from the SMS outbox, confirm) or gone
//   HB_URL        the verification link
//   HB_RETURN     the returnUrl the browser must land on (verify)
//   HB_SMS        the SMS outbox file; HB_MOBILE the mobile whose code to read
//   HB_SHOT       where to write a screenshot
//   HB_CHROMIUM   the browser binary
// Output: one JSON line {status, final, title, text, errors}. Personal data never goes
// to stdout: the code is read and typed, not printed.
'use strict';
const fs = require('fs');
const { chromium } = require('playwright-core');

const env = process.env;

function lastCode(file, mobile) {
  let code = '';
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line);
    if (e.phone === mobile && e.purpose === 'verify') code = e.code;
  }
  return code;
}

async function main() {
  const browser = await chromium.launch({ executablePath: env.HB_CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  const out = { errors: [] };
  try {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    page.on('pageerror', (e) => out.errors.push(String(e)));
    page.on('console', (m) => {
      // The 410 of a used link's own document is what the test expects, not a page error.
      if (m.type() === 'error' && !(env.HB_MODE === 'gone' && /status of 410/.test(m.text()))) out.errors.push(m.text());
    });
    const resp = await page.goto(env.HB_URL);
    out.status = resp.status();
    out.title = await page.title();
    if (env.HB_MODE === 'gone') {
      out.text = await page.textContent('body');
      await page.screenshot({ path: env.HB_SHOT, fullPage: true });
      return out;
    }
    await page.click('#send');
    await page.waitForFunction(() => /Code sent/.test(document.getElementById('msg').textContent), null, { timeout: 10000 });
    let code = '';
    for (let i = 0; i < 100 && !code; i++) {
      code = lastCode(env.HB_SMS, env.HB_MOBILE);
      if (!code) await new Promise((r) => setTimeout(r, 50));
    }
    if (!code) throw new Error('no code in the SMS outbox');
    await page.fill('#code', code);
    await page.screenshot({ path: env.HB_SHOT, fullPage: true });
    await Promise.all([
      page.waitForURL((u) => u.href.startsWith(env.HB_RETURN), { timeout: 15000 }),
      page.click('#confirm'),
    ]);
    out.final = page.url();
    out.text = await page.textContent('body');
    return out;
  } finally {
    await browser.close();
  }
}

main().then((out) => { process.stdout.write(JSON.stringify(out) + '\n'); }, (e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
