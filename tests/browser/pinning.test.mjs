// Two-party key pinning (issue 20): the frame seals only when the snippet's keys (from the host
// page) are the keys the inbox's config pins for the form. Three cases in Chromium: a script on
// the host page swaps the snippet's keys; the inbox's config names other keys; both agree. On a
// mismatch the customer reads that the form cannot be used, nothing is sealed or posted, the
// inbox counts a `key_mismatch` (its log says so), and the host page gets no message about it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, launch, DEMO_PUBLIC } from './harness.mjs';

const OTHER = 'age1d6kke0x8jm4dm72r5q3j3r4wsz4r99p0wg8atvq9nrze9l3yaptq9uw8hn';
let browser;
const stacks = [];

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser?.close();
  for (const s of stacks) await s.stop();
});

async function stack(opts) {
  const s = await startStack(opts);
  stacks.push(s);
  return s;
}

/** Opens `url`; returns what the customer sees and what went over the network. */
async function visit(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const posts = [];
  page.on('request', (r) => { if (r.method() === 'POST') posts.push(new URL(r.url()).pathname); });
  await page.addInitScript(() => {
    window.__messages = [];
    window.addEventListener('message', (e) => window.__messages.push(e.data));
  });
  await page.goto(url);
  const frame = page.frameLocator('iframe');
  return { context, page, frame, posts };
}

async function refused(s, { context, page, frame, posts }) {
  await frame.getByText('The booking form could not be loaded').waitFor();
  assert.equal(await frame.getByLabel(/Haircut/).count(), 0, 'no form to fill in');
  assert.deepEqual(posts, ['/v1/forms/salon/problems'], 'the mismatch is reported; nothing is booked');
  const kinds = (await page.evaluate(() => window.__messages)).map((m) => m && m.kuvert);
  assert.ok(kinds.every((k) => k === 'height'), `the host page hears nothing but heights: ${kinds}`);
  await context.close();
  assert.match(s.log(), /a widget could not be used.*key_mismatch|key_mismatch.*a widget could not be used/);
}

test('a host-page script that swaps the snippet keys gets no form', async () => {
  const s = await stack();
  // Runs before the loader and rewrites its data-recipients as the parser inserts it.
  const swap = `<script>new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes)
    if (n.dataset && n.dataset.recipients) n.dataset.recipients = '${OTHER}'; })
    .observe(document, { childList: true, subtree: true });</script>`;
  const seen = await visit(s.page({ path: '/swapped', before: swap }));
  const src = await seen.page.locator('iframe').getAttribute('src');
  assert.ok(src.includes(OTHER) && !src.includes(DEMO_PUBLIC), 'the swap reached the frame');
  await refused(s, seen);
});

test('an inbox config that names other keys gets no form', async () => {
  const s = await stack({ configRecipients: [OTHER] });
  await refused(s, await visit(s.page({ path: '/config' })));
});

test('when the page and the inbox agree, the form is there', async () => {
  const s = await stack({ configRecipients: [DEMO_PUBLIC] });
  const { context, frame, posts } = await visit(s.page({ path: '/agree' }));
  await frame.getByLabel(/Haircut/).waitFor();
  assert.deepEqual(posts, []);
  await context.close();
});
