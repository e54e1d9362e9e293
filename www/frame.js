// Starts the booking form (Rust compiled to Wasm). The form itself lives in crates/kuvert-widget.
import init from './pkg/kuvert_widget.js';

init().catch(() => {
  const root = document.getElementById('kuvert');
  if (root) root.textContent = 'The booking form could not be loaded. Please try again later.';
});
