//! Replaces code that sits in the widget's function table but can never run with
//! `unreachable`, after proving that nothing the widget runs can call it.
//!
//! A Wasm function table is opaque to dead-code elimination: neither LLVM nor wasm-opt can tell
//! which `call_indirect` reaches which entry, so every function a vtable points at ships. Two
//! families of such entries are dead in the widget, and this step removes them:
//!
//! * **Formatting.** The widget's panic handler (kuvert-widget's `rt.rs`) logs a fixed line and
//!   traps; it never formats the panic's message, and no other code of the widget formats text
//!   (ARCHITECTURE: "no `core::fmt` on the widget's paths"). But every bounds check and `assert!`
//!   in the dependencies builds a `fmt::Arguments` whose vtables point at `Display` and `Debug`
//!   impls, so `core::fmt`'s padding, integer printing and `fmt::write` would ship although nothing
//!   can run them. Nightly's `-Zbuild-std` with `panic=immediate-abort` removes them at the source;
//!   this project builds on stable.
//! * **js-sys's JSPI tasks.** js-sys exports `__wbg_jspi_task_poll` for JS Promise
//!   Integration; wasm-bindgen deletes that export when nothing uses JSPI, but the task
//!   waker's vtable stays in the table (commit bed9211 pruned it, with a Bech32 change: frame
//!   53,419 -> 53,119 B brotli).
//!
//! How, and why it is safe:
//! 1. The roots are what the outside or the table can reach: exports, the start function,
//!    globals and every table entry, except the family roots: table entries that are impls of a
//!    `core::fmt` trait (`<u32 as core::fmt::Display>::fmt`,
//!    `<PadAdapter as core::fmt::Write>::write_str`, …) or the JSPI task waker's functions.
//! 2. *Live* is everything reachable by direct calls and `ref.func` from the roots.
//! 3. The guard: no live function may be part of `core::fmt` or an impl of one of its traits,
//!    nor part of js-sys's JSPI module. A formatting impl is only ever entered with a
//!    `Formatter`, which only `core::fmt` code makes; a waker with the task vtable only exists
//!    once JSPI code made it. If none of that code is live, no live path reaches the family
//!    roots. A widget change that formats text at run time (a `format!`, a `to_string()` on a
//!    number, a panic handler that prints the message) or starts using JSPI makes something of
//!    them live, and the build stops, naming it.
//! 4. Every function reachable only from the family roots gets the body `unreachable`. Were one
//!    ever called, it would trap, as a panic does.
//!
//! The function names come from the name section (rustc writes it; wasm-bindgen keeps it for
//! this step, and wasm-opt's `--strip-debug` drops it afterwards).

use std::collections::{HashMap, HashSet};

use walrus::ir::Visitor;
use walrus::{ConstExpr, ExportItem, FunctionBuilder, FunctionId, FunctionKind, GlobalKind};

/// What the step did.
#[derive(Debug, PartialEq, Eq)]
pub struct Pruned {
    /// Functions whose bodies became `unreachable`.
    pub functions: usize,
}

/// `name` without the `[hash]` that rustc writes after crate names of the standard library
/// (`core[c5930c85a12de822]::fmt::write` → `core::fmt::write`).
fn plain(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(open) = rest.find('[') {
        let (head, tail) = rest.split_at(open);
        out.push_str(head);
        match tail.find(']') {
            Some(close) if tail[1..close].bytes().all(|b| b.is_ascii_hexdigit()) => {
                rest = &tail[close + 1..];
            }
            _ => {
                out.push('[');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// An impl of one of `core::fmt`'s traits (`Display`, `Debug`, `Write`, `LowerHex`, …).
fn is_formatting_impl(plain: &str) -> bool {
    plain.contains(" as core::fmt::")
}

/// js-sys's JS Promise Integration module.
const JSPI: &str = "js_sys::futures::jspi::";

/// A table entry of one of the two families (see the module docs).
fn is_family_root(plain: &str) -> bool {
    is_formatting_impl(plain) || plain.starts_with(JSPI)
}

/// Part of `core::fmt`, or an impl of one of its traits.
fn is_formatting(plain: &str) -> bool {
    is_formatting_impl(plain)
        || plain.starts_with("core::fmt::")
        || plain.starts_with("<core::fmt::")
        || plain.starts_with("alloc::fmt::")
}

/// Collects every function a body calls or takes a reference to.
struct Callees<'a>(&'a mut Vec<FunctionId>);

impl<'instr> Visitor<'instr> for Callees<'_> {
    fn visit_function_id(&mut self, function: &FunctionId) {
        self.0.push(*function);
    }
}

fn const_expr_functions(expr: &ConstExpr, out: &mut Vec<FunctionId>) {
    match expr {
        ConstExpr::RefFunc(f) => out.push(*f),
        ConstExpr::Extended(ops) => {
            for op in ops {
                if let walrus::ConstOp::RefFunc(f) = op {
                    out.push(*f);
                }
            }
        }
        _ => {}
    }
}

/// Turns the functions that only the family roots reach into `unreachable` (see the module docs).
pub fn prune(module: &mut walrus::Module) -> Result<Pruned, String> {
    let names: HashMap<FunctionId, String> = module
        .funcs
        .iter()
        .filter_map(|f| f.name.as_deref().map(|n| (f.id(), plain(n))))
        .collect();
    if names.is_empty() {
        return Err("the widget's Wasm has no function names (name section) to check".into());
    }
    let family_root = |f: &FunctionId| names.get(f).is_some_and(|n| is_family_root(n));

    let mut roots = Vec::new();
    let mut table = Vec::new();
    roots.extend(module.exports.iter().filter_map(|e| match e.item {
        ExportItem::Function(f) => Some(f),
        _ => None,
    }));
    roots.extend(module.start);
    for global in module.globals.iter() {
        if let GlobalKind::Local(expr) = &global.kind {
            const_expr_functions(expr, &mut roots);
        }
    }
    for element in module.elements.iter() {
        match &element.items {
            walrus::ElementItems::Functions(fs) => table.extend(fs.iter().copied()),
            walrus::ElementItems::Expressions(_, exprs) => {
                for e in exprs {
                    const_expr_functions(e, &mut table);
                }
            }
        }
    }
    let family_roots: Vec<FunctionId> = table.iter().copied().filter(family_root).collect();
    roots.extend(table.iter().copied().filter(|f| !family_root(f)));

    let reach = |from: &[FunctionId]| {
        let mut seen: HashSet<FunctionId> = HashSet::new();
        let mut stack = from.to_vec();
        while let Some(f) = stack.pop() {
            if !seen.insert(f) {
                continue;
            }
            if let FunctionKind::Local(local) = &module.funcs.get(f).kind {
                walrus::ir::dfs_in_order(&mut Callees(&mut stack), local, local.entry_block());
            }
        }
        seen
    };
    let live = reach(&roots);
    for name in live.iter().filter_map(|f| names.get(f)) {
        if is_formatting(name) {
            return Err(format!(
                "the widget formats text at run time: `{name}` can be reached from its exports \
                 or its function table. Build strings with kuvert_core::cat and push_decimal \
                 instead of format!, to_string() or panics with formatted messages \
                 (ARCHITECTURE.md, \"no core::fmt on the widget's paths\")"
            ));
        }
        if name.starts_with(JSPI) {
            return Err(format!(
                "the widget uses js-sys's JS Promise Integration: `{name}` can be reached from \
                 its exports or its function table, so its task waker may run. Take the JSPI \
                 family out of crates/xtask/src/prune.rs"
            ));
        }
    }
    let only_family: Vec<FunctionId> = reach(&family_roots)
        .into_iter()
        .filter(|f| !live.contains(f))
        .filter(|f| matches!(module.funcs.get(*f).kind, FunctionKind::Local(_)))
        .collect();
    for &f in &only_family {
        let ty = module.types.get(module.funcs.get(f).ty());
        let (params, results) = (ty.params().to_vec(), ty.results().to_vec());
        let args = params.iter().map(|&p| module.locals.add(p)).collect();
        let mut body = FunctionBuilder::new(&mut module.types, &params, &results);
        body.func_body().unreachable();
        module.funcs.get_mut(f).kind = FunctionKind::Local(body.local_func(args));
    }
    Ok(Pruned {
        functions: only_family.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use walrus::{Module, ModuleConfig, ValType};

    /// Adds a function `name` (i32 → i32) that calls each of `calls`.
    fn func(m: &mut Module, name: &str, calls: &[FunctionId]) -> FunctionId {
        let mut b = FunctionBuilder::new(&mut m.types, &[ValType::I32], &[ValType::I32]);
        b.name(name.into());
        let mut body = b.func_body();
        for &c in calls {
            body.i32_const(0).call(c).drop();
        }
        body.i32_const(1);
        let arg = m.locals.add(ValType::I32);
        b.finish(vec![arg], &mut m.funcs)
    }

    /// Exports `entry` as `start` and puts `entries` into a function table.
    fn export_and_table(m: &mut Module, entry: FunctionId, entries: Vec<FunctionId>) {
        m.exports.add("start", entry);
        let table = m
            .tables
            .add_local(false, entries.len() as u64, None, walrus::RefType::FUNCREF);
        m.elements.add(
            walrus::ElementKind::Active {
                table,
                offset: ConstExpr::Value(walrus::ir::Value::I32(0)),
            },
            walrus::ElementItems::Functions(entries),
        );
    }

    /// A module shaped like the widget's: an exported entry point, a table holding a `Display`
    /// impl (as a panic's `fmt::Arguments` would), and `core::fmt` code only that impl calls.
    /// With `entry_formats`, the entry point calls `core::fmt::write` itself.
    fn widget_like(entry_formats: bool) -> (Module, [FunctionId; 4]) {
        let mut m = Module::with_config(ModuleConfig::new());
        let write = func(&mut m, "core[c5930c85a12de822]::fmt::write", &[]);
        let display = func(
            &mut m,
            "<u32 as core[c5930c85a12de822]::fmt::Display>::fmt",
            &[write],
        );
        let helper = func(&mut m, "kuvert_widget::dom::find::h0123", &[]);
        let entry_calls = if entry_formats {
            vec![helper, write]
        } else {
            vec![helper]
        };
        let entry = func(&mut m, "kuvert_widget::start::h4567", &entry_calls);
        export_and_table(&mut m, entry, vec![display, helper]);
        (m, [write, display, helper, entry])
    }

    fn is_unreachable_stub(m: &Module, f: FunctionId) -> bool {
        match &m.funcs.get(f).kind {
            FunctionKind::Local(l) => {
                let instrs = &l.block(l.entry_block()).instrs;
                instrs.len() == 1 && matches!(instrs[0].0, walrus::ir::Instr::Unreachable(_))
            }
            _ => false,
        }
    }

    #[test]
    fn formatting_reachable_only_from_the_table_becomes_unreachable() {
        let (mut m, [write, display, helper, entry]) = widget_like(false);
        assert_eq!(prune(&mut m), Ok(Pruned { functions: 2 }));
        assert!(is_unreachable_stub(&m, write));
        assert!(is_unreachable_stub(&m, display));
        assert!(
            !is_unreachable_stub(&m, helper),
            "a live table entry was stubbed"
        );
        assert!(!is_unreachable_stub(&m, entry), "the export was stubbed");
        // The module is still valid Wasm.
        assert!(Module::from_buffer(&m.emit_wasm()).is_ok());
    }

    #[test]
    fn formatting_on_a_live_path_stops_the_build_and_names_the_function() {
        let (mut m, [write, ..]) = widget_like(true);
        let err = prune(&mut m).unwrap_err();
        assert!(err.contains("`core::fmt::write`"), "{err}");
        assert!(!is_unreachable_stub(&m, write));
    }

    /// An exported entry point and the JSPI task waker in the table; with `entry_spawns`, the
    /// entry point calls JSPI code (which could make such a waker).
    fn jspi_like(entry_spawns: bool) -> (Module, FunctionId) {
        let mut m = Module::with_config(ModuleConfig::new());
        let wake = func(
            &mut m,
            "js_sys::futures::jspi::task_waker::raw_wake::h882c",
            &[],
        );
        let spawn = func(&mut m, "js_sys::futures::jspi::spawn_promising::h11", &[]);
        let calls = if entry_spawns { vec![spawn] } else { vec![] };
        let entry = func(&mut m, "kuvert_widget::start::h4567", &calls);
        export_and_table(&mut m, entry, vec![wake]);
        (m, wake)
    }

    #[test]
    fn the_jspi_task_waker_traps_unless_jspi_code_is_live() {
        let (mut m, wake) = jspi_like(false);
        assert_eq!(prune(&mut m), Ok(Pruned { functions: 1 }));
        assert!(is_unreachable_stub(&m, wake));
        let (mut m, wake) = jspi_like(true);
        let err = prune(&mut m).unwrap_err();
        assert!(
            err.contains("`js_sys::futures::jspi::spawn_promising::h11`"),
            "{err}"
        );
        assert!(!is_unreachable_stub(&m, wake));
    }

    #[test]
    fn a_module_without_names_is_refused() {
        let (mut m, _) = widget_like(false);
        for f in m.funcs.iter_mut() {
            f.name = None;
        }
        assert!(prune(&mut m).unwrap_err().contains("no function names"));
    }

    #[test]
    fn standard_library_hashes_are_dropped_from_names() {
        assert_eq!(
            plain(
                "<core[c5930c85a12de822]::fmt::builders::PadAdapter as core[c5930c85a12de822]::fmt::Write>::write_str"
            ),
            "<core::fmt::builders::PadAdapter as core::fmt::Write>::write_str"
        );
        assert_eq!(plain("a[0]::b[xyz]"), "a::b[xyz]");
        assert!(is_formatting_impl(&plain(
            "<hkdf::errors::InvalidPrkLength as core::fmt::Debug>::fmt::h85b333d02d265814"
        )));
        assert!(!is_formatting(&plain(
            "core[c5930c85a12de822]::panicking::panic_fmt"
        )));
    }
}
