//! Step 3: the details the form asks for, with their purposes and errors.

use super::*;

impl App {
    pub(super) fn render_details(&self) -> H {
        let Some(schema) = self.schema() else {
            return H::new("section");
        };
        let mut form = H::new("form")
            .a("data-act", Act::Details.name())
            .a("novalidate", "")
            .c(heading(self.t(S::StepDetails)));
        if !self.field_errors.is_empty() {
            form = form.c(tx("p", self.t(S::ErrorsSummary))
                .a("role", "alert")
                .a("class", "k-alert"));
        }
        for f in &schema.fields {
            let key = f.kind.key();
            let id = kuvert_core::cat(&["k-f-", key]);
            let purpose_id = kuvert_core::cat(&["k-p-", key]);
            let error_id = kuvert_core::cat(&["k-e-", key]);
            let problem = self
                .field_errors
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, p)| *p);
            let described = if problem.is_some() {
                kuvert_core::cat(&[purpose_id.as_str(), " ", &error_id])
            } else {
                purpose_id.clone()
            };
            let value = self.values.get(key).cloned().unwrap_or_default();
            let input = if f.kind == FieldKind::Note {
                H::new("textarea").a("rows", "3").t(&value)
            } else {
                let (ty, auto) = match f.kind {
                    FieldKind::Name => ("text", "name"),
                    FieldKind::Email => ("email", "email"),
                    FieldKind::Phone => ("tel", "tel"),
                    FieldKind::PartySize => ("number", "off"),
                    FieldKind::DateOfBirth => ("date", "bday"),
                    FieldKind::PostalCode => ("text", "postal-code"),
                    FieldKind::Note => ("text", "off"),
                };
                H::new("input")
                    .a("type", ty)
                    .a("autocomplete", auto)
                    .a("value", &value)
                    .a_if(f.kind == FieldKind::PartySize, "min", "1")
                    .a_if(f.kind == FieldKind::PartySize, "max", "99")
            };
            let input = input
                .a("id", &id)
                .a("name", key)
                .a("maxlength", &kuvert_core::decimal(f.max_length().into()))
                .a("aria-describedby", &described)
                .a_if(f.required, "aria-required", "true")
                .a_if(problem.is_some(), "aria-invalid", "true");
            let need = if f.required { S::Required } else { S::Optional };
            form = form.c(H::new("div")
                .a("class", "k-field")
                .c(H::new("label")
                    .a("for", &id)
                    .t(self.pack().map_or("", |p| p.wording().field_label(f.kind)))
                    .c(tx("span", &kuvert_core::cat(&[" (", self.t(need), ")"]))
                        .a("class", "k-muted")))
                .c(tx("p", f.purpose.get(self.locale))
                    .a("id", &purpose_id)
                    .a("class", "k-purpose"))
                .c(input)
                .c_opt(problem.map(|p| {
                    tx("p", &self.problem_text(p))
                        .a("id", &error_id)
                        .a("class", "k-error")
                })));
        }
        if self.sensitive_warning {
            form = form.c(H::new("div")
                .a("class", "k-warning")
                .a("id", "k-warning")
                .a("tabindex", "-1")
                .c(tx("p", self.t(S::WarnSensitive)).a("role", "alert"))
                .c(H::new("div")
                    .a("class", "k-actions")
                    .c(button(Act::EditNote, self.t(S::EditNote)))
                    .c(button(Act::KeepNote, self.t(S::KeepNote)))));
        }
        form.c(actions(
            self.t(S::Back),
            tx("button", self.t(S::Continue)).a("type", "submit"),
        ))
    }

    fn problem_text(&self, p: FieldProblem) -> String {
        match p {
            FieldProblem::Required => self.t(S::ErrRequired).to_owned(),
            FieldProblem::TooLong { max } => self.tn(S::ErrTooLong, max),
            FieldProblem::InvalidEmail => self.t(S::ErrEmail).to_owned(),
            FieldProblem::InvalidPhone => self.t(S::ErrPhone).to_owned(),
            FieldProblem::InvalidNumber { max, .. } => self.tn(S::ErrNumber, max),
            FieldProblem::InvalidDate => self.t(S::ErrDate).to_owned(),
            FieldProblem::ControlCharacters => self.t(S::ErrControl).to_owned(),
            _ => self.t(S::ErrUnknown).to_owned(),
        }
    }
}
