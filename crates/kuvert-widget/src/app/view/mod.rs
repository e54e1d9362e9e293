//! What the frame draws, step by step: [`App::render`] picks the step's view (one module per
//! step) and puts the tree in the root; the parts every step shares are here.

mod consent;
mod details;
mod done;
mod service;
mod slot;

use super::*;

impl App {
    pub(super) fn service_name(&self, id: &str) -> String {
        self.schema()
            .and_then(|s| s.service(id))
            .map(|s| s.name.get(self.locale).to_owned())
            .unwrap_or_default()
    }

    /// Draws the current step. With `move_focus`, focus goes to the step's heading, so screen
    /// readers announce where the customer now is.
    pub(super) fn render(&mut self, move_focus: bool) {
        if self.pack().is_none() {
            self.render_without_pack();
            return;
        }
        let d = crate::dom::doc();
        if let Some(html) = d.document_element() {
            let _ = html.set_attribute("lang", self.locale.code());
        }
        d.set_title(self.t(S::Title));
        let header = H::new("header")
            .c(tx("h1", self.t(S::Title)))
            .c(self.language_picker());
        let main = match self.step.clone() {
            Step::Loading => H::new("section").c(tx("p", self.t(S::Loading))
                .a("role", "status")
                .a("class", "k-status")),
            Step::Broken(why) => H::new("section")
                .c(tx("p", self.t(why))
                    .a("role", "alert")
                    .a("class", "k-alert"))
                .c_opt((why == S::ErrLoad).then(|| button(Act::RetryForm, self.t(S::TryAgain)))),
            Step::Service => self.render_service(),
            Step::Slot => self.render_slot(),
            Step::Details => self.render_details(),
            Step::Consent => self.render_consent(),
            Step::Done => self.render_done(),
            Step::Manage => self.render_manage(),
            Step::Cancelled => H::new("section")
                .c(heading(self.t(S::StepManage)))
                .c(tx("p", self.t(S::Cancelled)).a("role", "status"))
                .c(button(Act::Restart, self.t(S::NewBooking))),
        };
        // A re-render in place keeps focus where it was (same id, or the heading).
        let keep = if move_focus {
            None
        } else {
            crate::dom::doc().active_element().and_then(|e| {
                if !self.root.contains(Some(&e)) {
                    None
                } else if !e.id().is_empty() {
                    Some(kuvert_core::cat(&["#", &e.id()]))
                } else if e.tag_name() == "H2" {
                    Some("h2".to_owned())
                } else {
                    None
                }
            })
        };
        self.root.set_text_content(None);
        let _ = self.root.append_child(&header.0);
        let _ = self.root.append_child(&H::new("main").c(main).0);
        match keep {
            _ if move_focus => focus(&self.root, "h2"),
            Some(selector) => focus(&self.root, &selector),
            None => {}
        }
    }

    /// Before the first pack: the frame page's "…" while it loads; if it cannot be loaded, the
    /// one message the Wasm carries, with a way to try again.
    fn render_without_pack(&self) {
        if !self.no_pack {
            return;
        }
        self.root.set_text_content(None);
        let _ = self.root.append_child(
            &H::new("main")
                .a("lang", "en")
                .c(tx("p", NO_PACK).a("role", "alert").a("class", "k-alert"))
                .c(button(Act::RetryWords, "Try again"))
                .0,
        );
    }

    fn language_picker(&self) -> H {
        let mut select = H::new("select")
            .a("id", "k-lang")
            .a("data-act", Act::Lang.name());
        for (l, name) in [
            (Locale::En, "English"),
            (Locale::Nl, "Nederlands"),
            (Locale::Sv, "Svenska"),
            (Locale::De, "Deutsch"),
        ] {
            select = select.c(H::new("option")
                .a("value", l.code())
                .a("lang", l.code())
                .a_if(l == self.locale, "selected", "")
                .t(name));
        }
        H::new("div")
            .a("class", "k-lang")
            .c(tx("label", self.t(S::Language)).a("for", "k-lang"))
            .c(select)
            .c_opt(self.switch_failed.then(|| {
                tx("p", self.t(S::ErrOffline))
                    .a("id", "k-lang-error")
                    .a("role", "alert")
                    .a("class", "k-alert")
            }))
    }

    pub(super) fn alert_box(&self) -> Option<H> {
        self.alert.map(|s| {
            let role = if s == S::Sending { "status" } else { "alert" };
            tx("p", self.t(s))
                .a("id", "k-alert")
                .a("role", role)
                .a("tabindex", "-1")
                .a(
                    "class",
                    if role == "alert" {
                        "k-alert"
                    } else {
                        "k-status"
                    },
                )
        })
    }

    pub(super) fn when(&self, start: &str, end: &str) -> String {
        let tz = self
            .form
            .as_ref()
            .map(|f| f.time_zone.as_str())
            .unwrap_or("UTC");
        let day = format_time(
            start,
            self.locale,
            tz,
            &[("weekday", "long"), ("day", "numeric"), ("month", "long")],
        );
        kuvert_core::cat(&[
            &day,
            ", ",
            &clock(start, self.locale, tz),
            "–",
            &clock(end, self.locale, tz),
        ])
    }
}

/// A `<button type="button">` for `act`.
pub(super) fn button(act: Act, label: &str) -> H {
    crate::dom::button(act.name(), label)
}

pub(super) fn heading(text: &str) -> H {
    tx("h2", text).a("tabindex", "-1")
}

pub(super) fn actions(back: &str, primary: H) -> H {
    H::new("div")
        .a("class", "k-actions")
        .c(button(Act::Back, back).a("class", "k-secondary"))
        .c(primary)
}
