// Loader and frame in a real browser (issue 3): the iframe is cross-origin, the fragment
// carries the keys, the height follows the content, messages from other origins are
// ignored, and `kuvert:booked` carries no personal data. Plus one whole booking whose
// envelope the native key tool opens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, launch, staffOpen, showFullDay, DEMO_PUBLIC } from './harness.mjs';

let stack;
let browser;
before(async () => {
  stack = await startStack();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await stack?.stop();
});

async function open(attrs = {}, opts = {}) {
  const context = await browser.newContext(opts);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  const requests = [];
  page.on('request', (r) => requests.push(r));
  await page.goto(stack.page({ path: `/p${Math.random().toString(36).slice(2)}`, attrs }));
  const frame = page.frameLocator('iframe');
  return { context, page, frame, problems, requests };
}

/** Drives the form to the confirmation; returns the event detail the host page saw. */
async function book(page, frame, { name, phone, note }) {
  await page.evaluate(() => {
    window.__booked = new Promise((ok) => document.addEventListener('kuvert:booked', (e) => ok(e.detail)));
    // What any script on the host page could read of the frame's messages.
    window.__messages = [];
    window.addEventListener('message', (e) => window.__messages.push(e.data));
  });
  await frame.getByLabel(/Haircut/).check();
  await frame.getByRole('button', { name: 'Continue' }).click();
  await showFullDay(frame);
  await frame.getByRole('radio').first().check();
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByLabel(/^Name/).fill(name);
  await frame.getByLabel(/^Phone/).fill(phone);
  if (note) await frame.getByLabel(/^Note/).fill(note);
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByLabel(/I have read/).check();
  await frame.getByRole('button', { name: 'Book' }).click();
  await frame.getByRole('heading', { name: 'Your booking is confirmed' }).waitFor();
  return page.evaluate(() => window.__booked);
}

test('the frame is cross-origin and the keys travel only in the fragment', async () => {
  const { context, page, frame, problems, requests } = await open();
  await frame.getByRole('heading', { name: 'Choose a service' }).waitFor();
  const src = await page.locator('iframe').getAttribute('src');
  const url = new URL(src);
  assert.equal(url.origin, stack.inboxUrl, 'the frame comes from the widget origin');
  assert.notEqual(url.origin, new URL(page.url()).origin);
  assert.equal(url.search, '', 'nothing in the query string');
  const fragment = new URLSearchParams(url.hash.slice(1));
  assert.equal(fragment.get('keys'), DEMO_PUBLIC);
  assert.equal(fragment.get('form'), 'salon');
  // The host page cannot reach into the frame.
  const reach = await page.evaluate(() => {
    const f = document.querySelector('iframe');
    let doc = 'readable';
    try { doc = f.contentWindow.document ? 'readable' : 'null'; } catch { doc = 'blocked'; }
    return { contentDocument: f.contentDocument === null, doc };
  });
  assert.deepEqual(reach, { contentDocument: true, doc: 'blocked' });
  for (const r of requests) {
    assert.ok(!r.url().includes('age1'), `a request URL carries a key: ${r.url()}`);
    assert.ok(!r.url().includes('#'), `a request URL carries a fragment: ${r.url()}`);
    const origin = new URL(r.url()).origin;
    assert.ok([stack.inboxUrl, stack.hostOrigin].includes(origin), `request to a third origin: ${r.url()}`);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('the iframe height follows its content', async () => {
  const { context, page, frame } = await open({}, { viewport: { width: 360, height: 640 } });
  await frame.getByRole('heading', { name: 'Choose a service' }).waitFor();
  const fitted = async () => {
    // The frame's document height, read from inside, against the iframe's height outside.
    const inner = await frame.locator('html').evaluate((h) => Math.ceil(h.getBoundingClientRect().height));
    await page.waitForFunction((want) => Math.abs(document.querySelector('iframe').getBoundingClientRect().height - want) <= 1, inner);
    return inner;
  };
  const first = await fitted();
  await frame.getByLabel(/Colour/).check();
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByRole('radio').first().check();
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByRole('heading', { name: 'Your details' }).waitFor();
  const second = await fitted();
  assert.ok(second > first, `details (${second}px) are taller than the service list (${first}px)`);
  await context.close();
});

test('messages from another origin are ignored', async () => {
  const { context, page, frame } = await open();
  await frame.getByRole('heading', { name: 'Choose a service' }).waitFor();
  const before = await page.locator('iframe').evaluate((f) => f.style.height);
  const seen = await page.evaluate(async () => {
    let booked = 0;
    document.addEventListener('kuvert:booked', () => { booked += 1; });
    // Same shapes the frame sends, but from the host page's own origin.
    window.postMessage({ kuvert: 'height', height: '7' }, '*');
    window.postMessage({ kuvert: 'booked', reference: 'AAAA-BBBB-CCCC', service: 'cut', start: '2030-01-01T10:00:00Z' }, '*');
    // A round trip through the event loop after both messages were dispatched.
    await new Promise((ok) => { window.addEventListener('message', function last(e) { if (e.data === 'done') ok(); }); window.postMessage('done', '*'); });
    return booked;
  });
  assert.equal(seen, 0, 'no kuvert:booked from a forged message');
  assert.equal(await page.locator('iframe').evaluate((f) => f.style.height), before, 'height unchanged');
  await context.close();
});

test('a booking made in the frame is opened by the key tool, and kuvert:booked carries no personal data', async () => {
  const canary = `Canary${Date.now()}`;
  const { context, page, frame, requests } = await open();
  const detail = await book(page, frame, { name: `Ada ${canary}`, phone: '070-123 45 67', note: `Note ${canary}` });
  assert.deepEqual(detail, {}, 'kuvert:booked says only that a booking was made, by default');
  // What any script on the page could read: the facts not opted in go out empty.
  const booked = (await page.evaluate(() => window.__messages)).filter((m) => m && m.kuvert === 'booked');
  assert.equal(booked.length, 1);
  assert.deepEqual([booked[0].reference, booked[0].service, booked[0].start], ['', '', '']);
  assert.ok(!JSON.stringify(booked).includes(canary));
  const reference = await frame.locator('#k-reference').textContent();
  // The POST carried ciphertext only.
  const post = requests.find((r) => r.method() === 'POST');
  assert.ok(post, 'the booking was posted');
  assert.ok(!post.postData().includes(canary), 'plaintext in the posted body');
  assert.deepEqual(Object.keys(JSON.parse(post.postData())).sort(), ['cancel', 'form', 'kuvert', 'public', 'sealed']);
  // The inputs are gone from the frame's DOM after the post.
  assert.equal(await frame.locator('input[name=name]').count(), 0);
  const opened = await staffOpen(stack);
  const mine = opened.find((b) => b.reference === reference);
  assert.ok(mine, `staff see the booking ${reference}: ${JSON.stringify(opened)}`);
  const text = JSON.stringify(mine);
  assert.ok(text.includes(`Ada ${canary}`), text);
  assert.ok(text.includes('+46701234567'), `the phone number is normalised to E.164: ${text}`);
  assert.ok(text.includes(`Note ${canary}`), text);
  await context.close();
});

test('data-event-detail opts in to the booking facts of kuvert:booked, field by field', async () => {
  for (const [opt, keys] of [['reference, service, start', ['reference', 'service', 'start']], ['reference', ['reference']]]) {
    const { context, page, frame } = await open({ 'event-detail': opt });
    const detail = await book(page, frame, { name: 'Ada Event', phone: '070-123 45 67' });
    assert.deepEqual(Object.keys(detail).sort(), keys);
    assert.equal(detail.reference, (await frame.locator('#k-reference').textContent()).trim());
    if (detail.service) assert.equal(detail.service, 'cut');
    const [booked] = (await page.evaluate(() => window.__messages)).filter((m) => m && m.kuvert === 'booked');
    for (const k of ['reference', 'service', 'start']) {
      assert.equal(booked[k] !== '', keys.includes(k), `${k} in the frame's message: ${JSON.stringify(booked)}`);
    }
    await context.close();
  }
});

test('button mode opens the form in place; popup mode in a modal dialog', async () => {
  const button = await open({ mode: 'button', lang: 'sv' });
  const b = button.page.getByRole('button', { name: 'Boka en tid' });
  assert.equal(await b.getAttribute('aria-expanded'), 'false');
  assert.equal(await button.page.locator('iframe').isVisible(), false, 'the form starts closed');
  await b.click();
  assert.equal(await b.getAttribute('aria-expanded'), 'true');
  await button.frame.getByRole('heading', { name: 'Välj en tjänst' }).waitFor();
  assert.equal(await b.getAttribute('aria-controls'), await button.page.locator('iframe').getAttribute('id'));
  await button.context.close();

  const popup = await open({ mode: 'popup', lang: 'de' });
  await popup.page.getByRole('button', { name: 'Einen Termin buchen' }).click();
  const dialog = popup.page.getByRole('dialog');
  await dialog.waitFor();
  assert.equal(await dialog.evaluate((d) => d.open && d.matches(':modal')), true);
  await popup.frame.getByRole('heading', { name: 'Leistung wählen' }).waitFor();
  assert.equal(await dialog.getByRole('button', { name: 'Schließen' }).count(), 1, 'the close button is labelled in the language');
  await popup.page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  await popup.context.close();
});

test('theme attributes reach the frame as custom properties; bad values are dropped', async () => {
  const good = await open({ accent: '#7a1f5c', radius: '12px', font: 'Georgia, serif' });
  await good.frame.getByRole('heading', { name: 'Choose a service' }).waitFor();
  const props = await good.frame.locator('html').evaluate((h) => {
    const s = getComputedStyle(h);
    return ['--k-accent', '--k-radius', '--k-font'].map((p) => s.getPropertyValue(p).trim());
  });
  assert.deepEqual(props, ['#7a1f5c', '12px', 'Georgia, serif']);
  await good.context.close();

  const bad = await open({ accent: 'red;background:url(//evil.example)', radius: '1e9px', font: 'x}body{display:none' });
  await bad.frame.getByRole('heading', { name: 'Choose a service' }).waitFor();
  const inline = await bad.frame.locator('html').evaluate((h) => h.getAttribute('style'));
  assert.equal(inline, null, 'no theme value was applied');
  await bad.context.close();
});

test('at 320 px wide, no step scrolls sideways', async () => {
  const { context, page, frame } = await open({}, { viewport: { width: 320, height: 640 } });
  const fits = () => frame.locator('html').evaluate((h) => h.scrollWidth <= h.clientWidth);
  await frame.getByRole('heading', { name: 'Choose a service' }).waitFor();
  assert.ok(await fits(), 'service step');
  await frame.getByLabel(/Haircut/).check();
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByRole('radio').first().check();
  assert.ok(await fits(), 'slot step');
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.locator('.k-error').first().waitFor();
  assert.ok(await fits(), 'details with errors');
  await frame.getByLabel(/^Name/).fill('Narrow Screen');
  await frame.getByLabel(/^Phone/).fill('+46701234510');
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByLabel(/I have read/).waitFor();
  assert.ok(await fits(), 'notice and consent');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 320), 'the host page does not overflow either');
  await context.close();
});
