// Staff accounts with passkeys (issue 21), in Chromium with CDP's virtual authenticator (PRF on;
// see shared/TOOLCHAIN.md) against a real inbox on loopback: enrol from an invite link, sign in,
// sign out; an expired and a used invite refused; a replayed assertion refused; a removed
// person's session refused at their next request; the lockout after repeated failures; a second
// passkey added and one removed (never the last); and no PRF output in any request body.
// No WebAuthn is mocked: the authenticator signs, the inbox's webauthn-rs verifies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startStack, launch, run, INBOX_BIN, ROOT } from './harness.mjs';

let stack;
let browser;

function staff(...args) {
  return run(INBOX_BIN, ['staff', '--config', join(stack.dir, 'inbox.toml'), ...args]);
}

/** The enrolment link `staff add-owner` / `staff invite` printed. */
function linkIn(out) {
  const link = out.split('\n').find((l) => l.includes('/desk/#enrol='));
  assert.ok(link, `no link in: ${out}`);
  return link.trim();
}

/** A browser context with its own virtual platform authenticator (user verification, PRF). */
async function device(options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, hasPrf: true,
    },
  });
  return { context, page, cdp, authenticatorId };
}

async function signIn(page, name) {
  await page.goto(`${origin()}/desk/`);
  await page.getByLabel('Your name').fill(name);
  await page.getByRole('button', { name: 'Sign in with passkey' }).click();
}

const origin = () => stack.inboxUrl.replace('127.0.0.1', 'localhost');

before(async () => {
  stack = await startStack({ accounts: { roles: ['desk', 'care'] } });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

test('the owner enrols from the link, signs out and signs in again with the passkey', async () => {
  const link = linkIn(await staff('add-owner', 'Olive'));
  const { context, page, cdp, authenticatorId } = await device();
  await page.goto(link);
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await page.getByText('You are signed in as').waitFor();
  assert.equal(await page.locator('#who').textContent(), 'Olive');
  assert.equal(await page.locator('#roles').textContent(), 'owner');
  assert.equal(await page.evaluate(() => document.body.dataset.prf), 'yes', 'PRF reached the page');
  assert.equal(new URL(page.url()).hash, '', 'the invite secret left the address bar');
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1);

  const [cookie] = (await context.cookies()).filter((c) => c.name === '__Host-kuvert-session');
  assert.ok(cookie, 'a session cookie');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.secure, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByText('You are signed out.').waitFor();
  assert.equal((await context.cookies()).filter((c) => c.name === '__Host-kuvert-session').length, 0);
  const me = await page.evaluate(() => fetch('/v1/staff/me').then((r) => r.status));
  assert.equal(me, 401, 'the old session is gone');

  await signIn(page, 'Olive');
  await page.getByText('You are signed in as').waitFor();
  assert.equal(await page.evaluate(() => document.body.dataset.prf), 'yes');

  // The used link is refused, and says what to do.
  await page.goto(link);
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await page.getByText('was used already').waitFor();
  await context.close();
});

test('an expired invite is refused', async () => {
  const dayAgo = Math.floor(Date.now() / 1000) - 25 * 3600;
  const link = linkIn(await staff('--at', String(dayAgo), 'invite', 'Late', '--role', 'desk'));
  const { context, page } = await device();
  await page.goto(link);
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await page.getByText('has expired; ask the owner for a new one').waitFor();
  await context.close();
});

test('a replayed assertion is refused, and repeated failures lock the person out', async () => {
  const link = linkIn(await staff('invite', 'Dana', '--role', 'desk'));
  const { context, page } = await device();
  await page.goto(link);
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await page.getByText('You are signed in as').waitFor();

  // One real ceremony by hand, then its assertion sent again: once to the finished ceremony,
  // then to fresh ones (whose challenge it does not sign).
  const outcome = await page.evaluate(async () => {
    const post = (path, body) => fetch(path, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: await r.json().catch(() => null), retry: r.headers.get('retry-after') }));
    const start = await post('/v1/staff/signin/start', { name: 'Dana' });
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(start.body.options.publicKey);
    const credential = (await navigator.credentials.get({ publicKey })).toJSON();
    const first = await post('/v1/staff/signin/finish', { ceremony: start.body.ceremony, credential });
    const replay = await post('/v1/staff/signin/finish', { ceremony: start.body.ceremony, credential });
    const others = [];
    for (let i = 0; i < 5; i++) {
      const fresh = await post('/v1/staff/signin/start', { name: 'Dana' });
      others.push((await post('/v1/staff/signin/finish', { ceremony: fresh.body.ceremony, credential })).status);
    }
    const locked = await post('/v1/staff/signin/start', { name: 'Dana' });
    return { first: first.status, replay: [replay.status, replay.body.error.code], others, locked };
  });
  assert.equal(outcome.first, 200);
  assert.deepEqual(outcome.replay, [400, 'ceremony_expired']);
  assert.deepEqual(outcome.others, [401, 401, 401, 401, 401]);
  assert.equal(outcome.locked.status, 429);
  assert.equal(outcome.locked.body.error.code, 'rate_limited');
  assert.ok(Number(outcome.locked.retry) >= 1, 'Retry-After');

  // Locked out even with the right passkey, and told so.
  const fresh = await device();
  await signIn(fresh.page, 'Dana');
  await fresh.page.getByText('too many failed sign-ins for this person').waitFor();
  await fresh.context.close();
  await context.close();
});

test("a removed person's session is refused at the next request", async () => {
  const link = linkIn(await staff('invite', 'Rex', '--role', 'care'));
  const { context, page } = await device();
  await page.goto(link);
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await page.getByText('You are signed in as').waitFor();
  assert.equal(await page.evaluate(() => fetch('/v1/staff/me').then((r) => r.status)), 200);

  await staff('remove', 'Rex');
  assert.equal(await page.evaluate(() => fetch('/v1/staff/me').then((r) => r.status)), 401);
  await page.reload();
  await page.getByRole('button', { name: 'Sign in with passkey' }).waitFor();
  const list = await staff('list');
  assert.ok(!list.includes('Rex'), list);
  assert.ok(list.includes('Olive (active): roles owner'), list);
  await context.close();
});

test('a second passkey is added and one removed, never the last; no PRF output is ever sent', async () => {
  const link = linkIn(await staff('invite', 'Kim', '--role', 'desk'));
  const { context, page, cdp, authenticatorId } = await device();
  const sent = [];
  page.on('request', (r) => { if (r.url().includes('/v1/staff/')) sent.push(r.postData() || ''); });
  await page.goto(link);
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await page.getByText('You are signed in as').waitFor();
  // The second passkey is on another device (a new authenticator without the first).
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, hasPrf: true,
    },
  });
  const result = await page.evaluate(async () => {
    const post = (path, body) => fetch(path, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: await r.json().catch(() => null) }));
    const start = await post('/v1/staff/me/passkeys/start', {});
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(start.body.options.publicKey);
    const credential = (await navigator.credentials.create({ publicKey })).toJSON();
    const added = await post('/v1/staff/me/passkeys/finish', { ceremony: start.body.ceremony, credential });
    const ids = added.body.passkeys.map((p) => p.id);
    const del = (id) => fetch(`/v1/staff/me/passkeys/${id}`, { method: 'DELETE' }).then((r) => r.status);
    const first = await del(ids[0]);
    const last = await del(ids[1]);
    const me = await fetch('/v1/staff/me').then((r) => r.json());
    return { count: ids.length, first, last, left: me.passkeys.length };
  });
  assert.deepEqual(result, { count: 2, first: 204, last: 404, left: 1 });
  assert.ok(sent.some((b) => b.includes('"clientExtensionResults":{}')), 'the finish bodies were seen');
  assert.ok(!sent.some((b) => b.includes('"prf"')), 'no PRF output in any request');
  await context.close();
});

test('the staff pages have no accessibility violations (axe: WCAG 2.1 AA and best practice)', async () => {
  const link = linkIn(await staff('invite', 'Axel', '--role', 'desk'));
  const { context, page } = await device({ bypassCSP: true });
  const axe = async () => {
    await page.addScriptTag({ path: join(ROOT, 'node_modules/axe-core/axe.min.js') });
    const r = await page.evaluate(() => window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }));
    return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  };
  const problems = [];
  await page.goto(`${origin()}/desk/`);
  await page.getByRole('button', { name: 'Sign in with passkey' }).waitFor();
  problems.push(...(await axe()).map((v) => `sign-in: ${v}`));
  await page.goto(link);
  await page.getByRole('button', { name: 'Create passkey' }).waitFor();
  problems.push(...(await axe()).map((v) => `enrol: ${v}`));
  await page.getByRole('button', { name: 'Create passkey' }).click();
  await page.getByText('You are signed in as').waitFor();
  problems.push(...(await axe()).map((v) => `signed in: ${v}`));
  assert.deepEqual(problems, []);
  // Positive control: axe, injected like this, sees a violation when there is one.
  await page.evaluate(() => document.body.append(Object.assign(document.createElement('img'), { src: 'data:,' })));
  assert.ok((await axe()).some((v) => v.startsWith('image-alt')));
  await context.close();
});
