//! The runtime the standard library would otherwise bring, for the shipped (`no_std`) build:
//! a panic handler and the global allocator.
//!
//! Why `no_std`: std's panic machinery formats panic messages (with file paths and Unicode tables);
//! the no_std build, with this allocator and a shorter glue, took the frame from 92.1 to 79.0 KB
//! brotli (commit c1bcc72). Here a panic logs one generic line and traps. The tests build with the
//! `std` feature, where std provides both.
//!
//! The allocator is talc (its Wasm allocator: 1.7 KB brotli smaller than dlmalloc, commit 15acb64;
//! dlmalloc is the one std uses on wasm32) behind a wrapper that wipes every block before it is
//! freed, so no freed heap memory keeps what the customer typed: strings that grew and moved, the
//! booking JSON as serde_json grows it, bodies of requests. Written by hand because no maintained
//! crate wraps an allocator this way; it is the only `unsafe` in the widget.

#![allow(unsafe_code)]

use core::alloc::{GlobalAlloc, Layout};

use wasm_bindgen::JsValue;

/// talc, with every block wiped on `dealloc`.
struct Wiping;

// SAFETY: every method forwards to `INNER` with the caller's pointer and layout; the
// only addition is writing zeros over a block the caller owns and is about to free.
unsafe impl GlobalAlloc for Wiping {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { INNER.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as above.
        unsafe { INNER.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` is a live block of `layout.size()` bytes that the caller gives up, so
        // nothing else reads or writes it while it is wiped. zeroize's volatile writes are not
        // removed as dead stores.
        unsafe {
            zeroize::Zeroize::zeroize(core::slice::from_raw_parts_mut(ptr, layout.size()));
            INNER.dealloc(ptr, layout);
        }
    }

    // `realloc` is GlobalAlloc's default: allocate, copy, then `dealloc` (and so wipe) the old
    // block. An allocator's in-place shrinking would leave the tail of the block unwiped.
}

/// talc's allocator for Wasm, growing linear memory as needed. Single-threaded (a build with
/// atomics is refused in `app`).
static INNER: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[global_allocator]
static ALLOC: Wiping = Wiping;

/// A panic (a bug) logs a generic line, never the message (it could carry state), and traps.
/// The frame then stays as it was; the customer reloads.
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    web_sys::console::error_1(&JsValue::from_str(crate::INTERNAL_ERROR));
    core::arch::wasm32::unreachable()
}
