//! Kuvert's booking widget, compiled to WebAssembly: the booking form that runs inside the
//! isolated frame (`www/frame.html`), and the sealer it calls.
//!
//! The frame reads its parameters from the URL fragment the loader (`www/kuvert.js`) writes:
//! the inbox, the form id, the pinned recipient keys, the language and the host page's origin.
//! It talks to the inbox only; it stores nothing in the browser; it tells the host page only
//! its height and, after a booking, the reference, service and start time.
//!
//! No private key ever reaches here, and the `age` crate is not linked (`cargo xtask
//! build-widget` checks the dependency tree).

// `unsafe` only in `rt` (the allocator); the workspace forbids it everywhere else.
#![deny(unsafe_code)]
// The shipped build leaves std out (see `rt`); natively and in tests std is there as usual.
#![cfg_attr(target_arch = "wasm32", no_std)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod app;
pub mod dom;
pub mod i18n;
pub mod json;
pub mod wire;

#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
mod rt;

/// What the standard library's prelude would bring, for the `no_std` modules.
mod prelude {
    pub use alloc::borrow::ToOwned;
    pub use alloc::string::String;
    pub use alloc::vec;
    pub use alloc::vec::Vec;
}
#[allow(unused_imports)]
use prelude::*;

/// The one line a panic (a bug) logs. Never the panic's message: it could carry state.
pub const INTERNAL_ERROR: &str = "Kuvert: internal error; please reload the page";

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// Starts the booking form if this is the frame page (it has an element `#kuvert`). `frame.js`
/// calls it once the Wasm is instantiated, with [`callback`] as JS sees it (the glue's export).
/// With std (the tests), first installs a panic hook that logs [`INTERNAL_ERROR`] only; the
/// shipped build's panic handler does the same (see `rt`).
///
/// `inbox` is the origin the frame posts to. `frame.js` passes the one fixed when the widget
/// was built (`KUVERT_INBOX`, for a copy of `www/` served from another origin), or else the
/// frame's own origin. Never anything from the page that embeds the frame.
#[wasm_bindgen]
pub fn start(callback: js_sys::Function, inbox: String) {
    #[cfg(feature = "std")]
    std::panic::set_hook(std::boxed::Box::new(|_| {
        web_sys::console::error_1(&JsValue::from_str(INTERNAL_ERROR));
    }));
    let window = crate::dom::window();
    // `querySelector` on the root element, which the widget imports anyway, rather than
    // `getElementById`, which would be an import of its own.
    let Some(root) = window
        .document()
        .and_then(|d| d.document_element())
        .and_then(|html| crate::dom::find(&html, "#kuvert"))
    else {
        return;
    };
    let hash = window.location().hash().unwrap_or_default();
    let own = window.location().origin().unwrap_or_default();
    let params = parse_fragment(&hash, if is_origin(&inbox) { &inbox } else { &own });
    apply_theme(&hash);
    watch_height(&params.host, &callback);
    app::mount(root, params, app::Transport::Fetch, callback);
}

/// The one way back into the widget from JS: every listener, the height observer and every
/// promise the app waits on call this, bound to what happened (see [`app::callback`]).
#[wasm_bindgen]
pub fn callback(what: u32, id: u32, value: JsValue) {
    app::callback(what, id, value);
}

/// Reads `#form=…&keys=…&lang=…&host=…` (URL-encoded). The inbox is not among them: the host
/// page writes the fragment, and a script there (a tag manager, say) must not be able to point
/// the frame's posts elsewhere. So the frame posts only to `inbox`, fixed by its own files
/// (see [`start`]); an `inbox` parameter in the fragment is ignored.
pub fn parse_fragment(hash: &str, inbox: &str) -> app::Params {
    let get = fragment(hash);
    let mut p = app::Params {
        inbox: inbox.trim_end_matches('/').to_owned(),
        form: get("form"),
        keys: get("keys"),
        lang: get("lang"),
        host: get("host"),
        detail: get("detail"),
    };
    if !is_origin(&p.host) {
        p.host.clear();
    }
    p
}

/// Whether `u` looks like an origin: `http(s)://` and a host, with no path, query, fragment,
/// space or backslash.
fn is_origin(u: &str) -> bool {
    (u.starts_with("https://") || u.starts_with("http://"))
        && !u.contains(['?', '#', ' ', '\\'])
        && u.matches('/').count() == 2
}

/// The fragment's parameters by name (empty when absent), decoded by the browser's
/// `URLSearchParams` (`+` and `%xx` included; a name given twice counts once, the first time).
fn fragment(hash: &str) -> impl Fn(&str) -> String {
    let params = web_sys::UrlSearchParams::new_with_str(hash.trim_start_matches('#')).ok();
    move |name| {
        params
            .as_ref()
            .and_then(|p| p.get(name))
            .unwrap_or_default()
    }
}

/// Theming from the snippet's data attributes: `accent` (a hex colour), `radius` (a length in
/// px or rem) and `font` (a font family list). Values are checked before they become CSS
/// custom properties on the frame's own root; nothing is injected into the host page.
fn apply_theme(hash: &str) {
    let Some(html) = crate::dom::window()
        .document()
        .and_then(|d| d.document_element())
        // The root of an HTML document is an HTMLElement (an unchecked cast: no `instanceof`).
        .map(JsCast::unchecked_into::<web_sys::HtmlElement>)
    else {
        return;
    };
    let style = html.style();
    let get = fragment(hash);
    for k in ["accent", "radius", "font"] {
        let v = get(k);
        let ok = match k {
            "accent" => v.strip_prefix('#').is_some_and(|hex| {
                matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())
            }),
            "radius" => {
                // Not `trim_end_matches("px")`: a `&str` pattern links core's substring
                // searcher.
                let n = v
                    .strip_suffix("px")
                    .or_else(|| v.strip_suffix("rem"))
                    .unwrap_or(&v);
                n.len() < v.len()
                    && !n.is_empty()
                    && n.len() <= 4
                    && n.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            }
            "font" => {
                v.len() <= 100
                    && v.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b" ,-'\"".contains(&b))
            }
            _ => false,
        };
        if ok {
            let _ = style.set_property(&kuvert_core::cat(&["--k-", k]), &v);
        }
    }
}

/// Has the page's height reported to the host page whenever it changes (see
/// [`report_height`]).
fn watch_height(host: &str, callback: &js_sys::Function) {
    if host.is_empty() {
        return;
    }
    if let (Ok(observer), Some(html)) = (
        web_sys::ResizeObserver::new(&app::bound(callback, app::RESIZED, 0)),
        crate::dom::window()
            .document()
            .and_then(|d| d.document_element()),
    ) {
        observer.observe(&html);
    }
}

/// Tells the host page the frame's content height.
fn report_height(host: &str) {
    let h = crate::dom::window()
        .document()
        .and_then(|d| d.document_element())
        .map_or(0, |e| {
            // Rounded up by hand: `f64::ceil` is not in `core`, and `Math.ceil` would be an
            // import of its own.
            let h = e.get_bounding_client_rect().height();
            let whole = h as u32;
            whole + u32::from(f64::from(whole) < h)
        });
    app::post_to_host(
        host,
        &[
            ("kuvert", "height"),
            ("height", &kuvert_core::decimal(h.into())),
        ],
    );
}

/// Benchmark builds only (`--features bench`, used by `cargo xtask bench`): seals the example
/// booking (about 300 bytes of fields and consent receipt) to `recipients` and returns the
/// envelope JSON. Not in the shipped widget.
#[cfg(feature = "bench")]
#[wasm_bindgen]
pub fn bench_seal(recipients: &str) -> Result<String, JsError> {
    use kuvert_core::{Booking, CancelCode, ConsentReceipt, Locale, PublicFacts, Recipient};
    // Fixed messages, not the errors' Display: this build goes through the same pipeline as
    // the shipped one, whose `prune` step refuses any formatting on a live path.
    let recipients =
        Recipient::parse_list(recipients).map_err(|_| JsError::new("bad recipients"))?;
    let fields = [
        ("name", "Ann Berg"),
        ("phone", "+46701234567"),
        ("email", "ann.berg@example.com"),
        ("note", "Allergic to ammonia-based colour."),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let booking = Booking {
        kuvert: 1,
        form: "salon".into(),
        public: PublicFacts {
            service: "cut".into(),
            start: "2027-03-01T09:00:00Z".into(),
            end: "2027-03-01T09:30:00Z".into(),
        },
        fields: kuvert_core::minimise::Fields::from_map(fields),
        consent: ConsentReceipt {
            time: "2027-02-27T18:04:11Z".into(),
            locale: Locale::En,
            notice_sha256: "b7789a71c230ac0c68314998f57d120a85e5dea9858abebfe25092740f43cb87"
                .into(),
            notice_version: 1,
            accepted: vec!["booking".into(), "reminders".into()],
            declined: vec!["newsletter".into()],
            widget_version: kuvert_core::VERSION.into(),
        },
    };
    let code = CancelCode::generate(&mut getrandom::SysRng).map_err(|_| JsError::new("rng"))?;
    kuvert_core::seal_with_os_rng(&recipients, &booking, &code)
        .map(|e| e.to_json())
        .map_err(|_| JsError::new("sealing failed"))
}
