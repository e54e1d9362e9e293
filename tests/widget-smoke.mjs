// Smoke test of the optimised widget build under Node: load www/pkg/ exactly as built (after
// wasm-opt), seal the example booking to the demo key, and print the envelope on stdout so
// `cargo xtask test` can open it natively with the core's `open` example.
import { readFileSync } from "node:fs";
import { initSync, seal } from "../www/pkg/kuvert_widget.js";

const root = new URL("../", import.meta.url);
initSync({ module: readFileSync(new URL("www/pkg/kuvert_widget_bg.wasm", root)) });
const key = readFileSync(new URL("crates/kuvert-core/examples/demo-key.txt", root), "utf8");
const recipient = key.match(/^# public key: (age1\S+)$/m)[1];
const booking = JSON.parse(readFileSync(new URL("crates/kuvert-core/examples/booking.json", root), "utf8"));
booking.kuvert = 1;

const out = JSON.parse(seal(JSON.stringify(booking), recipient));
if (!/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/.test(out.cancel_code)) throw new Error("bad cancellation code shape");
let refused = false;
try { seal(JSON.stringify(booking), "age1notakey"); } catch (e) { refused = /age1|checksum/.test(String(e)); }
if (!refused) throw new Error("a malformed key was not refused with a clear message");
process.stdout.write(JSON.stringify(out.envelope) + "\n");
