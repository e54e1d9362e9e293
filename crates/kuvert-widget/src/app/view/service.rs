//! Step 1: choose a service.

use super::*;

impl App {
    pub(super) fn render_service(&self) -> H {
        let Some(schema) = self.schema() else {
            return H::new("section");
        };
        let mut set = H::new("fieldset").c(tx("legend", self.t(S::Service)));
        for s in &schema.services {
            let id = kuvert_core::cat(&["k-s-", &s.id]);
            set =
                set.c(H::new("div")
                    .a("class", "k-choice")
                    .c(H::new("input")
                        .a("type", "radio")
                        .a("name", "service")
                        .a("id", &id)
                        .a("value", &s.id)
                        .a_if(self.service.as_deref() == Some(&s.id), "checked", ""))
                    .c(H::new("label")
                        .a("for", &id)
                        .t(s.name.get(self.locale))
                        .c(tx("span", &self.tn(S::Minutes, s.duration_minutes))
                            .a("class", "k-muted"))));
        }
        H::new("form")
            .a("data-act", Act::Service.name())
            .a("novalidate", "")
            .c(heading(self.t(S::StepService)))
            .c(set)
            .c_opt(self.alert_box())
            .c(H::new("div")
                .a("class", "k-actions")
                .c(tx("button", self.t(S::Continue)).a("type", "submit")))
            .c(H::new("p")
                .a("class", "k-manage")
                .c(button(Act::Manage, self.t(S::Manage)).a("class", "k-link")))
    }
}
