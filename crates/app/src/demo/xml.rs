//! A tiny XML writer: indented elements, every text and attribute value escaped.
//!
//! The demo writes its own files rather than pulling in an XML serializer; all it needs is nesting
//! and escaping, and escaping is the part that must never be forgotten ("Müller & Söhne").

/// Escapes the five XML special characters.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// An XML document being written, UTF-8, indented by two spaces.
#[derive(Debug)]
pub(super) struct Xml {
    buf: String,
    depth: usize,
}

impl Xml {
    pub(super) fn start() -> Xml {
        Xml {
            buf: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            depth: 0,
        }
    }

    fn tag(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        for _ in 0..self.depth {
            self.buf.push_str("  ");
        }
        self.buf.push('<');
        self.buf.push_str(tag);
        for (name, value) in attrs {
            self.buf.push(' ');
            self.buf.push_str(name);
            self.buf.push_str("=\"");
            self.buf.push_str(&escape(value));
            self.buf.push('"');
        }
        self.buf.push('>');
    }

    /// Opens an element whose content is more elements.
    pub(super) fn open(&mut self, tag: &str) {
        self.open_with(tag, &[]);
    }

    pub(super) fn open_with(&mut self, tag: &str, attrs: &[(&str, &str)]) {
        self.tag(tag, attrs);
        self.buf.push('\n');
        self.depth += 1;
    }

    pub(super) fn close(&mut self, tag: &str) {
        self.depth = self.depth.saturating_sub(1);
        for _ in 0..self.depth {
            self.buf.push_str("  ");
        }
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push_str(">\n");
    }

    /// An element with text content.
    pub(super) fn text(&mut self, tag: &str, text: &str) {
        self.text_with(tag, &[], text);
    }

    pub(super) fn text_with(&mut self, tag: &str, attrs: &[(&str, &str)], text: &str) {
        self.tag(tag, attrs);
        self.buf.push_str(&escape(text));
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push_str(">\n");
    }

    /// An element with text content, left out when there is no text (Peppol forbids empty
    /// elements).
    pub(super) fn opt_text(&mut self, tag: &str, text: Option<&str>) {
        if let Some(text) = text.filter(|t| !t.is_empty()) {
            self.text(tag, text);
        }
    }

    /// `<parent><child>text</child></parent>` on one level of nesting.
    pub(super) fn wrapped(&mut self, parent: &str, child: &str, text: &str) {
        self.open(parent);
        self.text(child, text);
        self.close(parent);
    }

    pub(super) fn finish(self) -> Vec<u8> {
        self.buf.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_attributes() {
        let mut xml = Xml::start();
        xml.open_with("a", &[("n", "\"x\" & 'y'")]);
        xml.text("b", "Müller & Söhne <GmbH>");
        xml.close("a");
        let text = String::from_utf8(xml.finish()).unwrap();
        assert!(text.contains("<a n=\"&quot;x&quot; &amp; &apos;y&apos;\">"));
        assert!(text.contains("<b>Müller &amp; Söhne &lt;GmbH&gt;</b>"));
    }
}
