//! Kuvert's booking widget, compiled to WebAssembly.
//!
//! Work in progress (issue 3): this is the sealing entry point the form will call. It takes
//! the booking the form collected and the public keys pinned in the snippet, and returns the
//! envelope to post plus the customer's cancellation code. No private key ever reaches here.

use kuvert_core::{Booking, CancelCode, Recipient, seal_with_os_rng};
use wasm_bindgen::prelude::*;

/// Installs a panic hook that reports a generic line only: panic messages could otherwise
/// carry state into the console, and the console must never show anything personal.
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|_| {
        web_sys::console::error_1(&JsValue::from_str(
            "Kuvert: internal error; please reload the page",
        ));
    }));
}

/// Seals `booking_json` (the sealed plaintext: `{"kuvert":1,"form","public","fields","consent"}`)
/// to the comma-separated `age1…` `recipients`.
///
/// Returns `{"envelope": {…}, "cancel_code": "ABCD-EFGH-JKMN-PQRS"}` as JSON. Errors are
/// messages for the business (bad keys) or generic (bad booking), never echoing the input.
#[wasm_bindgen]
pub fn seal(booking_json: &str, recipients: &str) -> Result<String, JsError> {
    let recipients = Recipient::parse_list(recipients).map_err(|e| JsError::new(&e.to_string()))?;
    let booking: Booking = serde_json::from_str(booking_json)
        .map_err(|_| JsError::new("the booking is incomplete"))?;
    let code =
        CancelCode::generate(&mut getrandom::SysRng).map_err(|e| JsError::new(&e.to_string()))?;
    let envelope =
        seal_with_os_rng(&recipients, &booking, &code).map_err(|e| JsError::new(&e.to_string()))?;
    // A typed struct, not `serde_json::json!`: building a `Value` links float formatting
    // (about 15 KB of Wasm) although nothing here is a number.
    #[derive(serde::Serialize)]
    struct Sealed<'a> {
        envelope: &'a kuvert_core::Envelope,
        cancel_code: String,
    }
    serde_json::to_string(&Sealed {
        envelope: &envelope,
        cancel_code: code.display_grouped(),
    })
    .map_err(|_| JsError::new("internal error"))
}
