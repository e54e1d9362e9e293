//! Fuzzes kuvert-age's key-less parser, the one the inbox runs on every upload: it must never
//! panic, `parse` must accept only what `parse_header` accepts, and whatever it accepts must
//! re-serialise to the header bytes it claims to have read (the MAC input).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let header = kuvert_age::parse_header(data);
    if let Ok(parsed) = kuvert_age::parse(data) {
        let stanzas = header.expect("parse accepted what parse_header refused");
        assert_eq!(stanzas, parsed.stanzas);
        assert!(data.starts_with(parsed.mac_input));
        assert!(parsed.mac_input.ends_with(b"---"));
        assert!(parsed.payload.len() >= kuvert_age::TAG_SIZE);
    }
});
