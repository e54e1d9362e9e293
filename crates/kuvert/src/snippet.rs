//! The `<script>` tag a business pastes, with the loader's SRI hash and the pinned keys.

use std::path::Path;

use base64::{Engine, engine::general_purpose::STANDARD};
use sha2::{Digest, Sha384};

use crate::error::{CliError, Result, read_error};

/// What goes into the snippet.
pub struct Snippet<'a> {
    /// Where the loader and frame are served (the widget origin); usually the inbox.
    pub widget: &'a str,
    /// The inbox URL.
    pub inbox: &'a str,
    /// Form id.
    pub form: &'a str,
    /// Public keys, in order.
    pub recipients: &'a [String],
    /// `inline`, `popup` or `button`.
    pub mode: &'a str,
    /// Language, or `None` to follow the browser.
    pub lang: Option<&'a str>,
}

/// `scheme://host[:port]` of a URL.
pub fn origin(url: &str) -> Result<String> {
    let bad = || {
        CliError::new(
            format!("`{url}` is not an http(s) URL"),
            "write it like https://bookings.example.com",
        )
    };
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    if scheme != "https" && scheme != "http" {
        return Err(bad());
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() {
        return Err(bad());
    }
    Ok(format!("{scheme}://{host}"))
}

/// The loader's bytes: a local copy, or what the widget origin serves now.
pub fn loader_bytes(widget: &str, local: Option<&Path>) -> Result<Vec<u8>> {
    if let Some(path) = local {
        return std::fs::read(path).map_err(|e| read_error(path, &e));
    }
    let url = format!("{}/kuvert.js", widget.trim_end_matches('/'));
    let mut res = ureq::get(&url).call().map_err(|e| {
        CliError::new(
            format!("cannot fetch the loader from {url}: {e}"),
            "check --widget/--inbox, or hash a local copy with --loader FILE",
        )
    })?;
    res.body_mut()
        .with_config()
        .limit(1024 * 1024)
        .read_to_vec()
        .map_err(|e| {
            CliError::new(
                format!("cannot read the loader from {url}: {e}"),
                "check the widget origin serves kuvert.js",
            )
        })
}

/// Subresource Integrity value: `sha384-<base64>`.
pub fn sri(bytes: &[u8]) -> String {
    format!("sha384-{}", STANDARD.encode(Sha384::digest(bytes)))
}

fn attr(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The snippet text: the tag, then the CSP the host page needs.
pub fn render(s: &Snippet<'_>, integrity: &str) -> Result<String> {
    if !matches!(s.mode, "inline" | "popup" | "button") {
        return Err(CliError::new(
            format!("`{}` is not a mode", s.mode),
            "use --mode inline, popup or button",
        ));
    }
    if let Some(l) = s.lang
        && kuvert_core::Locale::from_tag(l).is_none()
    {
        return Err(CliError::new(
            format!("`{l}` is not a supported language"),
            "use en, nl, sv or de, or leave --lang out to follow the browser",
        ));
    }
    if !kuvert_core::schema::is_valid_id(s.form) {
        return Err(CliError::new(
            format!("`{}` is not a form id", s.form),
            "use the id from the form config, e.g. salon",
        ));
    }
    if s.recipients.is_empty() {
        return Err(CliError::new(
            "no public key to pin",
            "give -i KEYFILE or -r age1…",
        ));
    }
    let widget_origin = origin(s.widget)?;
    let inbox_origin = origin(s.inbox)?;
    // The frame posts only to the inbox its own files name (never one the page gives it), so
    // the tag carries no inbox: the frame served by the inbox posts back to it, and a copy of
    // www/ elsewhere is built with the inbox fixed in it.
    let mut tag = format!(
        "<script src=\"{}/kuvert.js\" integrity=\"{integrity}\" crossorigin=\"anonymous\"\n        data-form=\"{}\"\n        data-recipients=\"{}\"\n        data-mode=\"{}\"",
        attr(s.widget.trim_end_matches('/')),
        attr(s.form),
        attr(&s.recipients.join(",")),
        s.mode
    );
    if let Some(l) = s.lang {
        tag.push_str(&format!(" data-lang=\"{}\"", attr(l)));
    }
    tag.push_str(" async></script>\n");
    let quoted: Vec<String> = s.recipients.iter().map(|r| format!("\"{r}\"")).collect();
    let mut text = format!(
        "{tag}\nAnd in the inbox config, in the [[forms]] entry of {form} (the widget seals only when\nthe page and the inbox pin the same keys):\n  recipients = [{keys}]\n\nIf your page sends a Content-Security-Policy, allow the widget:\n  script-src {widget_origin}\n  frame-src {widget_origin}\n",
        form = s.form,
        keys = quoted.join(", ")
    );
    if widget_origin != inbox_origin {
        text.push_str(&format!(
            "\nThe widget is served from {widget_origin}, not the inbox: build that copy of www/ with\n  KUVERT_INBOX={inbox_origin} cargo xtask build-widget\nand serve it with the frame's headers (see the README's \"Serving www/ yourself\").\n"
        ));
    }
    Ok(text)
}
