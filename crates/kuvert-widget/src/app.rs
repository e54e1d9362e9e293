//! The booking flow: service → date and time → details → notice and consent → Book →
//! confirmation, plus "Cancel a booking". One state value, rendered step by step into the
//! frame's root element; events are delegated from the root (three listeners in all).
//!
//! Network requests go through [`App::send`]. In the frame they are real `fetch` calls to the
//! inbox (and, for a language pack, to the frame's own origin); under test
//! ([`Transport::Held`]) they are held until the test answers them, so every response path
//! (201, 409, 413, 429, 5xx, offline) runs the same code as in production.
//!
//! Nothing is drawn until the customer's language pack ([`crate::i18n`]) has arrived; until
//! then the frame page's own "…" stays.

#[allow(unused_imports)]
use crate::prelude::*;
use core::cell::RefCell;

use kuvert_core::minimise::{FieldProblem, scan_free_text, validate_fields};
use kuvert_core::notice::{Notice, render_with};
use kuvert_core::schema::FieldKind;
use kuvert_core::{
    Booking, CancelCode, ConsentReceipt, FormSchema, Locale, PublicFacts, Recipient, UtcTimestamp,
    VecMap,
};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Element, Event, HtmlButtonElement};
use zeroize::Zeroize;

use crate::dom::{H, checked, field, find, find_all, focus, tx, value_of};
use crate::i18n::{NO_PACK, Pack, S};
use crate::json;
use crate::wire::{self, FormConfig, Slot};

pub mod act;
mod output;
mod time;
mod view;

pub use act::Act;

use output::ics_url;
pub use output::{ics_text, post_to_host};
use time::{add_days, clock, days_of, format_time, local_date, local_date_now};

/// How the widget reaches the inbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// `fetch` to the inbox.
    Fetch,
    /// Requests are queued for a test to answer with [`respond`].
    Held,
}

/// A request the widget makes. Only these exist: the form, its slots, a booking, a cancellation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Req {
    /// `GET pkg/l10n/{code}.txt` from the frame's own origin: a language pack.
    Words {
        /// The language.
        lang: Locale,
    },
    /// `GET /v1/forms/{id}`.
    Form,
    /// `GET /v1/forms/{id}/slots?service&from&to`.
    Slots {
        /// Service id.
        service: String,
        /// First local date, `YYYY-MM-DD`.
        from: String,
        /// Last local date.
        to: String,
    },
    /// `POST /v1/bookings` with the envelope.
    Book {
        /// The envelope JSON (ciphertext and public facts only).
        envelope: String,
    },
    /// `POST /v1/forms/{id}/problems`: the snippet's keys are not the inbox's.
    Problem,
    /// `POST /v1/bookings/{reference}/cancel`.
    Cancel {
        /// The booking reference.
        reference: String,
        /// `{"code": …}`.
        body: String,
    },
}

/// What came back: a status and body, or no answer at all (offline, refused, CORS).
pub type Answer = Result<(u16, String), ()>;

/// The frame's parameters, from the URL fragment the loader writes.
#[derive(Clone, Debug, Default)]
pub struct Params {
    /// Inbox base URL (`https://…`, no trailing slash).
    pub inbox: String,
    /// Form id.
    pub form: String,
    /// The pinned recipients, comma-separated `age1…`.
    pub keys: String,
    /// `data-lang`, if given.
    pub lang: String,
    /// The host page's origin, for `postMessage`.
    pub host: String,
    /// `data-event-detail`: which of `reference`, `service` and `start` the host page's
    /// `kuvert:booked` event may carry (comma-separated; none by default, since a clinic's
    /// service can reveal health data to the page's analytics).
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Loading,
    Broken(S),
    Service,
    Slot,
    Details,
    Consent,
    Done,
    Manage,
    Cancelled,
}

struct Confirmation {
    reference: String,
    code: String,
    service: String,
    start: String,
    end: String,
    ics_url: String,
}

/// The whole state of one frame.
pub struct App {
    root: Element,
    transport: Transport,
    params: Params,
    /// The language shown.
    locale: Locale,
    /// The packs loaded so far (the one of `locale` among them, once it has arrived).
    packs: Vec<Pack>,
    /// A language the customer picked whose pack is on its way.
    switching_to: Option<Locale>,
    /// The first pack could not be loaded: nothing can be shown but [`NO_PACK`].
    no_pack: bool,
    /// The last language picked could not be loaded (said under the picker).
    switch_failed: bool,
    recipients: Vec<Recipient>,
    step: Step,
    form: Option<FormConfig>,
    service: Option<String>,
    slots: Option<Vec<Slot>>,
    day: Option<String>,
    slot: Option<usize>,
    /// What the customer typed, by field key, until the booking is accepted.
    values: VecMap<String, String>,
    field_errors: Vec<(String, FieldProblem)>,
    sensitive_warning: bool,
    sensitive_accepted: bool,
    ticked: Vec<String>,
    consent: bool,
    alert: Option<S>,
    busy: bool,
    done: Option<Confirmation>,
    /// The sealed envelope of `done`, kept until the inbox answers it definitely: a lost
    /// answer (offline, 5xx, 429) may follow a stored booking, so "Try again" sends this same
    /// envelope, which the inbox answers with the booking it stored.
    pending: Option<String>,
    held: Vec<Req>,
    /// Requests on their way (fetch transport), by id.
    waiting: Vec<Waiting>,
    next_id: u32,
    /// [`crate::callback`] as a JS function: every listener and promise calls it (see
    /// [`callback`]).
    callback: js_sys::Function,
    cancel_ref: String,
    cancel_code: String,
}

/// A request on its way: the status is known once its response has arrived.
struct Waiting {
    id: u32,
    req: Req,
    status: u16,
}

// What happened, the first argument of [`callback`]. A promise settled (with the id of the
// request as the second argument): the response, its body, or neither; the clipboard's, either
// way. Or an event on the root, or the page's height changed.
const RESPONSE: u32 = 0;
const BODY: u32 = 1;
const FAILED: u32 = 2;
const COPIED: u32 = 3;
const COPY_FAILED: u32 = 4;
const CLICK: u32 = 5;
const SUBMIT: u32 = 6;
const CHANGE: u32 = 7;
/// Bound into the height observer by `crate::watch_height`.
pub(crate) const RESIZED: u32 = 8;

#[wasm_bindgen]
extern "C" {
    /// A promise, seen only for `then` with plain functions (js-sys's `then2` takes closures).
    type Settling;
    #[wasm_bindgen(method, js_name = then)]
    fn then_call(this: &Settling, ok: &js_sys::Function, fail: &js_sys::Function);
    /// A function, seen only for `bind` with two numbers.
    type Bindable;
    #[wasm_bindgen(method, js_name = bind)]
    fn bind_two(this: &Bindable, this_arg: &JsValue, what: u32, id: u32) -> js_sys::Function;
}

// The one app of the frame. Natively (unit tests) a thread local; in Wasm, which has one
// thread, a plain static: std's `thread_local!` is not there in the no_std build.
#[cfg(not(target_arch = "wasm32"))]
std::thread_local! {
    static APP: RefCell<Option<App>> = const { RefCell::new(None) };
}

#[cfg(target_arch = "wasm32")]
struct OneThread(RefCell<Option<App>>);

// SAFETY: wasm32-unknown-unknown without the `atomics` target feature has exactly one thread,
// so the static is never reached from two threads. A build with atomics is refused below.
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
unsafe impl Sync for OneThread {}

#[cfg(all(target_arch = "wasm32", target_feature = "atomics"))]
compile_error!("the widget assumes one thread; it cannot be built with Wasm atomics");

#[cfg(target_arch = "wasm32")]
static APP: OneThread = OneThread(RefCell::new(None));

/// The cell holding the app, on either kind of build.
fn app_cell<R>(f: impl FnOnce(&RefCell<Option<App>>) -> R) -> R {
    #[cfg(target_arch = "wasm32")]
    return f(&APP.0);
    #[cfg(not(target_arch = "wasm32"))]
    APP.with(f)
}

fn with_app<R>(f: impl FnOnce(&mut App) -> R) -> Option<R> {
    app_cell(|a| a.borrow_mut().as_mut().map(f))
}

fn set_app(app: App) {
    app_cell(|a| *a.borrow_mut() = Some(app));
}

/// Starts the widget in `root`. `callback` is [`crate::callback`] as a JS function (in the frame,
/// the glue's export, which `frame.js` passes to [`crate::start`]).
pub fn mount(root: Element, params: Params, transport: Transport, callback: js_sys::Function) {
    let locale = choose_locale(&params.lang);
    let (recipients, step) = match Recipient::parse_list(&params.keys) {
        Ok(r) if !r.is_empty() && !params.form.is_empty() => (r, Step::Loading),
        _ => (Vec::new(), Step::Broken(S::SetupError)),
    };
    listen(&root, &callback);
    let app = App {
        root,
        transport,
        params,
        locale,
        packs: Vec::new(),
        switching_to: None,
        no_pack: false,
        switch_failed: false,
        recipients,
        step,
        form: None,
        service: None,
        slots: None,
        day: None,
        slot: None,
        values: VecMap::new(),
        field_errors: Vec::new(),
        sensitive_warning: false,
        sensitive_accepted: false,
        ticked: Vec::new(),
        consent: false,
        alert: None,
        busy: false,
        done: None,
        pending: None,
        held: Vec::new(),
        waiting: Vec::new(),
        next_id: 0,
        callback,
        cancel_ref: String::new(),
        cancel_code: String::new(),
    };
    let broken = matches!(app.step, Step::Broken(_));
    set_app(app);
    with_app(|a| {
        a.send(Req::Words { lang: locale });
        if !broken {
            a.send(Req::Form);
        }
    });
}

/// `data-lang` if it names a language the widget has, else the browser's, else English.
fn choose_locale(lang: &str) -> Locale {
    if let Some(l) = Locale::from_tag(lang) {
        return l;
    }
    let langs = crate::dom::window().navigator().languages();
    let langs: Vec<String> = crate::dom::items(&langs)
        .filter_map(|v| v.as_string())
        .collect();
    Locale::negotiate(langs.iter().map(String::as_str))
}

/// `callback` bound to `what` and `id`: what the listeners, the height observer and
/// [`App::wait`] hand to JS.
pub(crate) fn bound(callback: &js_sys::Function, what: u32, id: u32) -> js_sys::Function {
    callback
        .unchecked_ref::<Bindable>()
        .bind_two(&JsValue::NULL, what, id)
}

/// One listener per kind of event on the root, for as long as the frame lives.
fn listen(root: &Element, callback: &js_sys::Function) {
    for (what, kind) in [(CLICK, "click"), (SUBMIT, "submit"), (CHANGE, "change")] {
        let _ = root.add_event_listener_with_callback(kind, &bound(callback, what, 0));
    }
}

/// Everything JS calls the widget back for, through one exported function ([`crate::callback`])
/// bound to `what` (and, for a request, `id`); `value` is the event, or what the promise
/// settled with.
///
/// Why not wasm-bindgen's `Closure`s: they link a closure table, a finalization registry and a
/// wrapper per signature into the glue, for callbacks that live as long as the frame anyway. And
/// why not `async` and `wasm_bindgen_futures`: their executor, wakers and `JsFuture`, for three
/// kinds of promise each awaited once. (Commit 182a930 dropped the last of both: frame 49,234 ->
/// 48,710 B brotli.)
pub fn callback(what: u32, id: u32, value: JsValue) {
    match what {
        // What a listener receives is an Event (an unchecked cast).
        CLICK | SUBMIT | CHANGE => on_event(what, value.unchecked_into()),
        RESIZED => {
            if let Some(host) = with_app(|a| a.params.host.clone()) {
                crate::report_height(&host);
            }
        }
        _ => {
            with_app(|a| a.settled(what, id, value));
        }
    }
}

fn on_event(kind: u32, e: Event) {
    let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    let act = match kind {
        SUBMIT => {
            e.prevent_default();
            target.get_attribute("data-act")
        }
        CLICK => target
            .closest("button[type=button][data-act]")
            .ok()
            .flatten()
            .and_then(|b| b.get_attribute("data-act")),
        _ => target.get_attribute("data-act"),
    };
    // An element whose `data-act` names no act is no action.
    if let Some(act) = act.as_deref().and_then(Act::parse) {
        with_app(|a| a.act(act));
    }
}

impl App {
    /// The pack of the language shown, once it has arrived.
    fn pack(&self) -> Option<&Pack> {
        self.packs.iter().find(|p| p.locale() == self.locale)
    }

    /// The string `s` in the language shown (empty before its pack arrives; nothing is drawn
    /// then).
    fn t(&self, s: S) -> &str {
        self.pack().map_or("", |p| p.t(s))
    }

    /// The string `s` with its `{}` replaced by `n`.
    fn tn(&self, s: S, n: u32) -> String {
        self.pack().map(|p| p.tn(s, n)).unwrap_or_default()
    }

    fn schema(&self) -> Option<&FormSchema> {
        self.form.as_ref().map(|f| &f.schema)
    }

    fn act(&mut self, act: Act) {
        if self.busy && act != Act::Lang {
            return;
        }
        match act {
            Act::Lang => {
                self.read_inputs();
                let Some(l) = value_of(&self.root, "#k-lang").and_then(|v| Locale::from_tag(&v))
                else {
                    return;
                };
                if self.packs.iter().any(|p| p.locale() == l) {
                    self.switching_to = None;
                    self.show_language(l);
                } else {
                    // The picker shows the new language already; the rest follows its pack.
                    self.switching_to = Some(l);
                    self.send(Req::Words { lang: l });
                }
            }
            Act::RetryWords => {
                self.no_pack = false;
                self.render(false);
                self.send(Req::Words { lang: self.locale });
            }
            Act::RetryForm => {
                self.step = Step::Loading;
                self.render(false);
                self.send(Req::Form);
            }
            Act::Service => {
                let chosen = value_of(&self.root, "input[name=service]:checked");
                match chosen {
                    Some(s) => {
                        if self.service.as_deref() != Some(s.as_str()) {
                            self.slots = None;
                            self.day = None;
                            self.slot = None;
                        }
                        self.service = Some(s);
                        self.alert = None;
                        self.go(Step::Slot);
                        if self.slots.is_none() {
                            self.fetch_slots();
                        }
                    }
                    None => {
                        self.alert = Some(S::ErrRequired);
                        self.render(false);
                        focus(&self.root, "input[name=service]");
                    }
                }
            }
            Act::Day => {
                self.day = value_of(&self.root, "#k-day");
                self.slot = None;
                self.render(false);
                focus(&self.root, "#k-day");
            }
            Act::RetrySlots => self.fetch_slots(),
            Act::Slot => {
                self.slot =
                    value_of(&self.root, "input[name=slot]:checked").and_then(|v| v.parse().ok());
                if self.slot.is_some() {
                    self.alert = None;
                    self.go(Step::Details);
                } else {
                    self.alert = Some(S::ErrSlotMissing);
                    self.render(false);
                    focus(&self.root, "input[name=slot]");
                }
            }
            Act::Details => {
                self.read_inputs();
                self.check_details();
            }
            Act::KeepNote => {
                self.sensitive_accepted = true;
                self.sensitive_warning = false;
                self.go(Step::Consent);
            }
            Act::EditNote => {
                self.sensitive_warning = false;
                self.render(false);
                focus(&self.root, "#k-f-note");
            }
            Act::Consent => {
                self.read_inputs();
                // `#k-book` is the consent step's button (an unchecked cast: no `instanceof`).
                if let Some(b) = find(&self.root, "#k-book") {
                    b.unchecked_ref::<HtmlButtonElement>()
                        .set_disabled(!self.consent);
                }
            }
            Act::Book => {
                self.read_inputs();
                self.book();
            }
            Act::Back => {
                self.read_inputs();
                self.alert = None;
                let prev = match self.step {
                    Step::Slot | Step::Manage => Step::Service,
                    Step::Details => Step::Slot,
                    Step::Consent => {
                        // Changed details make a new booking.
                        self.forget_confirmation();
                        Step::Details
                    }
                    _ => Step::Service,
                };
                self.go(prev);
            }
            Act::Manage => {
                self.alert = None;
                self.go(Step::Manage);
            }
            Act::Cancel => self.cancel(),
            Act::Copy => self.copy_code(),
            Act::Restart => {
                self.forget_confirmation();
                self.alert = None;
                self.slots = None;
                self.slot = None;
                self.go(Step::Service);
            }
        }
    }

    /// Moves to `step`, renders it and moves focus to its heading.
    fn go(&mut self, step: Step) {
        self.step = step;
        self.switch_failed = false;
        self.render(true);
    }

    /// Copies what is on screen in the current step into the state.
    fn read_inputs(&mut self) {
        match self.step {
            Step::Details => {
                let keys: Vec<&'static str> = self
                    .schema()
                    .map(|s| s.fields.iter().map(|f| f.kind.key()).collect())
                    .unwrap_or_default();
                for key in keys {
                    if let Some(v) = value_of(&self.root, &kuvert_core::cat(&["#k-f-", key])) {
                        let old = self.values.insert(key.to_owned(), v);
                        if let Some(mut old) = old {
                            old.zeroize();
                        }
                    }
                }
            }
            Step::Consent => {
                self.consent = checked(&self.root, "#k-consent");
                self.ticked = find_all(&self.root, "input[name=purpose]")
                    .iter()
                    .filter(|e| field(e).checked() == Some(true))
                    .filter_map(|e| field(e).value())
                    .collect();
            }
            Step::Manage => {
                self.cancel_ref = value_of(&self.root, "#k-ref").unwrap_or_default();
                self.cancel_code.zeroize();
                self.cancel_code = value_of(&self.root, "#k-code-in").unwrap_or_default();
            }
            _ => {}
        }
    }

    fn check_details(&mut self) {
        let Some(schema) = self.form.as_ref().map(|f| &f.schema) else {
            return;
        };
        match validate_fields(schema, self.values.iter()) {
            Ok(_) => {
                let sensitive = schema.fields.iter().any(|f| {
                    f.kind.is_free_text()
                        && self
                            .values
                            .get(f.kind.key())
                            .is_some_and(|v| !scan_free_text(v).is_empty())
                });
                self.field_errors.clear();
                if sensitive && !self.sensitive_accepted {
                    self.sensitive_warning = true;
                    self.render(false);
                    focus(&self.root, "#k-warning");
                } else {
                    self.alert = None;
                    self.go(Step::Consent);
                }
            }
            Err(errors) => {
                self.field_errors = errors.0.into_iter().map(|e| (e.field, e.problem)).collect();
                self.sensitive_warning = false;
                self.render(false);
                if let Some((key, _)) = self.field_errors.first() {
                    let key = key.clone();
                    focus(&self.root, &kuvert_core::cat(&["#k-f-", &key]));
                }
            }
        }
    }

    fn fetch_slots(&mut self) {
        let (Some(service), Some(form)) = (self.service.clone(), self.form.as_ref()) else {
            return;
        };
        let from = local_date_now(&form.time_zone);
        let to = add_days(&from, 27);
        self.slots = None;
        self.render(false);
        self.send(Req::Slots { service, from, to });
    }

    fn notice(&self) -> Option<Notice> {
        let pack = self.pack()?;
        self.schema().map(|s| render_with(s, &pack.wording()))
    }

    fn chosen_slot(&self) -> Option<&Slot> {
        let day = self.day.as_deref()?;
        let tz = &self.form.as_ref()?.time_zone;
        self.slots
            .as_ref()?
            .iter()
            .filter(|s| local_date(&s.start, tz) == day)
            .nth(self.slot?)
    }

    fn book(&mut self) {
        if !self.consent {
            self.render(false);
            return;
        }
        if let Some(envelope) = self.pending.clone() {
            self.busy = true;
            self.alert = Some(S::Sending);
            self.render(false);
            self.send(Req::Book { envelope });
            return;
        }
        let (Some(form), Some(slot), Some(notice)) =
            (self.form.as_ref(), self.chosen_slot(), self.notice())
        else {
            return;
        };
        let schema = &form.schema;
        let fields = match validate_fields(schema, self.values.iter()) {
            Ok(f) => f,
            Err(_) => {
                self.go(Step::Details);
                return;
            }
        };
        let ticked: Vec<&str> = self.ticked.iter().map(String::as_str).collect();
        let now = UtcTimestamp::from_unix((js_sys::Date::now() / 1000.0) as i64);
        let receipt = match now
            .map(|now| ConsentReceipt::new(schema, &notice, &ticked, now, kuvert_core::VERSION))
        {
            Some(Ok(r)) => r,
            _ => return,
        };
        let public = PublicFacts {
            service: self.service.clone().unwrap_or_default(),
            start: slot.start.clone(),
            end: slot.end.clone(),
        };
        let booking = Booking {
            kuvert: kuvert_core::envelope::ENVELOPE_VERSION,
            form: schema.id.clone(),
            public,
            fields,
            consent: receipt,
        };
        let Ok(code) = CancelCode::generate(&mut getrandom::SysRng) else {
            self.alert = Some(S::ErrServer);
            self.render(false);
            return;
        };
        match kuvert_core::seal_with_os_rng(&self.recipients, &booking, &code) {
            Ok(envelope) => {
                let (start, end) = (booking.public.start.clone(), booking.public.end.clone());
                drop(booking);
                self.done = Some(Confirmation {
                    reference: String::new(),
                    code: code.display_grouped(),
                    service: self.service.clone().unwrap_or_default(),
                    start,
                    end,
                    ics_url: String::new(),
                });
                let envelope = envelope.to_json();
                self.pending = Some(envelope.clone());
                self.busy = true;
                self.alert = Some(S::Sending);
                self.render(false);
                self.send(Req::Book { envelope });
            }
            Err(kuvert_core::age::SealError::TooLarge { .. }) => {
                self.alert = Some(S::ErrTooLarge);
                self.render(false);
            }
            Err(_) => {
                self.alert = Some(S::ErrServer);
                self.render(false);
            }
        }
    }

    fn cancel(&mut self) {
        self.read_inputs();
        let reference = self.cancel_ref.trim().to_ascii_uppercase();
        let Ok(code) = CancelCode::parse(&self.cancel_code) else {
            self.alert = Some(S::CancelBadCode);
            self.render(false);
            focus(&self.root, "#k-code-in");
            return;
        };
        if !kuvert_core::reference::is_reference(&reference) {
            self.alert = Some(S::CancelNotFound);
            self.render(false);
            focus(&self.root, "#k-ref");
            return;
        }
        // The grouped code is Crockford base32 and dashes only: nothing to escape.
        let body = kuvert_core::cat(&[r#"{"code":""#, &code.display_grouped(), r#""}"#]);
        self.busy = true;
        self.alert = Some(S::Sending);
        self.render(false);
        self.send(Req::Cancel { reference, body });
    }

    fn copy_code(&mut self) {
        let Some(code) = self.done.as_ref().map(|d| d.code.clone()) else {
            return;
        };
        let promise = crate::dom::window()
            .navigator()
            .clipboard()
            .write_text(&code);
        self.wait(&promise, 0, COPIED, COPY_FAILED);
    }

    fn forget_confirmation(&mut self) {
        if let Some(mut d) = self.done.take() {
            d.code.zeroize();
        }
        self.pending = None;
    }

    /// Forgets everything the customer typed: after the inbox has accepted the booking.
    fn forget_plaintext(&mut self) {
        for v in self.values.values_mut() {
            v.zeroize();
        }
        self.values.clear();
        self.ticked.clear();
        self.consent = false;
        self.sensitive_accepted = false;
        for input in find_all(&self.root, "input, textarea") {
            field(&input).set_value("");
        }
    }

    // --- network --------------------------------------------------------------------------

    fn send(&mut self, req: Req) {
        match self.transport {
            Transport::Held => self.held.push(req),
            Transport::Fetch => {
                let id = self.next_id;
                self.next_id = self.next_id.wrapping_add(1);
                // A request that cannot even be made answers as if offline, but later, as
                // every answer comes: `send` is called in the middle of an action.
                let promise = fetch(&self.params.inbox, &self.params.form, &req)
                    .unwrap_or_else(|| js_sys::Promise::reject(&JsValue::NULL));
                self.wait(&promise, id, RESPONSE, FAILED);
                self.waiting.push(Waiting { id, req, status: 0 });
            }
        }
    }

    /// Has `promise` settle into [`callback`] with `ok` or `fail` and `id`.
    fn wait(&self, promise: &js_sys::Promise, id: u32, ok: u32, fail: u32) {
        promise.unchecked_ref::<Settling>().then_call(
            &bound(&self.callback, ok, id),
            &bound(&self.callback, fail, id),
        );
    }

    /// A promise the app waited on has settled with `value`.
    fn settled(&mut self, what: u32, id: u32, value: JsValue) {
        if what == COPIED || what == COPY_FAILED {
            let text = self.t(if what == COPIED {
                S::Copied
            } else {
                S::CopyFailed
            });
            if let Some(status) = find(&self.root, "#k-copy-status") {
                status.set_text_content(Some(text));
            }
            return;
        }
        let Some(i) = self.waiting.iter().position(|w| w.id == id) else {
            return;
        };
        if what == RESPONSE {
            // What a fetch promise fulfils with is a Response (an unchecked cast: no
            // `instanceof`).
            let response = value.unchecked_ref::<web_sys::Response>();
            if let Ok(body) = response.text() {
                self.waiting[i].status = response.status();
                self.wait(&body, id, BODY, FAILED);
                return;
            }
        }
        let waiting = self.waiting.remove(i);
        let answer = match value.as_string() {
            Some(body) if what == BODY => Ok((waiting.status, body)),
            _ => Err(()),
        };
        self.on_answer(waiting.req, answer);
    }

    fn on_answer(&mut self, req: Req, answer: Answer) {
        match req {
            Req::Words { lang } => {
                let pack = match answer {
                    Ok((200, body)) => Pack::parse(lang, body),
                    _ => None,
                };
                let switching = self.switching_to == Some(lang);
                if switching {
                    self.switching_to = None;
                }
                match pack {
                    Some(pack) => {
                        if !self.packs.iter().any(|p| p.locale() == lang) {
                            self.packs.push(pack);
                        }
                        if switching {
                            self.show_language(lang);
                        } else if lang == self.locale {
                            self.render(false);
                        }
                    }
                    None if switching => {
                        // The language stays as it was, and the picker says why.
                        self.switch_failed = true;
                        self.render(false);
                        focus(&self.root, "#k-lang");
                    }
                    None if lang == self.locale && self.pack().is_none() => {
                        self.no_pack = true;
                        self.render(false);
                    }
                    None => {}
                }
            }
            Req::Form => match answer {
                Ok((200, body)) => match json::parse(&body).and_then(|v| wire::form_config(&v)) {
                    // Two-party pinning: a script on the page or a changed inbox config
                    // alone cannot redirect bookings to another key.
                    Ok(cfg) if !same_keys(&self.recipients, &cfg.recipients) => {
                        self.send(Req::Problem);
                        self.broken(S::ErrLoad);
                    }
                    Ok(cfg) => {
                        if cfg.schema.services.len() == 1 {
                            self.service = Some(cfg.schema.services[0].id.clone());
                        }
                        self.form = Some(cfg);
                        self.step = Step::Service;
                        self.render(false);
                    }
                    Err(_) => self.broken(S::ErrLoad),
                },
                _ => self.broken(S::ErrLoad),
            },
            Req::Slots { service, .. } => {
                if self.service.as_deref() != Some(service.as_str()) {
                    return;
                }
                match answer {
                    Ok((200, body)) => {
                        match json::parse(&body).and_then(|v| wire::free_slots(&v)) {
                            Ok(slots) => {
                                let tz = self
                                    .form
                                    .as_ref()
                                    .map(|f| f.time_zone.clone())
                                    .unwrap_or_default();
                                let days = days_of(&slots, &tz);
                                if self.day.as_ref().is_none_or(|d| !days.contains(d)) {
                                    self.day = days.first().cloned();
                                    self.slot = None;
                                }
                                self.slots = Some(slots);
                            }
                            Err(_) => self.alert = Some(S::ErrServer),
                        }
                    }
                    Ok((429, _)) => self.alert = Some(S::ErrRateLimited),
                    Ok(_) => self.alert = Some(S::ErrServer),
                    Err(()) => self.alert = Some(S::ErrOffline),
                }
                if self.step == Step::Slot {
                    self.render(false);
                }
            }
            Req::Book { .. } => {
                self.busy = false;
                match answer {
                    // 200: a resend of an envelope the inbox had stored already.
                    Ok((200 | 201, body)) => {
                        self.pending = None;
                        let reference = json::parse(&body)
                            .ok()
                            .and_then(|v| wire::reference(&v))
                            .unwrap_or_default();
                        self.booked(reference);
                    }
                    Ok((409, _)) => self.slot_taken(),
                    Ok((422, body))
                        if json::parse(&body)
                            .ok()
                            .and_then(|v| wire::error_code(&v))
                            .as_deref()
                            == Some(kuvert_api::ErrorCode::NotASlot.as_str()) =>
                    {
                        self.slot_taken()
                    }
                    Ok((status, _)) => {
                        // Only a refusal is definite; past a 5xx or 429 the booking may
                        // be stored, so the envelope is kept for "Try again".
                        if !(status == 429 || status >= 500) {
                            self.forget_confirmation();
                        }
                        self.alert = Some(match status {
                            413 => S::ErrTooLarge,
                            429 => S::ErrRateLimited,
                            _ => S::ErrServer,
                        });
                        self.render(false);
                        focus(&self.root, "#k-alert");
                    }
                    Err(()) => {
                        self.alert = Some(S::ErrOffline);
                        self.render(false);
                        focus(&self.root, "#k-alert");
                    }
                }
            }
            Req::Problem => {}
            Req::Cancel { .. } => {
                self.busy = false;
                match answer {
                    Ok((204, _)) => {
                        self.alert = None;
                        self.cancel_ref.clear();
                        self.cancel_code.zeroize();
                        self.go(Step::Cancelled);
                        return;
                    }
                    Ok((404, _)) => self.alert = Some(S::CancelNotFound),
                    Ok((400, _)) => self.alert = Some(S::CancelBadCode),
                    Ok((429, _)) => self.alert = Some(S::ErrRateLimited),
                    Ok(_) => self.alert = Some(S::ErrServer),
                    Err(()) => self.alert = Some(S::ErrOffline),
                }
                self.render(false);
                focus(&self.root, "#k-alert");
            }
        }
    }

    /// Shows `l`, whose pack has arrived, and keeps focus on the picker.
    fn show_language(&mut self, l: Locale) {
        self.switch_failed = false;
        self.locale = l;
        self.render(false);
        focus(&self.root, "#k-lang");
    }

    fn broken(&mut self, why: S) {
        self.step = Step::Broken(why);
        self.render(false);
    }

    fn slot_taken(&mut self) {
        self.forget_confirmation();
        self.slot = None;
        self.alert = Some(S::ErrTaken);
        self.step = Step::Slot;
        self.fetch_slots();
        focus(&self.root, "#k-alert");
    }

    fn booked(&mut self, reference: String) {
        self.forget_plaintext();
        let name = self.service_name(self.service.as_deref().unwrap_or_default());
        let business = self
            .schema()
            .map(|s| s.controller.name.clone())
            .unwrap_or_default();
        if let Some(d) = self.done.as_mut() {
            d.reference = reference;
            d.ics_url = ics_url(&d.reference, &d.start, &d.end, &name, &business);
            // Facts the snippet did not opt in to go out empty.
            let listed = |k: &str| self.params.detail.split(',').any(|w| w == k);
            let fact = |k, v: &str| {
                if listed(k) {
                    v.to_owned()
                } else {
                    String::new()
                }
            };
            post_to_host(
                &self.params.host,
                &[
                    ("kuvert", "booked"),
                    ("reference", &fact("reference", &d.reference)),
                    ("service", &fact("service", &d.service)),
                    ("start", &fact("start", &d.start)),
                ],
            );
        }
        self.alert = None;
        self.slots = None;
        self.go(Step::Done);
    }
}

// --- requests --------------------------------------------------------------------------------

fn options(pairs: &[(&str, &str)]) -> js_sys::Object {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), &JsValue::from_str(v));
    }
    o
}

/// Whether the snippet's keys and the inbox's (`served`, comma-separated) are the same set,
/// compared as parsed keys: at most 8 each, so by pairs rather than sorting (a key listed twice
/// is still the same set).
fn same_keys(pinned: &[Recipient], served: &str) -> bool {
    let Ok(theirs) = Recipient::parse_list(served) else {
        return false;
    };
    let within = |a: &[Recipient], b: &[Recipient]| a.iter().all(|x| b.contains(x));
    within(pinned, &theirs) && within(&theirs, pinned)
}

/// Starts the request `req`: the promise of its response, unless it cannot be made.
///
/// The `RequestInit` is a plain object built with [`options`] (`fetch` takes any object): one
/// import for every member instead of a setter each, and no web-sys enums in the glue.
fn fetch(inbox: &str, form: &str, req: &Req) -> Option<js_sys::Promise> {
    // The inbox's answers are never cached; a pack is a static file of the frame's own
    // origin, which the browser may keep (revalidating it).
    let pack = matches!(req, Req::Words { .. });
    let init = options(&[
        ("credentials", "omit"),
        ("referrerPolicy", "no-referrer"),
        ("cache", if pack { "no-cache" } else { "no-store" }),
        ("mode", if pack { "same-origin" } else { "cors" }),
    ]);
    let enc = |s: &str| String::from(js_sys::encode_uri_component(s));
    let (url, body) = match req {
        // Relative to the frame page, which is served beside `pkg/`.
        Req::Words { lang } => (kuvert_core::cat(&["pkg/l10n/", lang.code(), ".txt"]), None),
        Req::Form => (kuvert_core::cat(&[inbox, "/v1/forms/", &enc(form)]), None),
        Req::Slots { service, from, to } => (
            kuvert_core::cat(&[
                inbox,
                "/v1/forms/",
                &enc(form),
                "/slots?service=",
                &enc(service),
                "&from=",
                &enc(from),
                "&to=",
                &enc(to),
            ]),
            None,
        ),
        Req::Book { envelope } => (
            kuvert_core::cat(&[inbox, "/v1/bookings"]),
            Some(envelope.as_str()),
        ),
        Req::Problem => (
            kuvert_core::cat(&[inbox, "/v1/forms/", &enc(form), "/problems"]),
            Some(r#"{"problem":"key_mismatch"}"#),
        ),
        Req::Cancel { reference, body } => (
            kuvert_core::cat(&[inbox, "/v1/bookings/", &enc(reference), "/cancel"]),
            Some(body.as_str()),
        ),
    };
    if let Some(body) = body {
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&init, &JsValue::from_str(k), v).ok();
        set("method", &JsValue::from_str("POST"))?;
        set("body", &JsValue::from_str(body))?;
        set("headers", &options(&[("content-type", "application/json")]))?;
    }
    Some(crate::dom::window().fetch_with_str_and_init(&url, init.unchecked_ref()))
}

// --- test hooks ------------------------------------------------------------------------------

/// Answers the oldest held request (tests only; see [`Transport::Held`]). Returns the request.
pub fn respond(answer: Answer) -> Option<Req> {
    let req = with_app(|a| {
        if a.held.is_empty() {
            None
        } else {
            Some(a.held.remove(0))
        }
    })
    .flatten()?;
    with_app(|a| a.on_answer(req.clone(), answer));
    Some(req)
}

/// The requests waiting for an answer (tests only).
pub fn held() -> Vec<Req> {
    with_app(|a| a.held.clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{Act, add_days};

    #[test]
    fn every_act_has_one_name_and_an_unknown_one_is_refused() {
        let all = [
            Act::Lang,
            Act::RetryWords,
            Act::RetryForm,
            Act::Service,
            Act::Day,
            Act::RetrySlots,
            Act::Slot,
            Act::Details,
            Act::KeepNote,
            Act::EditNote,
            Act::Consent,
            Act::Book,
            Act::Back,
            Act::Manage,
            Act::Cancel,
            Act::Copy,
            Act::Restart,
        ];
        for a in all {
            assert_eq!(Act::parse(a.name()), Some(a));
        }
        for unknown in ["", "BOOK", "book ", "submit", "purpose"] {
            assert_eq!(Act::parse(unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn the_slot_range_ends_27_days_on_across_months_years_and_leap_days() {
        assert_eq!(add_days("2030-01-20", 27), "2030-02-16");
        assert_eq!(add_days("2030-12-20", 27), "2031-01-16");
        assert_eq!(add_days("2030-02-10", 27), "2030-03-09");
        assert_eq!(add_days("2028-02-10", 27), "2028-03-08");
        assert_eq!(add_days("2030-03-04", 0), "2030-03-04");
        // Not a date: the range stays one day rather than inventing one.
        assert_eq!(add_days("2030-02-30", 27), "2030-02-30");
    }
}
