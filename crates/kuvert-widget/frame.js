// Starts the booking form (Rust compiled to Wasm; the form itself is this crate). Not served as
// it is: `cargo xtask build-widget` bundles it with the wasm-bindgen glue (`./kuvert_widget.js`,
// beside it in `www/pkg/`) into `www/pkg/frame.js`, which `www/frame.html` loads. Compiling here
// and calling `initSync` lets the bundler drop the glue's own loader. `callback` is the one
// function every listener and promise of the widget calls back into (see the crate's `lib.rs`).
import { callback, initSync, start } from './kuvert_widget.js';

// Relative to frame.html, which preloads it (`<link rel=preload as=fetch crossorigin>`): the
// Wasm downloads beside this script rather than after it, and this fetch takes that download.
// So the form is usable after three round trips: frame.html; this script, the style and the
// Wasm; then the language pack and the form config (BENCHMARKS.md, section 2).
const wasm = 'pkg/kuvert_widget_bg.wasm';
WebAssembly.compileStreaming(fetch(wasm))
  // A server that sends the file without `Content-Type: application/wasm`: compile the bytes.
  .catch(() => fetch(wasm).then((r) => r.arrayBuffer()).then((b) => WebAssembly.compile(b)))
  .then((module) => {
    initSync({ module });
    // The inbox this copy of the frame posts to: fixed when it was built (KUVERT_INBOX, for
    // www/ served from another origin), else this frame's own origin. Never from the page
    // that embeds it.
    start(callback, KUVERT_INBOX || location.origin);
  })
  .catch(() => {
    const root = document.getElementById('kuvert');
    if (root) root.textContent = 'The booking form could not be loaded. Please try again later.';
  });
