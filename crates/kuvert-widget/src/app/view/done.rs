//! The confirmation (reference, `.ics`, the code shown once), and cancelling a booking.

use super::*;

impl App {
    pub(super) fn render_done(&self) -> H {
        let Some(d) = self.done.as_ref() else {
            return H::new("section");
        };
        H::new("section")
            .c(heading(self.t(S::StepDone)))
            .c(H::new("dl")
                .a("class", "k-summary")
                .c(tx("dt", self.t(S::Reference)))
                .c(tx("dd", &d.reference).a("id", "k-reference"))
                .c(tx("dt", self.t(S::Service)))
                .c(tx("dd", &self.service_name(&d.service)))
                .c(tx("dt", self.t(S::When)))
                .c(tx("dd", &self.when(&d.start, &d.end))))
            .c(H::new("p").c(tx("a", self.t(S::Ics))
                .a("href", &d.ics_url)
                .a("id", "k-ics")
                .a(
                    "download",
                    &kuvert_core::cat(&["booking-", &d.reference, ".ics"]),
                )))
            .c(tx("h3", self.t(S::CodeLabel)))
            .c(H::new("p")
                .a("class", "k-code")
                .c(tx("code", &d.code).a("id", "k-code"))
                .c(button(Act::Copy, self.t(S::Copy))))
            .c(tx("p", self.t(S::CodeHelp)).a("class", "k-muted"))
            .c(H::new("p").a("id", "k-copy-status").a("role", "status"))
            .c(button(Act::Restart, self.t(S::NewBooking)))
    }

    pub(super) fn render_manage(&self) -> H {
        H::new("form")
            .a("data-act", Act::Cancel.name())
            .a("novalidate", "")
            .c(heading(self.t(S::StepManage)))
            .c_opt(self.alert_box())
            .c(code_field(
                self.t(S::Reference),
                "k-ref",
                "32",
                &self.cancel_ref,
            ))
            .c(code_field(
                self.t(S::CodeLabel),
                "k-code-in",
                "40",
                &self.cancel_code,
            ))
            .c(actions(
                self.t(S::Back),
                tx("button", self.t(S::CancelBooking)).a("type", "submit"),
            ))
    }
}

/// A labelled field for a code the customer copies in (the reference, the cancellation code):
/// no autocomplete or spelling help, capitals by default.
fn code_field(label: &str, id: &str, max: &str, value: &str) -> H {
    H::new("div")
        .a("class", "k-field")
        .c(tx("label", label).a("for", id))
        .c(H::new("input")
            .a("id", id)
            .a("autocomplete", "off")
            .a("autocapitalize", "characters")
            .a("spellcheck", "false")
            .a("maxlength", max)
            .a("value", value))
}
