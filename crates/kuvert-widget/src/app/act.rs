//! What the customer can do ([`Act`]): the `data-act` values of the frame's buttons, forms and
//! fields, as one enum, so the view and the flow cannot disagree on a name.

macro_rules! acts {
    ($($(#[$doc:meta])* $act:ident = $name:literal,)*) => {
        /// What the customer can do: the `data-act` of a button, form or field. The view writes
        /// [`Act::name`]; an event from an element whose `data-act` is not one of these is
        /// ignored ([`Act::parse`]).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Act {
            $($(#[$doc])* $act,)*
        }

        impl Act {
            /// The `data-act` value.
            pub fn name(self) -> &'static str {
                match self {
                    $(Act::$act => $name,)*
                }
            }

            /// The act a `data-act` value names, if any.
            pub fn parse(name: &str) -> Option<Act> {
                match name {
                    $($name => Some(Act::$act),)*
                    _ => None,
                }
            }
        }
    };
}

acts! {
    /// The language picker changed.
    Lang = "lang",
    /// Load the first language pack again.
    RetryWords = "retry-words",
    /// Load the form again.
    RetryForm = "retry-form",
    /// Continue with the service chosen.
    Service = "service",
    /// The day picker changed.
    Day = "day",
    /// Load the slots again.
    RetrySlots = "retry-slots",
    /// Continue with the time chosen.
    Slot = "slot",
    /// Continue with the details typed.
    Details = "details",
    /// Keep the note the warning was about.
    KeepNote = "keep-note",
    /// Go back to the note.
    EditNote = "edit-note",
    /// A consent box changed (the required one or an optional purpose).
    Consent = "consent",
    /// Book (or try again with the same envelope).
    Book = "book",
    /// Back one step.
    Back = "back",
    /// Open "Cancel a booking".
    Manage = "manage",
    /// Cancel the booking whose reference and code are typed.
    Cancel = "cancel",
    /// Copy the cancellation code.
    Copy = "copy",
    /// Start a new booking.
    Restart = "restart",
}
