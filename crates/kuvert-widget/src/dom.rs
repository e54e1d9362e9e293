//! A few DOM helpers. Everything is built with `createElement`, attributes and `textContent`:
//! no `innerHTML`, so the frame works under `require-trusted-types-for 'script'` and nothing
//! typed or configured can ever become markup.
//!
//! The helpers are `#[inline(never)]`: each call crosses into JS with string copies, and
//! inlining that glue at every one of the form's few hundred call sites made the Wasm larger.

#[allow(unused_imports)]
use crate::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::wasm_bindgen;
use web_sys::{Document, Element, HtmlElement};

#[wasm_bindgen]
extern "C" {
    /// An `<input>`, `<select>` or `<textarea>`, seen only for the `value` and `checked`
    /// properties they share: one import each, instead of one per element type and an
    /// `instanceof` check before every use. On another element both read as `undefined`.
    pub type Field;
    /// The field's value; `None` if the element has none.
    #[wasm_bindgen(method, getter)]
    pub fn value(this: &Field) -> Option<String>;
    /// Sets the field's value.
    #[wasm_bindgen(method, setter)]
    pub fn set_value(this: &Field, value: &str);
    /// Whether the checkbox or radio is checked; `None` if the element is neither.
    #[wasm_bindgen(method, getter)]
    pub fn checked(this: &Field) -> Option<bool>;
}

#[wasm_bindgen]
extern "C" {
    /// An array or a `NodeList`, seen only for `length` and `[i]`, which both have: one pair of
    /// imports for the two, instead of js-sys's for arrays and web-sys's `length` and `item`
    /// for node lists.
    pub type List;
    /// How many items.
    #[wasm_bindgen(method, getter)]
    pub fn length(this: &List) -> u32;
    /// The item at `i` (`undefined` past the end).
    #[wasm_bindgen(method, indexing_getter)]
    pub fn get(this: &List, i: u32) -> wasm_bindgen::JsValue;
}

/// The items of an array or `NodeList`.
pub fn items(list: &impl JsCast) -> impl Iterator<Item = wasm_bindgen::JsValue> + '_ {
    let list = list.unchecked_ref::<List>();
    (0..list.length()).map(move |i| list.get(i))
}

/// `e` seen as a form field.
pub fn field(e: &Element) -> &Field {
    e.unchecked_ref()
}

#[wasm_bindgen]
extern "C" {
    /// The global `window`. web-sys's `window()` finds it through js-sys's `global()`, which
    /// tries four global names and links their accessors; the widget only runs in a window.
    #[wasm_bindgen(thread_local_v2, js_name = window)]
    static WINDOW: web_sys::Window;
}

/// The frame's window.
pub fn window() -> web_sys::Window {
    WINDOW.with(web_sys::Window::clone)
}

/// The frame's document. The widget only runs in a window.
pub fn doc() -> Document {
    window()
        .document()
        .unwrap_or_else(|| panic!("the widget runs in a document"))
}

/// An element under construction.
pub struct H(pub Element);

impl H {
    /// A new `<tag>`.
    #[inline(never)]
    pub fn new(tag: &str) -> H {
        // Not `expect` or `unreachable!`: they format their message (and `expect` the error's
        // Debug), which links `core::fmt` (and JsValue's Debug glue); this panic's text is fixed.
        match doc().create_element(tag) {
            Ok(e) => H(e),
            Err(_) => panic!("the widget's tag names are valid"),
        }
    }

    /// Sets an attribute.
    #[inline(never)]
    pub fn a(self, name: &str, value: &str) -> H {
        let _ = self.0.set_attribute(name, value);
        self
    }

    /// Sets an attribute when `on`.
    pub fn a_if(self, on: bool, name: &str, value: &str) -> H {
        if on { self.a(name, value) } else { self }
    }

    /// Sets the text. Called before any child is appended (it would replace them): with
    /// `textContent`, which the widget imports anyway, rather than `append`.
    #[inline(never)]
    pub fn t(self, text: &str) -> H {
        self.0.set_text_content(Some(text));
        self
    }

    /// Appends a child.
    #[inline(never)]
    pub fn c(self, child: H) -> H {
        let _ = self.0.append_child(&child.0);
        self
    }

    /// Appends the child if there is one.
    pub fn c_opt(self, child: Option<H>) -> H {
        match child {
            Some(c) => self.c(c),
            None => self,
        }
    }

    /// Appends every child.
    pub fn cs(self, children: impl IntoIterator<Item = H>) -> H {
        for c in children {
            let _ = self.0.append_child(&c.0);
        }
        self
    }
}

/// `<tag>text</tag>`.
#[inline(never)]
pub fn tx(tag: &str, text: &str) -> H {
    H::new(tag).t(text)
}

/// A `<button type="button" data-act="…">`.
#[inline(never)]
pub fn button(act: &str, label: &str) -> H {
    H::new("button")
        .a("type", "button")
        .a("data-act", act)
        .t(label)
}

/// The first element under `root` matching `selector`.
#[inline(never)]
pub fn find(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).ok().flatten()
}

/// Every element under `root` matching `selector`.
pub fn find_all(root: &Element, selector: &str) -> Vec<Element> {
    match root.query_selector_all(selector) {
        // `querySelectorAll` finds elements only (an unchecked cast: no `instanceof`).
        Ok(list) => items(&list)
            .map(JsCast::unchecked_into::<Element>)
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// The value of the input, select or textarea matching `selector`, if any.
#[inline(never)]
pub fn value_of(root: &Element, selector: &str) -> Option<String> {
    field(&find(root, selector)?).value()
}

/// Whether the checkbox or radio matching `selector` is checked.
pub fn checked(root: &Element, selector: &str) -> bool {
    find(root, selector).is_some_and(|e| field(&e).checked() == Some(true))
}

/// Moves focus to the element matching `selector`.
#[inline(never)]
pub fn focus(root: &Element, selector: &str) {
    // Every element of the frame's HTML document is an HTMLElement (an unchecked cast).
    if let Some(e) = find(root, selector).map(JsCast::unchecked_into::<HtmlElement>) {
        let _ = e.focus();
    }
}
