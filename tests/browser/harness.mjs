// Shared set-up for the browser tests: a real kuvert-inbox (SQLite on disk, serving www/) on
// 127.0.0.1, a host page on a different origin (localhost), and Debian's Chromium driven by
// playwright-core. `cargo xtask test` builds the binaries and the widget first and passes
// their paths in KUVERT_INBOX_BIN / KUVERT_BIN.
import { spawn, execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEMO_KEY = join(ROOT, 'crates/kuvert-core/examples/demo-key.txt');
export const DEMO_PUBLIC = 'age1xns0tpga0kfr3qjtdjfwmjqaqwuq0wls5v33r295y7w5usuddggq8gtgh8';
const bin = (name, env) => process.env[env] || join(ROOT, 'target/debug', name);
export const INBOX_BIN = bin('kuvert-inbox', 'KUVERT_INBOX_BIN');
export const KUVERT_BIN = bin('kuvert', 'KUVERT_BIN');

export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic',
  '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function launch() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/** Every day 07:00–21:00, so a free slot exists whenever the tests run. */
const HOURS = '{ mon = ["07:00-21:00"], tue = ["07:00-21:00"], wed = ["07:00-21:00"], thu = ["07:00-21:00"], fri = ["07:00-21:00"], sat = ["07:00-21:00"], sun = ["07:00-21:00"] }';

/**
 * Starts a host page server on localhost (so its origin differs from the inbox's 127.0.0.1)
 * and an inbox that allows it. `page(opts)` returns the host page URL with a snippet.
 * `trustForwardedFor` and `cancelsPerHour` set those config keys (behind a proxy, in
 * https.test.mjs).
 */
export async function startStack({ schema, trustForwardedFor = false, cancelsPerHour = 1000, accounts, configRecipients } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'kuvert-browser-'));
  // Staff accounts need the inbox's origin before it starts (passkeys are bound to it): a
  // port the OS picked, on `localhost`, which browsers treat as a secure context.
  const port = accounts ? await freePort() : 0;
  const accountsToml = accounts
    ? `
[accounts]
public_url = ${JSON.stringify(accounts.publicUrl || `http://localhost:${port}`)}
roles = ${JSON.stringify(accounts.roles || [])}
`
    : '';
  const pages = new Map();
  const hostHeaders = new Map();
  const host = createServer((req, res) => {
    const path = req.url.split('?')[0];
    const body = pages.get(path);
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...(hostHeaders.get(path) || {}) });
    res.end(body);
  });
  await new Promise((ok) => host.listen(0, 'localhost', ok));
  const hostOrigin = `http://localhost:${host.address().port}`;

  const token = randomBytes(24).toString('hex');
  const tokenSha = createHash('sha256').update(token).digest('hex');
  const salon = JSON.parse(readFileSync(join(ROOT, 'crates/kuvert-core/tests/fixtures/salon.json'), 'utf8'));
  writeFileSync(join(dir, 'salon.json'), JSON.stringify(schema ? schema(salon) : salon));
  writeFileSync(join(dir, 'token'), token + '\n');
  writeFileSync(join(dir, 'inbox.toml'), `
listen = "127.0.0.1:${port}"
database = "inbox.sqlite3"
time_zone = "Europe/Stockholm"
allowed_origins = ["${hostOrigin}"]
static_dir = ${JSON.stringify(join(ROOT, 'www'))}
default_retention_days = 30
trust_forwarded_for = ${trustForwardedFor}

${accountsToml}
[rate_limits]
bookings_per_minute = 1000
cancel_attempts_per_hour = ${cancelsPerHour}

[[staff]]
name = "reception"
token_sha256 = "${tokenSha}"

[[forms]]
schema_file = "salon.json"
recipients = ${JSON.stringify(configRecipients || [DEMO_PUBLIC])}

[forms.services.cut]
hours = ${HOURS}
horizon_days = 60
min_notice_minutes = 0

[forms.services.colour]
hours = ${HOURS}
slot_minutes = 30
horizon_days = 60
min_notice_minutes = 0
`);
  const inbox = spawn(INBOX_BIN, ['serve', '--config', join(dir, 'inbox.toml')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'info' },
  });
  let log = '';
  inbox.stderr.on('data', (d) => { log += d; });
  const first = await new Promise((ok, fail) => {
    const rl = createInterface({ input: inbox.stdout });
    rl.once('line', ok);
    inbox.once('exit', (code) => fail(new Error(`kuvert-inbox exited (${code}): ${log}`)));
  });
  const inboxUrl = first.trim().split(' ').pop();
  if (!inboxUrl.startsWith('http://127.0.0.1:')) throw new Error(`unexpected inbox line: ${first}`);

  return {
    dir, hostOrigin, inboxUrl, token,
    log: () => log,
    /**
     * A host page holding the snippet; `attrs` are extra data-* attributes, `before`/`after`
     * HTML, `widget` the origin the loader (and so the frame) comes from: the inbox, or a proxy
     * in front of it.
     */
    page({ path = '/', attrs = {}, headers = {}, before = '', after = '', title = 'Salong Sax', icon = true, widget = inboxUrl } = {}) {
      const data = { form: 'salon', recipients: DEMO_PUBLIC, ...attrs };
      const tag = `<script src="${widget}/kuvert.js" crossorigin="anonymous" ${Object.entries(data)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `data-${k}="${String(v).replace(/"/g, '&quot;')}"`)
        .join(' ')} async></script>`;
      pages.set(path, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>${icon ? '<link rel="icon" href="data:,">' : ''}</head><body><h1>${title}</h1>${before}${tag}${after}</body></html>`);
      hostHeaders.set(path, headers);
      return hostOrigin + path;
    },
    async stop() {
      host.close();
      await new Promise((ok) => {
        if (inbox.exitCode !== null) return ok();
        inbox.once('exit', ok);
        inbox.kill('SIGTERM');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port nothing listens on now (the OS picks it; the caller binds it right after). */
export function freePort() {
  return new Promise((ok) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/**
 * Shows the times of the second day in the date list, a day wholly ahead, so that no test
 * depends on the hour it runs at: late in the day today has few times left or none (the inbox's
 * hours are 07:00–21:00 in Stockholm), and a time could pass while a test books it.
 */
export async function showFullDay(frame) {
  await frame.getByRole('radio').first().waitFor();
  const day = frame.locator('#k-day');
  await day.selectOption({ index: 1 });
  const shown = await day.evaluate((s) => s.selectedIndex);
  if (shown !== 1) throw new Error(`the date list shows day ${shown}, not the second`);
  await frame.getByRole('radio').first().waitFor();
}

/** Runs a command and resolves with its stdout (rejects with stderr on failure). */
export function run(cmd, args, opts = {}) {
  return new Promise((ok, fail) => {
    execFile(cmd, args, { maxBuffer: 1 << 24, ...opts }, (err, stdout, stderr) => {
      if (err) fail(new Error(`${cmd} ${args.join(' ')} failed: ${stderr}`));
      else ok(stdout);
    });
  });
}

/** `kuvert fetch` then `kuvert open --format json`: what staff see, as objects. */
export async function staffOpen(stack) {
  const jsonl = await run(KUVERT_BIN, ['fetch', '--inbox', stack.inboxUrl, '--token-file', join(stack.dir, 'token')]);
  if (!jsonl.trim()) return [];
  const file = join(stack.dir, `fetched-${Date.now()}-${Math.random()}.jsonl`);
  writeFileSync(file, jsonl);
  const out = await run(KUVERT_BIN, ['open', '--identity', DEMO_KEY, '--format', 'json', file]);
  return out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
