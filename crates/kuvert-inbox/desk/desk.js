// Kuvert staff sign-in: enrolment from an invite link, passkey sign-in, sign-out.
//
// The inbox sees the WebAuthn credential only; the PRF output (asked for at registration and
// sign-in) stays in this page's memory for the console to unwrap the personal key, and is
// stripped from what is sent. Nothing is stored in the browser: the session is an HttpOnly
// cookie, and the name is typed each time.

const $ = (id) => document.getElementById(id);

// The PRF input: fixed per purpose, so the same passkey always yields the same key.
const PRF_SALT = new TextEncoder().encode("kuvert personal key v1");
let prfOutput = null; // Uint8Array(32) once a ceremony returned one; never sent, never stored.

function say(text) {
  $("status").textContent = text;
}

function show(which) {
  for (const id of ["enrol", "signin", "session"]) $(id).hidden = id !== which;
}

async function api(path, body) {
  const init = body === undefined
    ? { credentials: "same-origin" }
    : {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      };
  const response = await fetch(path, init);
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const message = json && json.error ? json.error.message : `HTTP ${response.status}`;
    throw Object.assign(new Error(message), { code: json && json.error && json.error.code });
  }
  return json;
}

// The credential as WebAuthn JSON, without client extension results (the PRF output), which
// are kept here instead.
function outgoing(credential) {
  const results = credential.getClientExtensionResults();
  const first = results.prf && results.prf.results && results.prf.results.first;
  if (first) prfOutput = new Uint8Array(first);
  document.body.dataset.prf = results.prf && (results.prf.enabled || first) ? "yes" : "no";
  const json = credential.toJSON();
  json.clientExtensionResults = {};
  return json;
}

function showSession(me) {
  $("who").textContent = me.name;
  $("roles").textContent = me.roles.join(", ");
  show("session");
}

async function enrol(invite) {
  say("Waiting for your device…");
  const start = await api("/v1/staff/enrol/start", { invite });
  const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(start.options.publicKey);
  publicKey.extensions = { ...publicKey.extensions, prf: { eval: { first: PRF_SALT } } };
  const credential = await navigator.credentials.create({ publicKey });
  const me = await api("/v1/staff/enrol/finish", {
    ceremony: start.ceremony,
    credential: outgoing(credential),
  });
  history.replaceState(null, "", location.pathname);
  say("Your passkey is set up.");
  showSession(me);
}

async function signIn(name) {
  say("Waiting for your device…");
  const start = await api("/v1/staff/signin/start", { name });
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(start.options.publicKey);
  publicKey.extensions = { ...publicKey.extensions, prf: { eval: { first: PRF_SALT } } };
  const credential = await navigator.credentials.get({ publicKey });
  const me = await api("/v1/staff/signin/finish", {
    ceremony: start.ceremony,
    credential: outgoing(credential),
  });
  say("");
  showSession(me);
}

async function signOut() {
  await api("/v1/staff/signout", {});
  prfOutput = null;
  $("who").textContent = "";
  $("roles").textContent = "";
  say("You are signed out.");
  show("signin");
}

function failed(error) {
  say(error.name === "NotAllowedError" ? "The passkey step was cancelled or timed out." : error.message);
}

// What the address says: an enrolment link, or the sign-in (or the session, if one is live).
async function route() {
  const invite = new URLSearchParams(location.hash.slice(1)).get("enrol");
  if (invite) {
    enrolButton.onclick = () => enrol(invite).catch(failed);
    show("enrol");
    return;
  }
  try {
    showSession(await api("/v1/staff/me"));
  } catch {
    show("signin");
  }
}

const enrolButton = $("enrol-button");
$("signin").addEventListener("submit", (event) => {
  event.preventDefault();
  signIn($("name").value.trim()).catch(failed);
});
$("signout").addEventListener("click", () => signOut().catch(failed));
addEventListener("hashchange", () => route());
route();
