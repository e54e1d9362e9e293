// deploy/Caddyfile in front of a real inbox (issue 24): Caddy with its own local CA on loopback,
// the widget loaded and a booking made through it in Chromium, HSTS on the answers, and the
// inbox's rate limit keyed on the client's address (which Caddy passes in X-Forwarded-For),
// not on Caddy's own; and a staff member enrols with a passkey through Caddy and gets a
// `Secure` session cookie.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startStack, launch, staffOpen, showFullDay, freePort, run, INBOX_BIN, ROOT } from './harness.mjs';

let stack;
let browser;
let caddy;
let httpsOrigin;

before(async () => {
  const [https, http] = [await freePort(), await freePort()];
  httpsOrigin = `https://localhost:${https}`;
  stack = await startStack({ trustForwardedFor: true, cancelsPerHour: 3, accounts: { publicUrl: httpsOrigin } });
  browser = await launch();
  // The shipped Caddyfile, pointed at this inbox and this name, with Caddy's own CA instead of
  // a public one (`local_certs`), and nothing installed into the system's trust store.
  const shipped = readFileSync(join(ROOT, 'deploy/Caddyfile'), 'utf8');
  const site = shipped
    .replace(/^bookings\.example\.com \{$/m, `${httpsOrigin} {`)
    .replace(/reverse_proxy 127\.0\.0\.1:8787$/m, `reverse_proxy ${new URL(stack.inboxUrl).host}`);
  assert.ok(site.includes(`${httpsOrigin} {`) && site.includes(`reverse_proxy ${new URL(stack.inboxUrl).host}`),
    'the shipped Caddyfile has its site line and its reverse_proxy line');
  const dir = join(stack.dir, 'caddy');
  mkdirSync(dir);
  const file = join(dir, 'Caddyfile');
  writeFileSync(file, `{
	admin off
	local_certs
	skip_install_trust
	http_port ${http}
	https_port ${https}
	storage file_system ${dir}/data
}
${site}`);
  caddy = spawn('caddy', ['run', '--config', file, '--adapter', 'caddyfile'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
  });
  let log = '';
  // Caddy logs JSON lines; it is ready once it says it serves the configuration.
  await new Promise((ok, fail) => {
    const rl = createInterface({ input: caddy.stderr });
    rl.on('line', (l) => {
      log += l + '\n';
      if (l.includes("serving initial configuration")) ok();
    });
    caddy.once('exit', (code) => fail(new Error(`caddy exited (${code}):\n${log}`)));
  });
});

after(async () => {
  await browser?.close();
  if (caddy && caddy.exitCode === null) {
    await new Promise((ok) => { caddy.once('exit', ok); caddy.kill('SIGTERM'); });
  }
  await stack?.stop();
});

/** One HTTPS request to Caddy from the loopback address `from`, trusting Caddy's local CA. */
function viaCaddy(path, { method = 'GET', from = '127.0.0.1', headers = {}, body } = {}) {
  const url = new URL(path, httpsOrigin);
  return new Promise((ok, fail) => {
    const req = request({
      host: '127.0.0.1', servername: 'localhost', port: url.port, path: url.pathname, method,
      localAddress: from, rejectUnauthorized: false, headers: { host: url.host, ...headers },
    }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => ok({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', fail);
    req.end(body);
  });
}

test('a booking made through Caddy over HTTPS lands in the inbox', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(stack.page({ path: '/https', widget: httpsOrigin }));
  const frame = page.frameLocator('iframe');
  const src = await page.locator('iframe').getAttribute('src');
  assert.equal(new URL(src).origin, httpsOrigin, 'the frame comes through Caddy');
  await frame.getByLabel(/Haircut/).check();
  await frame.getByRole('button', { name: 'Continue' }).click();
  await showFullDay(frame);
  await frame.getByRole('radio').first().check();
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByLabel(/^Name/).fill('Ada over TLS');
  await frame.getByLabel(/^Phone/).fill('070-123 45 67');
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByLabel(/I have read/).check();
  await frame.getByRole('button', { name: 'Book' }).click();
  await frame.getByRole('heading', { name: 'Your booking is confirmed' }).waitFor();
  const reference = (await frame.locator('#k-reference').textContent()).trim();
  const opened = await staffOpen(stack);
  const mine = opened.find((b) => b.reference === reference);
  assert.ok(mine, `staff see the booking ${reference}`);
  assert.equal(mine.fields.name, 'Ada over TLS');
  assert.deepEqual(problems, []);
  await context.close();
});

test('Caddy sends HSTS', async () => {
  const res = await viaCaddy('/healthz');
  assert.equal(res.status, 200);
  assert.match(res.headers['strict-transport-security'] || '', /max-age=31536000/);
});

test("the rate limit keys on the client's address, not Caddy's, whatever the client forges", async () => {
  const cancel = (from, forged) => viaCaddy('/v1/bookings/AAAA-BBBB-CCCC/cancel', {
    method: 'POST', from,
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forged },
    body: '{"code":"ABCD-EFGH-JKMN-PQRS"}',
  });
  const statuses = [];
  for (let i = 0; i < 5; i += 1) statuses.push((await cancel('127.0.0.2', `10.0.0.${i}`)).status);
  assert.deepEqual(statuses, [404, 404, 404, 429, 429], 'one client, one bucket');
  // Another client behind the same Caddy has its own bucket: the key is not Caddy's address.
  assert.equal((await cancel('127.0.0.3', '10.0.0.1')).status, 404);
});

test('a staff member enrols through Caddy and gets a Secure, HttpOnly, SameSite=Strict session cookie', async () => {
  const out = await run(INBOX_BIN, ['staff', '--config', join(stack.dir, 'inbox.toml'), 'add-owner', 'Olive']);
  const link = out.split('\n').find((l) => l.startsWith(`${httpsOrigin}/desk/#enrol=`));
  assert.ok(link, `an https enrolment link: ${out}`);
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, hasPrf: true },
  });
  await page.goto(link.trim());
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await page.getByText('You are signed in as').waitFor();
  const [cookie] = (await context.cookies(httpsOrigin)).filter((c) => c.name === '__Host-kuvert-session');
  assert.ok(cookie, 'a session cookie');
  assert.deepEqual([cookie.secure, cookie.httpOnly, cookie.sameSite, cookie.path], [true, true, 'Strict', '/']);
  await context.close();
});
