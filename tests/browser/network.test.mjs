// Booking that survives the network (issue 20): the connection drops after the inbox has
// stored the booking, so the customer sees no answer. "Try again" sends the very same envelope;
// the inbox answers with the booking it stored, and the customer gets the reference and the code
// of that one booking. Staff find exactly one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, launch, staffOpen, showFullDay } from './harness.mjs';

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

test('a booking whose answer was lost is sent again as the same envelope and stored once', async () => {
  const context = await browser.newContext();
  const posts = [];
  let dropped = false;
  await context.route('**/v1/bookings', async (route) => {
    posts.push(route.request().postData());
    if (!dropped) {
      dropped = true;
      // The inbox gets the booking and answers; the customer's connection drops before the
      // answer arrives.
      const answer = await route.fetch();
      assert.equal(answer.status(), 201, 'the inbox stored the first send');
      await route.abort('connectionreset');
    } else {
      await route.continue();
    }
  });
  const page = await context.newPage();
  await page.goto(stack.page({ path: '/network' }));
  const frame = page.frameLocator('iframe');
  await frame.getByLabel(/Haircut/).check();
  await frame.getByRole('button', { name: 'Continue' }).click();
  await showFullDay(frame);
  await frame.getByRole('radio').first().check();
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByLabel(/^Name/).fill('Ada Offline');
  await frame.getByLabel(/^Phone/).fill('070-123 45 67');
  await frame.getByRole('button', { name: 'Continue' }).click();
  await frame.getByLabel(/I have read/).check();
  await frame.getByRole('button', { name: 'Book' }).click();

  await frame.getByText('No connection.').waitFor();
  await frame.getByRole('button', { name: 'Try again' }).click();
  await frame.getByRole('heading', { name: 'Your booking is confirmed' }).waitFor();
  const reference = (await frame.locator('#k-reference').textContent()).trim();

  assert.equal(posts.length, 2);
  assert.equal(posts[1], posts[0], 'the retry is the same envelope, byte for byte');
  const opened = await staffOpen(stack);
  const mine = opened.filter((b) => b.fields.name === 'Ada Offline');
  assert.equal(mine.length, 1, 'stored once');
  assert.equal(mine[0].reference, reference, 'the reference shown is the stored booking');
  await context.close();
});
