// End to end (issue 6): the product as a customer, a business and a receptionist meet it.
// A real inbox (SQLite on disk) serves the widget on 127.0.0.1; host pages come from
// localhost; Debian's Chromium drives both; staff open bookings with the `kuvert` binary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, launch, staffOpen, showFullDay, ROOT } from './harness.mjs';

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

const SHOTS = join(ROOT, 'target/screenshots');
const README_SHOTS = join(ROOT, 'docs/screenshots');

async function newPage({ attrs = {}, headers = {}, viewport, bypassCSP = false, init, icon = true, setup } = {}) {
  const context = await browser.newContext({ viewport, bypassCSP, acceptDownloads: true });
  if (init) await context.addInitScript(init);
  if (setup) await setup(context);
  const page = await context.newPage();
  const console_ = [];
  page.on('console', (m) => console_.push({ type: m.type(), text: m.text() }));
  page.on('pageerror', (e) => console_.push({ type: 'pageerror', text: String(e) }));
  const requests = [];
  page.on('request', (r) => requests.push(r));
  const url = stack.page({ path: `/e2e-${Math.random().toString(36).slice(2)}`, attrs, headers, icon });
  await page.goto(url);
  const frame = page.frameLocator('iframe');
  await frame.getByRole('heading', { level: 2 }).first().waitFor();
  return { context, page, frame, console: console_, requests };
}

/** The frame's own Frame object (for evaluate). */
function innerFrame(page) {
  return page.frames().find((f) => f !== page.mainFrame());
}

/** Presses Tab until the frame's focused element matches `selector`. */
async function tabTo(page, selector, max = 40) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    const f = innerFrame(page);
    if (f && (await f.evaluate((s) => document.activeElement?.matches(s) ?? false, selector))) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** The notice exactly as shown, in the core's canonical text form (see Notice::text). */
async function noticeOnScreen(frame) {
  return frame.locator('.k-notice').evaluate((n) => {
    let t = '';
    for (const el of n.children) {
      if (el.tagName === 'H3') t += `${el.textContent}\n`;
      else if (el.tagName === 'H4') t += `\n## ${el.textContent}\n`;
      else if (el.tagName === 'P') t += `${el.textContent}\n`;
      else if (el.tagName === 'UL') for (const li of el.children) t += `- ${li.textContent}\n`;
    }
    return t;
  });
}

async function fillAndBook(frame, { service = /Haircut/, slot = 0, name, phone, email, note }) {
  await frame.getByLabel(service).check();
  await frame.getByRole('button', { name: 'Continue' }).click();
  await showFullDay(frame);
  await frame.getByRole('radio').nth(slot).check();
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByLabel(/^Name/).fill(name);
  await frame.getByLabel(/^Phone/).fill(phone);
  if (email) await frame.getByLabel(/^E-mail/).fill(email);
  if (note) await frame.getByLabel(/^Note/).fill(note);
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByLabel(/I have read/).check();
}

test('1. a customer books with the keyboard only; staff open exactly what was typed', async () => {
  const { context, page, frame } = await newPage();
  const typed = { name: 'Åsa Keyboard', phone: '+46701234599', email: 'asa@example.com', note: 'Short hair, please.\nNo perfume.' };
  await tabTo(page, 'input[name=service]');
  await page.keyboard.press('Space');
  await tabTo(page, 'button[type=submit]');
  await page.keyboard.press('Enter');
  await frame.getByRole('heading', { name: 'Choose a date and time' }).waitFor();
  await frame.getByRole('radio').first().waitFor();
  // The next day, chosen with the arrow key (see showFullDay for why not today).
  await tabTo(page, '#k-day');
  await page.keyboard.press('ArrowDown');
  assert.equal(await frame.locator('#k-day').evaluate((s) => s.selectedIndex), 1, 'the arrow key chose the next day');
  await tabTo(page, 'input[name=slot]');
  await page.keyboard.press('Space');
  const chosen = await frame.locator('input[name=slot]:checked').evaluate((i) => i.labels[0].textContent);
  await tabTo(page, 'button[type=submit]');
  await page.keyboard.press('Enter');
  await frame.getByRole('heading', { name: 'Your details' }).waitFor();
  await tabTo(page, '#k-f-name');
  await page.keyboard.type(typed.name);
  await tabTo(page, '#k-f-phone');
  await page.keyboard.type(typed.phone);
  await tabTo(page, '#k-f-email');
  await page.keyboard.type(typed.email);
  await tabTo(page, '#k-f-note');
  await page.keyboard.type('Short hair, please.');
  await page.keyboard.press('Enter');
  await page.keyboard.type('No perfume.');
  await tabTo(page, 'button[type=submit]');
  await page.keyboard.press('Enter');
  await frame.getByRole('heading', { name: 'Privacy notice and consent' }).waitFor();
  const notice = await noticeOnScreen(frame);
  await tabTo(page, '#k-consent');
  await page.keyboard.press('Space');
  await tabTo(page, '#k-book');
  await page.keyboard.press('Enter');
  await frame.getByRole('heading', { name: 'Your booking is confirmed' }).waitFor();
  const reference = await frame.locator('#k-reference').textContent();
  assert.match(reference, /^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  assert.ok((await frame.locator('.k-summary').textContent()).includes(chosen.split(' ')[0]));

  // The .ics downloads, by keyboard too.
  await tabTo(page, '#k-ics');
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  const ics = readFileSync(await download.path(), 'utf8');
  assert.match(ics, /^BEGIN:VCALENDAR\r\n/);
  assert.ok(ics.includes(`UID:${reference}@kuvert`));
  assert.ok(!ics.includes('Åsa'), 'no personal data in the calendar file');

  const opened = (await staffOpen(stack)).find((b) => b.reference === reference);
  assert.ok(opened, 'staff see the booking');
  assert.deepEqual(opened.fields, typed, 'exactly what was typed');
  assert.equal(opened.public.service, 'cut');
  assert.equal(opened.consent.notice_sha256, createHash('sha256').update(notice).digest('hex'), 'the receipt names the notice on screen');
  // ...and that is the notice the core renders natively for this form: the language pack the
  // frame loaded carries the core's wording unchanged (examples/booking.json holds that hash; a
  // core test, the_example_booking_carries_the_fixture_notice_hash, keeps it current).
  const example = JSON.parse(readFileSync(join(ROOT, 'crates/kuvert-core/examples/booking.json'), 'utf8'));
  assert.equal(opened.consent.notice_sha256, example.consent.notice_sha256, 'the frame shows the core\'s own notice');
  assert.deepEqual(opened.consent.accepted, ['booking']);
  assert.deepEqual(opened.consent.declined, ['reminders', 'newsletter']);
  await context.close();
});

test('2. cancelling with the code erases the booking and frees the slot', async () => {
  const { context, page, frame } = await newPage();
  await fillAndBook(frame, { service: /Haircut/, slot: 2, name: 'Cancel Me', phone: '+46701234500' });
  await frame.getByRole('button', { name: 'Book' }).click();
  await frame.getByRole('heading', { name: 'Your booking is confirmed' }).waitFor();
  const reference = await frame.locator('#k-reference').textContent();
  const code = await frame.locator('#k-code').textContent();
  // The copy button puts the code on the clipboard, and says so once the browser has.
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await frame.getByRole('button', { name: 'Copy code' }).click();
  await frame.locator('#k-copy-status', { hasText: 'Copied.' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), code, 'the code is on the clipboard');
  const opened = (await staffOpen(stack)).find((b) => b.reference === reference);
  const { start } = opened.public;
  const free = async () => {
    const day = new Date(start).toLocaleDateString('en-CA', { timeZone: 'Europe/Stockholm' });
    const r = await fetch(`${stack.inboxUrl}/v1/forms/salon/slots?service=cut&from=${day}&to=${day}`);
    return (await r.json()).slots.find((s) => s.start === start)?.remaining;
  };
  assert.ok(!(await free()), 'the slot is full while booked (not offered, or 0 left)');

  await frame.getByRole('button', { name: 'Make another booking' }).click();
  await frame.getByRole('button', { name: 'Cancel a booking' }).click();
  await frame.getByLabel('Booking reference').fill(reference.toLowerCase());
  await frame.getByLabel('Cancellation code').fill(code);
  await frame.getByRole('button', { name: 'Cancel booking' }).click();
  await frame.getByText('Your booking is cancelled and your details are erased.').waitFor();

  assert.equal(await free(), 1, 'the slot is free again');
  assert.ok(!(await staffOpen(stack)).some((b) => b.reference === reference), 'staff no longer see it');
  await context.close();
});

test('3. two pages race for the last place: one confirmation, one "just taken" with a fresh list', async () => {
  const a = await newPage();
  const b = await newPage();
  for (const [p, n] of [[a, 'Racer One'], [b, 'Racer Two']]) {
    await fillAndBook(p.frame, { service: /Haircut/, slot: 4, name: n, phone: '+46701234501' });
  }
  const slotLabel = async (p) => p.frame.locator('.k-summary dd').nth(1).textContent();
  assert.equal(await slotLabel(a), await slotLabel(b), 'both chose the same slot');
  await Promise.all([a.frame.getByRole('button', { name: 'Book' }).click(), b.frame.getByRole('button', { name: 'Book' }).click()]);
  const outcome = async (p) => {
    const h = p.frame.getByRole('heading', { level: 2 });
    await p.frame.locator('#k-reference, #k-alert.k-alert').first().waitFor();
    return h.textContent();
  };
  const results = [await outcome(a), await outcome(b)].sort();
  assert.deepEqual(results, ['Choose a date and time', 'Your booking is confirmed']);
  const loser = (await outcome(a)) === 'Choose a date and time' ? a : b;
  assert.match(await loser.frame.locator('#k-alert').textContent(), /just taken/);
  await loser.frame.getByRole('radio').first().waitFor();
  // The refreshed list no longer offers the taken time on that day.
  const labels = await loser.frame.locator('input[name=slot]').evaluateAll((xs) => xs.map((x) => x.labels[0].textContent));
  const taken = (await slotLabel(a === loser ? b : a)).split('–')[0];
  assert.ok(!labels.some((l) => taken.endsWith(l)), `${taken} still offered: ${labels}`);
  // What the loser typed is still there.
  await loser.frame.getByRole('radio').first().check();
  await loser.frame.getByRole('button', { name: 'Continue' }).click();
  assert.equal(await loser.frame.getByLabel(/^Name/).inputValue(), loser === a ? 'Racer One' : 'Racer Two');
  await a.context.close();
  await b.context.close();
});

test('4. a host page with a strict CSP and Trusted Types books with no violation anywhere', async () => {
  const csp = `default-src 'none'; script-src ${stack.inboxUrl}; frame-src ${stack.inboxUrl}; require-trusted-types-for 'script'`;
  const init = () => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
  };
  // No data: favicon on this page: its CSP allows no images.
  const { context, page, frame, console: log } = await newPage({ headers: { 'content-security-policy': csp }, init, icon: false });
  const response = await page.request.get(page.url());
  assert.equal(response.headers()['content-security-policy'], csp);
  await fillAndBook(frame, { service: /Colour/, slot: 1, name: 'Strict Page', phone: '+46701234502' });
  await frame.getByRole('button', { name: 'Book' }).click();
  await frame.getByRole('heading', { name: 'Your booking is confirmed' }).waitFor();
  for (const f of page.frames()) {
    assert.deepEqual(await f.evaluate(() => window.__violations), [], `violations in ${f.url()}`);
  }
  const errors = log.filter((m) => m.type === 'error' || m.type === 'pageerror' || /Content Security Policy|Trusted Type/i.test(m.text));
  assert.deepEqual(errors, []);
  await context.close();
});

test('5. isolation: the host page cannot read the form, and no message carries what was typed', async () => {
  const canary = `Iso${Date.now()}`;
  const init = () => {
    if (window !== window.top) return;
    window.__messages = [];
    window.addEventListener('message', (e) => window.__messages.push(JSON.stringify(e.data)));
  };
  const { context, page, frame } = await newPage({ init });
  await fillAndBook(frame, { name: `Name ${canary}`, phone: '+46701234503', note: `Note ${canary}`, slot: 3 });
  const reach = await page.evaluate(() => {
    const f = document.querySelector('iframe');
    const tries = [
      () => f.contentDocument.body.innerText,
      () => f.contentWindow.document.body.innerText,
      () => f.contentWindow.localStorage.length,
    ];
    return tries.map((t) => { try { return `read: ${t()}`; } catch (e) { return e.name; } });
  });
  for (const r of reach) assert.ok(!r.startsWith('read'), `the host page read the frame: ${r}`);
  await frame.getByRole('button', { name: 'Book' }).click();
  await frame.getByRole('heading', { name: 'Your booking is confirmed' }).waitFor();
  const messages = await page.evaluate(() => window.__messages);
  assert.ok(messages.length > 0, 'the frame did talk to the host (height, booked)');
  for (const m of messages) assert.ok(!m.includes(canary), `a message carries typed data: ${m}`);
  await context.close();
});

function filesUnder(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

test('6. no leaks: a canary in every field is found only inside `sealed`', async () => {
  const canary = `Zq${Date.now().toString(36)}Leak`;
  const phone = `+467${String(Date.now()).slice(-8)}`;
  const { context, page, frame, console: log, requests } = await newPage();
  await fillAndBook(frame, { service: /Colour/, slot: 5, name: `N${canary}`, phone, email: `${canary.toLowerCase()}@example.com`, note: `T${canary}` });
  const beforeBook = requests.length;
  await frame.getByRole('button', { name: 'Book' }).click();
  await frame.getByRole('heading', { name: 'Your booking is confirmed' }).waitFor();

  const needles = [canary, canary.toLowerCase(), phone, phone.slice(1)];
  const hit = (text) => needles.some((n) => text.includes(n));
  // Requests: URLs, headers, bodies (the envelope only inside `sealed`).
  const allowed = new Set([stack.inboxUrl, stack.hostOrigin]);
  for (const [i, r] of requests.entries()) {
    const url = new URL(r.url());
    assert.ok(allowed.has(url.origin), `request to a third origin: ${r.url()}`);
    assert.ok(!hit(r.url()), `canary in a URL: ${r.url()}`);
    assert.ok(!hit(JSON.stringify(await r.allHeaders())), `canary in headers of ${r.url()}`);
    let body = r.postData() || '';
    if (body) {
      const env = JSON.parse(body);
      delete env.sealed;
      body = JSON.stringify(env);
    }
    assert.ok(!hit(body), `canary in the body of ${r.url()}`);
    if (i < beforeBook && url.origin === stack.inboxUrl && url.pathname.startsWith('/v1/')) {
      assert.ok(r.method() === 'GET' && /^\/v1\/forms\/salon(\/slots)?$/.test(url.pathname), `before Book, an unexpected call: ${r.method()} ${url.pathname}`);
    }
  }
  assert.ok(requests.slice(beforeBook).some((r) => r.method() === 'POST'), 'the booking was posted');
  // Console, storage, cookies.
  for (const m of log) assert.ok(!hit(m.text), `canary in the console: ${m.text}`);
  // Each store is empty, or not even reachable from the sandboxed frame.
  const storage = await innerFrame(page).evaluate(async () => {
    const read = async (f) => { try { return await f(); } catch (e) { return e.name; } };
    return {
      local: await read(() => localStorage.length),
      session: await read(() => sessionStorage.length),
      cookie: await read(() => document.cookie),
      idb: await read(async () => (await indexedDB.databases()).length),
    };
  });
  for (const [store, v] of Object.entries(storage)) {
    assert.ok([0, '', 'SecurityError', 'UnknownError'].includes(v), `${store}: ${v}`);
  }
  assert.deepEqual(await context.cookies(), []);
  // Every file the inbox wrote (database, WAL, config dir), and its log.
  for (const file of filesUnder(stack.dir)) {
    const bytes = readFileSync(file);
    for (const n of needles) assert.ok(!bytes.includes(Buffer.from(n)), `canary in ${file}`);
  }
  assert.ok(!hit(stack.log()), 'canary in the inbox log');
  // Positive control: staff do see it.
  const opened = await staffOpen(stack);
  assert.ok(opened.some((b) => b.fields.name === `N${canary}`), 'the canary is inside the sealed booking');
  await context.close();
});

test('6b. once the inbox has the booking, the Wasm memory holds nothing that was typed', async () => {
  const canary = `Mq${Date.now().toString(36)}Mem`;
  const phone = `+467${String(Date.now()).slice(-8)}`;
  const { context, page, frame } = await newPage({
    // The shipped frame, plus one step that hands the test the Wasm memory: every instance
    // made (frame.js compiles the module, then `initSync` instantiates it) keeps its memory.
    init: () => {
      const Instance = WebAssembly.Instance;
      WebAssembly.Instance = function (module, imports) {
        const instance = new Instance(module, imports);
        window.kuvertMemory = instance.exports.memory;
        return instance;
      };
      WebAssembly.Instance.prototype = Instance.prototype;
    },
  });
  const needles = [`N${canary}`, `T${canary}`, `${canary.toLowerCase()}@example.com`, phone];
  // Every needle found in the frame's whole linear memory (read as Latin-1; the needles are ASCII).
  const inMemory = () => innerFrame(page).evaluate((ns) => {
    const m = new Uint8Array(window.kuvertMemory.buffer);
    const parts = [];
    for (let i = 0; i < m.length; i += 0x8000) parts.push(String.fromCharCode(...m.subarray(i, i + 0x8000)));
    const all = parts.join('');
    return ns.filter((n) => all.includes(n));
  }, needles);
  await fillAndBook(frame, { slot: 6, name: `N${canary}`, phone, email: `${canary.toLowerCase()}@example.com`, note: `T${canary}` });
  // Positive control: before Book, the details are in Wasm memory (the scan can see them).
  assert.deepEqual(await inMemory(), needles);
  await frame.getByRole('button', { name: 'Book' }).click();
  await frame.getByRole('heading', { name: 'Your booking is confirmed' }).waitFor();
  assert.deepEqual(await inMemory(), [], 'typed values left in Wasm memory after the booking');
  await context.close();
});

async function axe(page) {
  const f = innerFrame(page);
  await f.addScriptTag({ path: join(ROOT, 'node_modules/axe-core/axe.min.js') });
  const result = await f.evaluate(() => window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }));
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

for (const [lang, words] of [
  ['en', { service: /Haircut/, next: 'Continue', name: /^Name/, phone: /^Phone/, consent: /I have read/, book: 'Book', again: 'Make another booking', manage: 'Cancel a booking' }],
  ['sv', { service: /Klippning/, next: 'Fortsätt', name: /^Namn/, phone: /^Telefon/, consent: /Jag har läst/, book: 'Boka', again: 'Boka en tid till', manage: 'Avboka en tid' }],
]) {
  for (const [size, viewport] of [['mobile', { width: 360, height: 640 }], ['desktop', { width: 1280, height: 800 }]]) {
    test(`7/8. axe finds no violations at any step (${lang}, ${size}); screenshots`, async () => {
      const { context, page, frame } = await newPage({ attrs: { lang }, viewport, bypassCSP: true });
      const problems = [];
      const step = async (name) => {
        // Wait until the iframe is fitted to its content, so the screenshot shows it all.
        const inner = await frame.locator('html').evaluate((h) => Math.ceil(h.getBoundingClientRect().height));
        await page.waitForFunction((want) => Math.abs(document.querySelector('iframe').getBoundingClientRect().height - want) <= 1, inner);
        for (const v of await axe(page)) problems.push(`${name}: ${v}`);
        mkdirSync(SHOTS, { recursive: true });
        const file = `${lang}-${size}-${name}.png`;
        const png = await page.screenshot({ fullPage: true });
        writeFileSync(join(SHOTS, file), png);
        if (process.env.KUVERT_UPDATE_SCREENSHOTS && lang === 'en') {
          mkdirSync(README_SHOTS, { recursive: true });
          writeFileSync(join(README_SHOTS, file), png);
        }
      };
      // Positive control: axe, as injected here, does see a violation in the frame.
      await innerFrame(page).evaluate(() => document.body.append(Object.assign(document.createElement('img'), { id: 'axe-control', src: 'data:,' })));
      assert.ok((await axe(page)).some((v) => v.startsWith('image-alt')), 'axe sees an image without alt');
      await innerFrame(page).evaluate(() => document.getElementById('axe-control').remove());
      await step('1-service');
      await frame.getByLabel(words.service).check();
      await frame.getByRole('button', { name: words.next }).click();
      await showFullDay(frame);
      await step('2-slot');
      await frame.getByRole('radio').nth(6).check();
      await frame.getByRole('button', { name: words.next }).click();
      await frame.getByRole('button', { name: words.next }).click();
      await frame.locator('.k-error').first().waitFor();
      await step('3-details-errors');
      await frame.getByLabel(words.name).fill('Axe Tester');
      await frame.getByLabel(words.phone).fill('+46701234504');
      await frame.getByRole('button', { name: words.next }).click();
      await frame.getByLabel(words.consent).waitFor();
      await step('4-consent');
      await frame.getByLabel(words.consent).check();
      await frame.getByRole('button', { name: words.book, exact: true }).click();
      await frame.locator('#k-reference').waitFor();
      await step('5-done');
      await frame.getByRole('button', { name: words.again }).click();
      await frame.getByRole('button', { name: words.manage }).click();
      await step('6-cancel');
      assert.deepEqual(problems, []);
      await context.close();
    });
  }
}
