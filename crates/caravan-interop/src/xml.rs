//! A bounded XML reader into a small element tree (quick-xml), and the escaping of a writer.
//!
//! Refused: any DOCTYPE (so no DTD, no external or internal entity: no XXE and no entity
//! expansion), entity references other than the five predefined ones and character references,
//! nesting deeper than [`MAX_DEPTH`], and more than [`MAX_ELEMENTS`] elements.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// Deepest nesting read.
pub(crate) const MAX_DEPTH: usize = 64;
/// Most elements read.
pub(crate) const MAX_ELEMENTS: usize = 200_000;

/// One element: its namespace, local name, attributes (local names), text and children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Element {
    pub(crate) ns: String,
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) text: String,
    pub(crate) children: Vec<Element>,
}

impl Element {
    /// The first child named `name`.
    pub(crate) fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub(crate) fn children_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the descendant at `path`, when present and not empty.
    pub(crate) fn text_at(&self, path: &[&str]) -> Option<&str> {
        let mut node = self;
        for name in path {
            node = node.child(name)?;
        }
        let text = node.text.trim();
        (!text.is_empty()).then_some(text)
    }

    /// The attribute `name`.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Why XML was refused.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    /// Not well-formed, with the byte position.
    #[error("the XML is not well-formed at byte {position}: {reason}")]
    Malformed {
        /// Byte offset.
        position: u64,
        /// What the parser said.
        reason: String,
    },
    /// A DOCTYPE: DTDs and entities are refused.
    #[error("the XML has a DOCTYPE declaration: DTDs and entity declarations are refused (XXE)")]
    Doctype,
    /// An entity reference that is not predefined.
    #[error("the XML refers to the undeclared entity &{0};: only the predefined entities are read")]
    Entity(String),
    /// Too deep or too many elements.
    #[error("the XML is too large: {0}")]
    TooLarge(String),
    /// No root element.
    #[error("the XML has no root element")]
    Empty,
}

/// Reads `text` into its root element.
///
/// # Errors
/// See [`XmlError`].
pub(crate) fn parse(text: &str) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut n_elements = 0usize;
    let malformed = |reader: &NsReader<&[u8]>, err: String| XmlError::Malformed {
        position: reader.buffer_position(),
        reason: err,
    };
    loop {
        let (ns, event) = match reader.read_resolved_event() {
            Ok((ResolveResult::Bound(ns), event)) => {
                (String::from_utf8_lossy(ns.as_ref()).into_owned(), event)
            }
            Ok((ResolveResult::Unknown(prefix), _)) => {
                return Err(malformed(
                    &reader,
                    format!("unbound namespace prefix {:?}", String::from_utf8_lossy(&prefix)),
                ));
            }
            Ok((ResolveResult::Unbound, event)) => (String::new(), event),
            Err(err) => return Err(malformed(&reader, err.to_string())),
        };
        let is_empty = matches!(event, Event::Empty(_));
        match event {
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Start(start) | Event::Empty(start) => {
                n_elements += 1;
                if n_elements > MAX_ELEMENTS {
                    return Err(XmlError::TooLarge(format!("more than {MAX_ELEMENTS} elements")));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooLarge(format!(
                        "nested deeper than {MAX_DEPTH} elements"
                    )));
                }
                let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                let mut attrs = Vec::new();
                for attr in start.attributes() {
                    let attr = attr.map_err(|e| malformed(&reader, e.to_string()))?;
                    // XML 1.0 §3.1 [10] AttValue: no `<` in an attribute value (the parser
                    // underneath does not check; the fuzzer found `xmlns:ram="<!DOCTYPE…"`).
                    if attr.value.contains(&b'<') {
                        let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
                        return Err(malformed(
                            &reader,
                            format!("'<' in the value of attribute {key} (XML 1.0 §3.1)"),
                        ));
                    }
                    let key = attr.key.local_name();
                    let key = String::from_utf8_lossy(key.as_ref()).into_owned();
                    if attr.key.as_ref().starts_with(b"xmlns") {
                        continue;
                    }
                    let value =
                        attr.unescape_value().map_err(|e| malformed(&reader, e.to_string()))?;
                    attrs.push((key, value.into_owned()));
                }
                let element = Element { ns, name, attrs, ..Element::default() };
                if is_empty {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(element),
                        None => return Ok(element),
                    }
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let Some(done) = stack.pop() else {
                    return Err(malformed(&reader, "unexpected end tag".to_owned()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => return Ok(done),
                }
            }
            Event::Text(text) => {
                let text = text.decode().map_err(|e| malformed(&reader, e.to_string()))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                } else if !text.trim().is_empty() {
                    return Err(malformed(&reader, "text outside the root element".to_owned()));
                }
            }
            Event::CData(data) => {
                let data = data.decode().map_err(|e| malformed(&reader, e.to_string()))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&data);
                }
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => {
                        let name =
                            reference.decode().map_err(|e| malformed(&reader, e.to_string()))?;
                        match name.as_ref() {
                            "amp" => '&',
                            "lt" => '<',
                            "gt" => '>',
                            "quot" => '"',
                            "apos" => '\'',
                            other => return Err(XmlError::Entity(other.to_owned())),
                        }
                    }
                    Err(err) => return Err(malformed(&reader, err.to_string())),
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push(resolved);
                }
            }
            Event::Eof => {
                return Err(if stack.is_empty() {
                    XmlError::Empty
                } else {
                    malformed(&reader, "the document ends inside an element".to_owned())
                });
            }
            _ => {}
        }
    }
}

/// Escapes text for an element's content or a double-quoted attribute (`&`, `<`, `>`, `'`,
/// `"`: quick-xml's escaper, the crate that reads it back).
pub(crate) fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}
