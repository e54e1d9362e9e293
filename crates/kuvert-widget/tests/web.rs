//! The frame app's logic and DOM in headless Chromium (wasm-bindgen-test, `run_in_browser`).
//!
//! The app runs with [`Transport::Held`]: each request it makes is held, and the test answers
//! it with what the inbox would send. Everything after the network — rendering, validation,
//! consent gating, sealing, 409/offline handling — is the production code path. The real
//! network path is covered by `tests/browser/` (a real inbox on loopback).
//!
//! Run with `cargo xtask test` (it sets the runner and Chromium options).

#![cfg(target_arch = "wasm32")]

use kuvert_core::notice::Wording;
use kuvert_core::{CancelCode, Envelope, Locale};
use kuvert_widget::app::{self, Params, Req, Transport};
use kuvert_widget::i18n::{self, NO_PACK};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlButtonElement, HtmlElement, HtmlInputElement, HtmlSelectElement};

wasm_bindgen_test_configure!(run_in_browser);

const DEMO_PUBLIC: &str = "age1xns0tpga0kfr3qjtdjfwmjqaqwuq0wls5v33r295y7w5usuddggq8gtgh8";
const SALON: &str = include_str!("../../kuvert-core/tests/fixtures/salon.json");
/// Three free slots on two days (Stockholm time: 4 March 09:00 and 09:30, 5 March 10:00).
const SLOTS: &str = r#"{"service":"cut","slots":[
  {"start":"2030-03-04T08:00:00Z","end":"2030-03-04T08:30:00Z","remaining":1},
  {"start":"2030-03-04T08:30:00Z","end":"2030-03-04T09:00:00Z","remaining":1},
  {"start":"2030-03-04T09:00:00Z","end":"2030-03-04T09:30:00Z","remaining":0},
  {"start":"2030-03-05T09:00:00Z","end":"2030-03-05T09:30:00Z","remaining":1}]}"#;

fn doc() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// The language pack the frame fetches for `lang`, as `cargo xtask build-widget` writes it.
fn pack(lang: Locale) -> String {
    let strings = match lang {
        Locale::En => include_str!("../l10n/en.txt"),
        Locale::Nl => include_str!("../l10n/nl.txt"),
        Locale::Sv => include_str!("../l10n/sv.txt"),
        Locale::De => include_str!("../l10n/de.txt"),
    };
    i18n::pack_text(lang, Wording::builtin_text(lang), strings)
}

/// Answers the held request for a language pack with the pack; returns its language.
fn answer_pack() -> Locale {
    let held = app::held();
    let Some(Req::Words { lang }) = held.first().cloned() else {
        panic!("expected a language pack request first: {held:?}");
    };
    assert_eq!(
        app::respond(Ok((200, pack(lang)))),
        Some(Req::Words { lang })
    );
    lang
}

/// `kuvert_widget::callback` as a JS function: what `frame.js` passes to `start` in the frame
/// (the glue's export). Here a `Closure` around it, which lives as long as the test page.
fn callback() -> js_sys::Function {
    let cb = wasm_bindgen::closure::Closure::<dyn FnMut(u32, u32, wasm_bindgen::JsValue)>::new(
        kuvert_widget::callback,
    );
    let f = cb.as_ref().unchecked_ref::<js_sys::Function>().clone();
    cb.forget();
    f
}

/// A fresh root with the app mounted; nothing answered yet.
fn mount_bare(keys: &str, lang: &str) -> Element {
    if let Some(old) = doc().get_element_by_id("kuvert") {
        old.remove();
    }
    let root = doc().create_element("div").unwrap();
    root.set_id("kuvert");
    doc().body().unwrap().append_child(&root).unwrap();
    app::mount(
        root.clone(),
        Params {
            inbox: "https://inbox.example".into(),
            form: "salon".into(),
            keys: keys.into(),
            lang: lang.into(),
            host: String::new(),
            detail: String::new(),
        },
        Transport::Held,
        callback(),
    );
    root
}

/// A fresh root with the app mounted and its language pack answered.
fn mount_with(keys: &str, lang: &str) -> Element {
    let root = mount_bare(keys, lang);
    answer_pack();
    root
}

/// A fresh root with the app mounted, its language pack and the form config answered.
fn mount(lang: &str) -> Element {
    let root = mount_with(DEMO_PUBLIC, lang);
    let config = format!(
        r#"{{"schema":{SALON},"time_zone":"Europe/Stockholm","recipients":["{DEMO_PUBLIC}"]}}"#
    );
    assert_eq!(app::respond(Ok((200, config))), Some(Req::Form));
    root
}

fn q(root: &Element, sel: &str) -> Element {
    root.query_selector(sel)
        .unwrap()
        .unwrap_or_else(|| panic!("nothing matches {sel}"))
}

fn exists(root: &Element, sel: &str) -> bool {
    root.query_selector(sel).unwrap().is_some()
}

fn text(root: &Element, sel: &str) -> String {
    q(root, sel).text_content().unwrap_or_default()
}

fn click(root: &Element, sel: &str) {
    q(root, sel).dyn_into::<HtmlElement>().unwrap().click();
}

/// Clicks the button whose text is `label`.
fn press(root: &Element, label: &str) {
    let buttons = root.query_selector_all("button").unwrap();
    for i in 0..buttons.length() {
        let b: HtmlElement = buttons.item(i).unwrap().dyn_into().unwrap();
        if b.text_content().as_deref() == Some(label) {
            b.click();
            return;
        }
    }
    panic!("no button {label:?}");
}

fn fill(root: &Element, sel: &str, value: &str) {
    let e = q(root, sel);
    if let Some(i) = e.dyn_ref::<HtmlInputElement>() {
        i.set_value(value);
    } else {
        e.dyn_ref::<web_sys::HtmlTextAreaElement>()
            .unwrap()
            .set_value(value);
    }
}

/// Picks `code` in the language picker, as a customer does.
fn pick_language(root: &Element, code: &str) {
    let lang: HtmlSelectElement = q(root, "#k-lang").dyn_into().unwrap();
    lang.set_value(code);
    // As a browser fires it: `change` bubbles (the app listens on its root).
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    lang.dispatch_event(&web_sys::Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
}

fn focused_id() -> String {
    doc().active_element().map(|e| e.id()).unwrap_or_default()
}

/// Service → slot step, slots answered; returns the root on the slot step.
fn to_slots(lang: &str) -> Element {
    let root = mount(lang);
    click(&root, "#k-s-cut");
    click(&root, "form[data-act=service] button[type=submit]");
    let held = app::held();
    assert!(
        matches!(&held[..], [Req::Slots { service, from, to }] if service == "cut" && from.len() == 10 && to.len() == 10),
        "{held:?}"
    );
    app::respond(Ok((200, SLOTS.into())));
    root
}

fn to_details() -> Element {
    let root = to_slots("en");
    click(&root, "#k-t-1");
    click(&root, "form[data-act=slot] button[type=submit]");
    root
}

fn to_consent(note: &str) -> Element {
    let root = to_details();
    fill(&root, "#k-f-name", "Ada Lovelace");
    fill(&root, "#k-f-phone", "070-123 45 67");
    fill(&root, "#k-f-note", note);
    click(&root, "form[data-act=details] button[type=submit]");
    root
}

fn book_button(root: &Element) -> HtmlButtonElement {
    q(root, "#k-book").dyn_into().unwrap()
}

fn tick_consent(root: &Element, on: bool) {
    let c: HtmlInputElement = q(root, "#k-consent").dyn_into().unwrap();
    if c.checked() != on {
        c.click();
    }
}

#[wasm_bindgen_test]
fn each_step_renders_with_its_heading_and_focus() {
    let root = mount("en");
    assert_eq!(text(&root, "h2"), "Choose a service");
    assert!(text(&root, "label[for=k-s-cut]").starts_with("Haircut"));
    assert!(text(&root, "label[for=k-s-colour]").contains("90 min"));

    click(&root, "#k-s-cut");
    click(&root, "form[data-act=service] button[type=submit]");
    assert_eq!(text(&root, "h2"), "Choose a date and time");
    assert_eq!(focused_id(), "", "the heading has focus, not a control");
    assert_eq!(
        doc().active_element().unwrap().tag_name(),
        "H2",
        "focus moves to the new step's heading"
    );
    assert!(exists(&root, "[role=status]"), "loading is announced");
    app::respond(Ok((200, SLOTS.into())));
    // Two days with free places; the full 10:00 slot is not offered.
    let day: HtmlSelectElement = q(&root, "#k-day").dyn_into().unwrap();
    assert_eq!(day.length(), 2);
    assert_eq!(day.value(), "2030-03-04");
    assert_eq!(
        root.query_selector_all("input[name=slot]")
            .unwrap()
            .length(),
        2
    );
    assert_eq!(
        text(&root, "label[for=k-t-0]"),
        "9:00 AM",
        "times in the business's zone (08:00 UTC)"
    );
    assert_eq!(text(&root, "fieldset legend"), "Time");

    click(&root, "#k-t-0");
    click(&root, "form[data-act=slot] button[type=submit]");
    assert_eq!(text(&root, "h2"), "Your details");
    // Only the configured fields, each labelled and described by its purpose.
    // name, phone, email, note: the salon's four fields and no others.
    assert_eq!(
        root.query_selector_all("main input, main textarea")
            .unwrap()
            .length(),
        4
    );
    let name = q(&root, "#k-f-name");
    assert_eq!(text(&root, "label[for=k-f-name]"), "Name (required)");
    assert_eq!(name.get_attribute("aria-describedby").unwrap(), "k-p-name");
    assert_eq!(text(&root, "#k-p-name"), "So we know who is coming.");
    assert_eq!(name.get_attribute("autocomplete").unwrap(), "name");
    assert_eq!(q(&root, "#k-f-phone").get_attribute("type").unwrap(), "tel");
    assert!(
        !exists(&root, "#k-f-date_of_birth"),
        "fields the form does not ask for are absent"
    );

    fill(&root, "#k-f-name", "Ada Lovelace");
    fill(&root, "#k-f-phone", "070-123 45 67");
    click(&root, "form[data-act=details] button[type=submit]");
    assert_eq!(text(&root, "h2"), "Privacy notice and consent");
    assert!(text(&root, "#k-notice-title").contains("Salong Sax AB"));
    assert!(text(&root, ".k-summary").contains("Haircut"));
    // Optional purposes start unticked.
    let purposes = root.query_selector_all("input[name=purpose]").unwrap();
    assert_eq!(purposes.length(), 2);
    for i in 0..purposes.length() {
        let p: HtmlInputElement = purposes.item(i).unwrap().dyn_into().unwrap();
        assert!(!p.checked());
    }

    // Back keeps what was typed.
    press(&root, "Back");
    assert_eq!(text(&root, "h2"), "Your details");
    let kept: HtmlInputElement = q(&root, "#k-f-name").dyn_into().unwrap();
    assert_eq!(kept.value(), "Ada Lovelace");
}

#[wasm_bindgen_test]
fn validation_messages_are_inline_tied_to_the_field_and_announced() {
    let root = to_details();
    fill(&root, "#k-f-phone", "not a phone");
    fill(&root, "#k-f-email", "ada@");
    click(&root, "form[data-act=details] button[type=submit]");
    assert_eq!(text(&root, "h2"), "Your details", "stays on the step");
    assert_eq!(
        text(&root, "[role=alert]"),
        "Please correct the fields marked below."
    );
    let name = q(&root, "#k-f-name");
    assert_eq!(name.get_attribute("aria-invalid").as_deref(), Some("true"));
    assert_eq!(
        name.get_attribute("aria-describedby").unwrap(),
        "k-p-name k-e-name"
    );
    assert_eq!(text(&root, "#k-e-name"), "Please fill this in.");
    assert!(text(&root, "#k-e-phone").starts_with("Please enter a phone number"));
    assert!(text(&root, "#k-e-email").starts_with("Please enter an e-mail address"));
    assert!(
        !exists(&root, "#k-e-note"),
        "a valid optional field has no error"
    );
    assert_eq!(
        focused_id(),
        "k-f-name",
        "focus goes to the first field in error"
    );
    // What was typed stays, errors and all.
    let phone: HtmlInputElement = q(&root, "#k-f-phone").dyn_into().unwrap();
    assert_eq!(phone.value(), "not a phone");
    assert!(app::held().is_empty(), "nothing is sent");
}

#[wasm_bindgen_test]
fn a_card_number_in_the_note_brings_a_warning_with_the_choice_to_edit() {
    let root = to_consent("pay with 4111 1111 1111 1111 please");
    assert_eq!(text(&root, "h2"), "Your details");
    assert!(text(&root, "#k-warning").contains("card or national ID number"));
    assert_eq!(focused_id(), "k-warning");
    press(&root, "Edit the note");
    assert_eq!(focused_id(), "k-f-note");
    assert!(!exists(&root, "#k-warning"));
    click(&root, "form[data-act=details] button[type=submit]");
    press(&root, "Keep it and continue");
    assert_eq!(text(&root, "h2"), "Privacy notice and consent");
}

#[wasm_bindgen_test]
fn book_stays_disabled_until_the_required_consent() {
    let root = to_consent("");
    assert!(book_button(&root).disabled());
    tick_consent(&root, true);
    assert!(!book_button(&root).disabled());
    tick_consent(&root, false);
    assert!(book_button(&root).disabled());
    // Submitting anyway (Enter in the form) does not book.
    click(&root, "form[data-act=book] button[type=submit]");
    assert!(app::held().is_empty());
}

#[wasm_bindgen_test]
fn the_language_switch_rerenders_every_string_and_the_notice() {
    let root = to_consent("");
    let en_notice = text(&root, ".k-notice");
    pick_language(&root, "sv");
    // Only the pack of the language picked is fetched, and only now.
    assert_eq!(app::held(), [Req::Words { lang: Locale::Sv }]);
    assert_eq!(
        text(&root, "h2"),
        "Privacy notice and consent",
        "until it arrives"
    );
    answer_pack();
    assert_eq!(text(&root, "h2"), "Integritetsinformation och samtycke");
    assert_eq!(
        doc()
            .document_element()
            .unwrap()
            .get_attribute("lang")
            .as_deref(),
        Some("sv")
    );
    assert_ne!(text(&root, ".k-notice"), en_notice);
    assert!(text(&root, ".k-summary").contains("Klippning"));
    assert_eq!(focused_id(), "k-lang", "focus stays on the picker");
    assert_eq!(
        text(&root, "label[for=k-consent]"),
        "Jag har läst integritetsinformationen och vill boka den här tiden."
    );
    // Back to English: its pack is kept, so nothing is fetched.
    pick_language(&root, "en");
    assert!(app::held().is_empty());
    assert_eq!(text(&root, ".k-notice"), en_notice);
    // data-lang chooses the first language.
    let root = mount("de");
    assert_eq!(text(&root, "h2"), "Leistung wählen");
    // An unknown data-lang falls back to the browser's language (English here).
    let root = mount("fi");
    assert_eq!(text(&root, "h2"), "Choose a service");
}

#[wasm_bindgen_test]
fn book_seals_a_valid_envelope_and_shows_the_reference_and_code_once() {
    let root = to_consent("");
    tick_consent(&root, true);
    q(&root, "#k-o-reminders")
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
    click(&root, "form[data-act=book] button[type=submit]");
    let held = app::held();
    let [Req::Book { envelope }] = &held[..] else {
        panic!("expected one booking request, got {held:?}");
    };
    assert!(!envelope.contains("Ada"), "plaintext in the envelope");
    let env = Envelope::from_json(envelope.as_bytes()).expect("a valid envelope");
    assert_eq!(env.form, "salon");
    assert_eq!(env.public.service, "cut");
    assert_eq!(env.public.start, "2030-03-04T08:30:00Z");
    assert_eq!(env.public.end, "2030-03-04T09:00:00Z");
    let sealed = env.sealed_bytes().unwrap();
    let file = kuvert_core::age::parse(&sealed).unwrap();
    let x25519 = file.stanzas.iter().filter(|s| s.tag == "X25519").count();
    assert_eq!(x25519, 1, "sealed to the one pinned key");
    assert!(
        book_button(&root).disabled(),
        "no double submit while sending"
    );

    app::respond(Ok((
        201,
        r#"{"reference":"K7QF-9XTM-2B4C","expires":"2030-04-03T09:00:00Z"}"#.into(),
    )));
    assert_eq!(text(&root, "h2"), "Your booking is confirmed");
    assert_eq!(text(&root, "#k-reference"), "K7QF-9XTM-2B4C");
    let code = text(&root, "#k-code");
    assert_eq!(
        CancelCode::parse(&code).unwrap().hash_hex(),
        env.cancel,
        "the code shown is the one whose hash was sent"
    );
    let ics = q(&root, "#k-ics");
    assert!(
        ics.get_attribute("href")
            .unwrap()
            .starts_with("data:text/calendar;charset=utf-8,BEGIN%3AVCALENDAR%0D%0A")
    );
    assert_eq!(
        ics.get_attribute("download").as_deref(),
        Some("booking-K7QF-9XTM-2B4C.ics")
    );
    assert!(
        !exists(&root, "input[name=name]"),
        "no personal data left in the DOM"
    );
    assert!(!root.text_content().unwrap().contains("Ada"));
    press(&root, "Make another booking");
    assert!(
        !root.text_content().unwrap().contains(&code),
        "the code is shown once"
    );
}

#[wasm_bindgen_test]
fn the_ics_file_names_the_appointment_and_nothing_personal() {
    let ics = app::ics_text(
        "K7QF-9XTM-2B4C",
        "2030-03-04T08:30:00Z",
        "2030-03-04T09:00:00Z",
        "Haircut",
        "Salong Sax, AB",
    );
    assert!(ics.contains("DTSTART:20300304T083000Z\r\n"));
    assert!(ics.contains("DTEND:20300304T090000Z\r\n"));
    assert!(ics.contains("SUMMARY:Haircut (Salong Sax\\, AB)\r\n"));
    assert!(ics.contains("UID:K7QF-9XTM-2B4C@kuvert\r\n"));
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"));
    let odd = app::ics_text(
        "R",
        "2030-03-04T08:30:00Z",
        "2030-03-04T09:00:00Z",
        "Cut; wash",
        "A\\B\r\nC",
    );
    assert!(odd.contains("SUMMARY:Cut\\; wash (A\\\\B  C)\r\n"), "{odd}");
}

/// Review finding 10: the reference comes from the inbox and goes into the `.ics`; every
/// TEXT value is escaped (RFC 5545 §3.3.11) and controls cannot break a line or a field.
#[wasm_bindgen_test]
fn ics_values_are_escaped_and_carry_no_control_characters() {
    let ics = app::ics_text(
        "K7QF-9XTM-2B4C\r\nATTENDEE:mailto:x@evil.example",
        "2030-03-04T08:30:00Z",
        "2030-03-04T09:00:00Z",
        "Cut\u{1b}[2J\u{202e}",
        "Salon\u{7},\u{85}",
    );
    let lines: Vec<&str> = ics.split("\r\n").collect();
    assert!(
        !lines.iter().any(|l| l.starts_with("ATTENDEE")),
        "a value broke out of its line: {ics}"
    );
    assert!(ics.contains("SUMMARY:Cut[2J (Salon\\,)\r\n"), "{ics}");
    assert!(
        !ics.chars()
            .any(|c| c.is_control() && c != '\r' && c != '\n'),
        "{ics}"
    );
}

/// Review finding 10: an answer whose reference is not of the inbox's shape is not shown.
#[wasm_bindgen_test]
fn a_reference_of_another_shape_is_not_shown() {
    let root = to_consent("");
    tick_consent(&root, true);
    click(&root, "form[data-act=book] button[type=submit]");
    app::respond(Ok((
        201,
        r#"{"reference":"<img src=x onerror=alert(1)>","expires":"2030-04-03T09:00:00Z"}"#.into(),
    )));
    assert_eq!(text(&root, "h2"), "Your booking is confirmed");
    assert_eq!(text(&root, "#k-reference"), "");
}

/// Review finding 2, "the frame takes its inbox URL from the host page": an `inbox` in the
/// fragment (which the host page writes) is ignored; the frame posts to the inbox its own
/// files name.
#[wasm_bindgen_test]
fn the_fragment_cannot_choose_the_inbox() {
    let p = kuvert_widget::parse_fragment(
        "#inbox=https%3A%2F%2Fevil.example&form=salon&keys=age1x&host=https%3A%2F%2Fsalon.example",
        "https://bookings.example",
    );
    assert_eq!(p.inbox, "https://bookings.example");
    assert_eq!(p.form, "salon");
    assert_eq!(p.host, "https://salon.example");
    let p = kuvert_widget::parse_fragment(
        "#form=salon&host=https%3A%2F%2Fsalon.example%2Fpath",
        "https://bookings.example/",
    );
    assert_eq!(p.inbox, "https://bookings.example");
    assert_eq!(p.host, "", "a host with a path is not an origin");
}

#[wasm_bindgen_test]
fn a_taken_slot_goes_back_to_the_refreshed_list_keeping_the_details() {
    let root = to_consent("");
    tick_consent(&root, true);
    click(&root, "form[data-act=book] button[type=submit]");
    app::respond(Ok((
        409,
        r#"{"error":{"code":"slot_taken","message":"taken"}}"#.into(),
    )));
    assert_eq!(text(&root, "h2"), "Choose a date and time");
    assert!(text(&root, "#k-alert").starts_with("That time was just taken"));
    assert!(
        matches!(&app::held()[..], [Req::Slots { .. }]),
        "the list is fetched again"
    );
    app::respond(Ok((
        200,
        SLOTS.replace(
            r#""remaining":1},
  {"start":"2030-03-04T09:00"#,
            r#""remaining":0},
  {"start":"2030-03-04T09:00"#,
        ),
    )));
    assert_eq!(
        root.query_selector_all("input[name=slot]")
            .unwrap()
            .length(),
        1,
        "the taken time is gone"
    );
    click(&root, "#k-t-0");
    click(&root, "form[data-act=slot] button[type=submit]");
    let name: HtmlInputElement = q(&root, "#k-f-name").dyn_into().unwrap();
    assert_eq!(name.value(), "Ada Lovelace", "nothing typed is lost");
}

#[wasm_bindgen_test]
fn offline_and_server_errors_are_retryable_and_lose_nothing() {
    let root = to_consent("");
    tick_consent(&root, true);
    for (answer, message) in [
        (Err(()), "No connection."),
        (
            Ok((503, String::new())),
            "The booking service is not answering.",
        ),
        (Ok((429, String::new())), "Too many attempts"),
        (Ok((413, String::new())), "This booking is too large"),
    ] {
        click(&root, "form[data-act=book] button[type=submit]");
        assert!(matches!(&app::held()[..], [Req::Book { .. }]));
        app::respond(answer);
        assert_eq!(text(&root, "h2"), "Privacy notice and consent");
        assert!(
            text(&root, "#k-alert").starts_with(message),
            "{}",
            text(&root, "#k-alert")
        );
        assert_eq!(focused_id(), "k-alert");
        assert!(!book_button(&root).disabled(), "Book can be pressed again");
    }
    press(&root, "Back");
    let phone: HtmlInputElement = q(&root, "#k-f-phone").dyn_into().unwrap();
    assert_eq!(phone.value(), "070-123 45 67");
}

/// Issue 20, "booking that survives the network": when the answer is lost (offline, 5xx,
/// 429), the inbox may have stored the booking. The widget keeps the sealed envelope and the
/// code, offers "Try again", and sends the very same envelope, which the inbox answers with the
/// booking it stored (200) rather than a second one. The customer's consent choices are locked
/// meanwhile, since they are sealed in it; going back to change the details starts afresh.
#[wasm_bindgen_test]
fn a_lost_answer_is_retried_with_the_same_envelope_and_the_same_code() {
    let root = to_consent("");
    tick_consent(&root, true);
    click(&root, "form[data-act=book] button[type=submit]");
    let [Req::Book { envelope: first }] = &app::held()[..] else {
        panic!("expected one booking request");
    };
    let first = first.clone();
    for lost in [Err(()), Ok((503, String::new())), Ok((429, String::new()))] {
        app::respond(lost);
        assert_eq!(text(&root, "h2"), "Privacy notice and consent");
        assert_eq!(
            book_button(&root).text_content().as_deref(),
            Some("Try again")
        );
        let consent: HtmlInputElement = q(&root, "#k-consent").dyn_into().unwrap();
        assert!(
            consent.disabled(),
            "the sealed consent cannot change under a retry"
        );
        click(&root, "form[data-act=book] button[type=submit]");
        let [Req::Book { envelope }] = &app::held()[..] else {
            panic!("expected the booking to be sent again");
        };
        assert_eq!(envelope, &first, "the same envelope, byte for byte");
    }
    app::respond(Ok((
        200,
        r#"{"reference":"K7QF-9XTM-2B4C","expires":"2030-04-03T09:00:00Z"}"#.into(),
    )));
    assert_eq!(text(&root, "h2"), "Your booking is confirmed");
    assert_eq!(text(&root, "#k-reference"), "K7QF-9XTM-2B4C");
    let env = Envelope::from_json(first.as_bytes()).unwrap();
    assert_eq!(
        CancelCode::parse(&text(&root, "#k-code"))
            .unwrap()
            .hash_hex(),
        env.cancel,
        "the code shown is the one sealed in the first send"
    );
}

#[wasm_bindgen_test]
fn going_back_after_a_lost_answer_seals_a_new_booking() {
    let root = to_consent("");
    tick_consent(&root, true);
    click(&root, "form[data-act=book] button[type=submit]");
    let [Req::Book { envelope: first }] = &app::held()[..] else {
        panic!("expected one booking request");
    };
    let first = first.clone();
    app::respond(Err(()));
    press(&root, "Back");
    fill(&root, "#k-f-phone", "070-765 43 21");
    click(&root, "form[data-act=details] button[type=submit]");
    assert_eq!(book_button(&root).text_content().as_deref(), Some("Book"));
    tick_consent(&root, true);
    click(&root, "form[data-act=book] button[type=submit]");
    let [Req::Book { envelope }] = &app::held()[..] else {
        panic!("expected a booking request");
    };
    assert_ne!(envelope, &first, "changed details are a new booking");
}

/// Issue 20, part 5: times in the locale's own convention: English "9:30 AM" (not
/// "09:30 AM"), Swedish "09:30", and the summary "…, 9:30 AM–10:00 AM".
#[wasm_bindgen_test]
fn times_are_written_as_the_locale_writes_them() {
    let root = to_slots("en");
    assert_eq!(text(&root, "label[for=k-t-0]"), "9:00 AM");
    assert_eq!(text(&root, "label[for=k-t-1]"), "9:30 AM");
    let root = to_slots("sv");
    assert_eq!(text(&root, "label[for=k-t-1]"), "09:30");
    let root = to_consent("");
    let summary = text(&root, ".k-summary");
    assert!(
        summary.ends_with("Monday, March 4, 9:30 AM–10:00 AM"),
        "{summary}"
    );
}

/// Issue 20, two-party pinning: the frame seals only when the snippet's keys (the fragment) are
/// the keys the inbox's config pins (the form config). On a mismatch it says plainly that the
/// form cannot be used, reports `key_mismatch` to the inbox, and seals nothing.
#[wasm_bindgen_test]
fn the_frame_seals_only_to_keys_the_page_and_the_inbox_agree_on() {
    const OTHER: &str = "age1d6kke0x8jm4dm72r5q3j3r4wsz4r99p0wg8atvq9nrze9l3yaptq9uw8hn";
    for (snippet, config) in [
        (DEMO_PUBLIC.to_owned(), OTHER.to_owned()),
        (OTHER.to_owned(), DEMO_PUBLIC.to_owned()),
        (
            DEMO_PUBLIC.to_owned(),
            format!(r#"{DEMO_PUBLIC}","{OTHER}"#),
        ),
        (DEMO_PUBLIC.to_owned(), "not a key".to_owned()),
    ] {
        let root = mount_with(&snippet, "en");
        let answer = format!(
            r#"{{"schema":{SALON},"time_zone":"Europe/Stockholm","recipients":["{config}"]}}"#
        );
        assert_eq!(app::respond(Ok((200, answer))), Some(Req::Form));
        assert!(
            text(&root, "[role=alert]").starts_with("The booking form could not be loaded"),
            "{snippet} vs {config}: {}",
            root.text_content().unwrap_or_default()
        );
        assert!(!exists(&root, "input[name=service]"), "no form to fill in");
        assert!(
            matches!(&app::held()[..], [Req::Problem]),
            "the mismatch is reported, and nothing else is sent"
        );
    }
    // The same keys in another order, and written in capitals, agree.
    let both = format!("{OTHER},{DEMO_PUBLIC}");
    let root = mount_with(&both, "en");
    let answer = format!(
        r#"{{"schema":{SALON},"time_zone":"Europe/Stockholm","recipients":["{}","{}"]}}"#,
        DEMO_PUBLIC.to_uppercase(),
        OTHER
    );
    app::respond(Ok((200, answer)));
    assert_eq!(text(&root, "h2"), "Choose a service");
}

#[wasm_bindgen_test]
fn missing_or_damaged_keys_stop_the_form_with_a_message_for_the_business() {
    for keys in ["", "age1notakey", "AGE-SECRET-KEY-1QQQQ"] {
        let root = mount_with(keys, "en");
        assert!(
            text(&root, "[role=alert]").contains("kuvert snippet"),
            "{keys}"
        );
        assert!(app::held().is_empty(), "no request without a key");
        assert!(!exists(&root, "form"));
    }
}

#[wasm_bindgen_test]
fn cancelling_checks_the_code_then_asks_the_inbox() {
    let root = mount("en");
    press(&root, "Cancel a booking");
    assert_eq!(text(&root, "h2"), "Cancel a booking");
    fill(&root, "#k-ref", "k7qf-9xtm-2b4c");
    fill(&root, "#k-code-in", "too short");
    click(&root, "form[data-act=cancel] button[type=submit]");
    assert!(text(&root, "#k-alert").starts_with("The code has 16 letters"));
    assert!(app::held().is_empty());
    fill(&root, "#k-code-in", "abcd efgh jkmn pqrs");
    click(&root, "form[data-act=cancel] button[type=submit]");
    let held = app::held();
    assert!(
        matches!(&held[..], [Req::Cancel { reference, body }] if reference == "K7QF-9XTM-2B4C" && body == r#"{"code":"ABCD-EFGH-JKMN-PQRS"}"#),
        "{held:?}"
    );
    app::respond(Ok((404, String::new())));
    assert_eq!(
        text(&root, "#k-alert"),
        "No booking matches this reference and code."
    );
    click(&root, "form[data-act=cancel] button[type=submit]");
    app::respond(Ok((204, String::new())));
    assert_eq!(
        text(&root, "[role=status]"),
        "Your booking is cancelled and your details are erased."
    );
}

#[wasm_bindgen_test]
fn a_language_pack_that_does_not_arrive_is_said_and_can_be_fetched_again() {
    let root = mount_bare(DEMO_PUBLIC, "en");
    assert_eq!(
        app::held(),
        [Req::Words { lang: Locale::En }, Req::Form],
        "the pack and the form are asked for together"
    );
    assert_eq!(
        root.text_content().as_deref(),
        Some(""),
        "nothing drawn yet"
    );
    app::respond(Err(()));
    assert_eq!(text(&root, "[role=alert]"), NO_PACK);
    assert_eq!(
        q(&root, "main").get_attribute("lang").as_deref(),
        Some("en")
    );
    // The form config arriving meanwhile changes nothing while there are no words.
    let config = format!(
        r#"{{"schema":{SALON},"time_zone":"Europe/Stockholm","recipients":["{DEMO_PUBLIC}"]}}"#
    );
    assert_eq!(app::respond(Ok((200, config))), Some(Req::Form));
    assert_eq!(text(&root, "[role=alert]"), NO_PACK);
    // A pack of another language (or version, or cut short) is refused like a failure.
    press(&root, "Try again");
    assert_eq!(app::held(), [Req::Words { lang: Locale::En }]);
    app::respond(Ok((200, pack(Locale::De))));
    assert_eq!(text(&root, "[role=alert]"), NO_PACK);
    press(&root, "Try again");
    answer_pack();
    assert_eq!(text(&root, "h2"), "Choose a service");

    // A switch whose pack does not arrive keeps the language, and says so.
    pick_language(&root, "nl");
    assert_eq!(app::held(), [Req::Words { lang: Locale::Nl }]);
    app::respond(Ok((404, String::new())));
    assert_eq!(text(&root, "h2"), "Choose a service");
    assert!(text(&root, "#k-lang-error").starts_with("No connection."));
    let lang: HtmlSelectElement = q(&root, "#k-lang").dyn_into().unwrap();
    assert_eq!(lang.value(), "en");
    assert_eq!(focused_id(), "k-lang");
    // Picking it again fetches it again; when it comes, the message goes.
    pick_language(&root, "nl");
    answer_pack();
    assert_eq!(text(&root, "h2"), "Kies een dienst");
    assert!(!exists(&root, "#k-lang-error"));
}

#[wasm_bindgen_test]
fn json_parse_reads_what_the_inbox_sends_and_refuses_the_rest() {
    use kuvert_widget::json::{Error, Value, parse};
    // Every escape, and characters beyond the BMP written both ways, as serde_json reads them.
    let text = r#"{"a":"plain","b":"q\" b\\ s\/ \b\f\n\r\t","c":"\u00e4\ud83d\ude00x","d":"ä😀"}"#;
    let ours = parse(text).unwrap();
    let theirs: std::collections::BTreeMap<String, String> = serde_json::from_str(text).unwrap();
    for (k, v) in &theirs {
        assert_eq!(ours.get(k).and_then(Value::str), Some(v.as_str()), "{k}");
    }
    assert_eq!(ours.get("c").and_then(Value::str), Some("ä😀x"));

    let v = parse(r#" { "n" : 42, "m": -7, "o": null, "v": [[1,2],[]], "b": true } "#).unwrap();
    assert_eq!(v.get("n").and_then(Value::u32), Some(42));
    assert_eq!(v.get("m"), Some(&Value::Int(-7)));
    assert_eq!(v.get("o"), Some(&Value::Null));
    assert_eq!(v.get("b").and_then(Value::bool), Some(true));
    let outer = v.get("v").and_then(Value::items).unwrap();
    assert_eq!(outer[0].items().unwrap(), [Value::UInt(1), Value::UInt(2)]);
    assert!(outer[1].items().unwrap().is_empty());
    assert_eq!(v.get("missing"), None);
    // A key given twice: the last, as `JSON.parse` reads it.
    assert_eq!(
        parse(r#"{"k":1,"k":2}"#).unwrap().get("k"),
        Some(&Value::UInt(2))
    );

    for bad in [
        "",
        "{",
        r#"{"n": 1.5}"#,
        r#"{"n": 99999999999999999999999}"#,
        r#"{"n": 1,}"#,
        "[1,]",
        r#"{"n": 1} x"#,
        "{\"s\": \"a\u{1}\"}",
        r#"{"s": "\x"}"#,
        r#"{n: 1}"#,
        r#"{"n" 1}"#,
        "nul",
        "<html>",
    ] {
        assert_eq!(parse(bad), Err(Error), "{bad:?}");
    }
    let deep = "[".repeat(100) + &"]".repeat(100);
    assert_eq!(parse(&deep), Err(Error), "nesting is capped");
    let fine = "[".repeat(10) + &"]".repeat(10);
    assert!(parse(&fine).is_ok());
}
