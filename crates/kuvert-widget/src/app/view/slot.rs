//! Step 2: choose a day and a time.

use super::*;

impl App {
    pub(super) fn render_slot(&self) -> H {
        let mut form = H::new("form")
            .a("data-act", Act::Slot.name())
            .a("novalidate", "")
            .c(heading(self.t(S::StepSlot)))
            .c(tx(
                "p",
                &self.service_name(self.service.as_deref().unwrap_or_default()),
            )
            .a("class", "k-muted"))
            .c_opt(self.alert_box());
        let tz = self
            .form
            .as_ref()
            .map(|f| f.time_zone.clone())
            .unwrap_or_default();
        let capacity = self
            .schema()
            .and_then(|s| s.service(self.service.as_deref().unwrap_or_default()))
            .map_or(1, |s| s.capacity);
        match &self.slots {
            None if self.alert.is_some() && self.alert != Some(S::ErrTaken) => {
                form = form.c(button(Act::RetrySlots, self.t(S::TryAgain)));
            }
            None => {
                form = form.c(tx("p", self.t(S::Loading)).a("role", "status"));
            }
            Some(slots) if slots.is_empty() => {
                form = form.c(tx("p", self.t(S::NoSlots)).a("role", "status"));
            }
            Some(slots) => {
                let days = days_of(slots, &tz);
                let mut select = H::new("select")
                    .a("id", "k-day")
                    .a("data-act", Act::Day.name());
                for day in &days {
                    let label = format_time(
                        &kuvert_core::cat(&[day.as_str(), "T12:00:00Z"]),
                        self.locale,
                        "UTC",
                        &[("weekday", "long"), ("day", "numeric"), ("month", "long")],
                    );
                    select = select.c(H::new("option")
                        .a("value", day)
                        .a_if(self.day.as_ref() == Some(day), "selected", "")
                        .t(&label));
                }
                let mut times = H::new("fieldset")
                    .a("class", "k-times")
                    .c(tx("legend", self.t(S::Time)));
                let day = self.day.clone().unwrap_or_default();
                for (i, s) in slots
                    .iter()
                    .filter(|s| local_date(&s.start, &tz) == day)
                    .enumerate()
                {
                    let n = kuvert_core::decimal(i as u64);
                    let id = kuvert_core::cat(&["k-t-", &n]);
                    let mut label = clock(&s.start, self.locale, &tz);
                    if capacity > 1 {
                        label.push_str(" · ");
                        label.push_str(&self.tn(S::Places, s.remaining));
                    }
                    times = times.c(H::new("div")
                        .a("class", "k-choice")
                        .c(H::new("input")
                            .a("type", "radio")
                            .a("name", "slot")
                            .a("id", &id)
                            .a("value", &n)
                            .a_if(self.slot == Some(i), "checked", ""))
                        .c(tx("label", &label).a("for", &id)));
                }
                form = form
                    .c(H::new("div")
                        .a("class", "k-field")
                        .c(tx("label", self.t(S::Date)).a("for", "k-day"))
                        .c(select))
                    .c(times);
            }
        }
        form.c(actions(
            self.t(S::Back),
            tx("button", self.t(S::Continue)).a("type", "submit"),
        ))
    }
}
