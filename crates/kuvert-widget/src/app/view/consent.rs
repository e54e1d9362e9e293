//! Step 4: the privacy notice, the required consent and the optional purposes.

use super::*;

impl App {
    pub(super) fn render_consent(&self) -> H {
        let (Some(schema), Some(notice)) = (self.schema(), self.notice()) else {
            return H::new("section");
        };
        let when = self
            .chosen_slot()
            .map(|s| self.when(&s.start, &s.end))
            .unwrap_or_default();
        let summary = H::new("dl")
            .a("class", "k-summary")
            .c(tx("dt", self.t(S::Service)))
            .c(tx(
                "dd",
                &self.service_name(self.service.as_deref().unwrap_or_default()),
            ))
            .c(tx("dt", self.t(S::When)))
            .c(tx("dd", &when));
        let mut text = H::new("section")
            .a("class", "k-notice")
            .a("aria-labelledby", "k-notice-title")
            .c(tx("h3", &notice.title).a("id", "k-notice-title"));
        for s in &notice.sections {
            text = text.c(tx("h4", &s.heading));
            for p in &s.paragraphs {
                text = text.c(tx("p", p));
            }
            if !s.items.is_empty() {
                text = text.c(H::new("ul").cs(s.items.iter().map(|i| tx("li", i))));
            }
        }
        let required = H::new("div")
            .a("class", "k-choice k-consent")
            .c(H::new("input")
                .a("type", "checkbox")
                .a("id", "k-consent")
                .a("data-act", Act::Consent.name())
                .a("aria-required", "true")
                .a_if(self.consent, "checked", "")
                .a_if(self.pending.is_some(), "disabled", ""))
            .c(tx("label", self.t(S::ConsentRequired)).a("for", "k-consent"));
        let optional = (!schema.optional_purposes.is_empty()).then(|| {
            let mut set = H::new("fieldset").c(tx("legend", self.t(S::OptionalLegend)));
            for o in &schema.optional_purposes {
                let id = kuvert_core::cat(&["k-o-", &o.id]);
                set = set.c(H::new("div")
                    .a("class", "k-choice")
                    .c(H::new("input")
                        .a("type", "checkbox")
                        .a("name", "purpose")
                        .a("id", &id)
                        .a("value", &o.id)
                        .a("data-act", Act::Consent.name())
                        .a_if(self.ticked.contains(&o.id), "checked", "")
                        .a_if(self.pending.is_some(), "disabled", ""))
                    .c(tx("label", o.description.get(self.locale)).a("for", &id)));
            }
            set
        });
        let label = if self.pending.is_some() && !self.busy {
            S::TryAgain
        } else {
            S::Book
        };
        let book = tx("button", self.t(label))
            .a("type", "submit")
            .a("id", "k-book")
            .a_if(!self.consent || self.busy, "disabled", "");
        H::new("form")
            .a("data-act", Act::Book.name())
            .a("novalidate", "")
            .c(heading(self.t(S::StepNotice)))
            .c(summary)
            .c(text)
            .c(required)
            .c_opt(optional)
            .c_opt(self.alert_box())
            .c(actions(self.t(S::Back), book))
    }
}
