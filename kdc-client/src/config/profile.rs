//! MIT's profile syntax (`krb5.conf(5)`, "Structure"), parsed into a tree, and the merge of
//! several files as MIT's profile library does it.
//!
//! ```text
//! [section]                 a section; the same section twice in one file is one section
//! tag = value               a relation; repeated tags make a list
//! tag = {                   a subsection (nested), closed by `}`; `tag =` then `{` on the
//!     tag = value           next line also opens one
//! }
//! # comment / ; comment     whole-line comments (leading blanks allowed)
//! [section]*  }*  tag* =    the final marker: later files are not searched below this node
//! include FILE              at the start of a line, anywhere: parse FILE into the same tree
//! includedir DIR            the same for each file in DIR named only by letters, digits,
//!                           `-` and `_`, or ending in `.conf`, in sorted order
//! ```
//! Lines before the first section header are ignored, as MIT does. Values run to the end of
//! the line (trailing blanks removed) or are `"quoted"` with `\n`, `\t`, `\b`, `\\` escapes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How deep `include`/`includedir` may nest; deeper (e.g. a cycle) is an error.
pub const MAX_INCLUDE_DEPTH: usize = 8;

/// Errors from reading or interpreting configuration files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A line that does not parse.
    #[error("{file}:{line}: {reason}")]
    Syntax {
        /// The file.
        file: Arc<str>,
        /// The line number.
        line: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// An `include` or `includedir` that cannot be read.
    #[error("{file}:{line}: cannot include {path}: {source}")]
    Include {
        /// The file with the directive.
        file: Arc<str>,
        /// The line number.
        line: usize,
        /// The path included.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A relation whose value is invalid for its tag.
    #[error("{file}:{line}: invalid value '{value}' for {tag}: expected {expected}")]
    Value {
        /// The file.
        file: Arc<str>,
        /// The line number.
        line: usize,
        /// The relation's tag.
        tag: String,
        /// The value given.
        value: String,
        /// What the tag takes.
        expected: &'static str,
    },
}

/// Where a relation was read: file name and 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file.
    pub file: Arc<str>,
    /// The line number.
    pub line: usize,
}

/// A section or subsection: named children in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Section {
    is_final: bool,
    children: Vec<(String, Node)>,
}

/// A child of a section.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Relation {
        value: String,
        is_final: bool,
        origin: Origin,
    },
    Section(Section),
}

/// Reads configuration files; tests and fuzzing use [`MemSource`] instead of [`FsSource`].
pub trait Source {
    /// Read the file at `path` as text.
    fn read(&self, path: &Path) -> std::io::Result<String>;
    /// The file names (not paths) in a directory.
    fn list_dir(&self, dir: &Path) -> std::io::Result<Vec<String>>;
}

/// The file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct FsSource;

impl Source for FsSource {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        std::fs::read_to_string(path)
    }

    fn list_dir(&self, dir: &Path) -> std::io::Result<Vec<String>> {
        std::fs::read_dir(dir)?
            .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
            .collect()
    }
}

/// Files held in memory, keyed by path.
#[derive(Debug, Clone, Default)]
pub struct MemSource(pub BTreeMap<PathBuf, String>);

impl Source for MemSource {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| std::io::ErrorKind::NotFound.into())
    }

    fn list_dir(&self, dir: &Path) -> std::io::Result<Vec<String>> {
        Ok(self
            .0
            .keys()
            .filter(|p| p.parent() == Some(dir))
            .filter_map(|p| Some(p.file_name()?.to_string_lossy().into_owned()))
            .collect())
    }
}

/// The files named by `KRB5_CONFIG` (colon-separated), or `/etc/krb5.conf`.
pub fn config_files(krb5_config: Option<&str>) -> Vec<PathBuf> {
    krb5_config
        .unwrap_or("/etc/krb5.conf")
        .split(':')
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .collect()
}

/// Several parsed files, searched in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    files: Vec<Section>,
}

impl Profile {
    /// Load `files` in order. Missing files are skipped (MIT tolerates them); any other read
    /// error, a syntax error or a failed include is an error.
    pub fn load(files: &[PathBuf], source: &dyn Source) -> Result<Self, ConfigError> {
        let mut profile = Self::default();
        for path in files {
            match source.read(path) {
                Ok(text) => profile.add(&text, &path.to_string_lossy(), source)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(ConfigError::Io {
                        path: path.clone(),
                        source,
                    });
                }
            }
        }
        Ok(profile)
    }

    /// Parse one file's text (named `name` in errors) and add it after the files already loaded.
    pub fn add(&mut self, text: &str, name: &str, source: &dyn Source) -> Result<(), ConfigError> {
        let mut root = Section::default();
        parse_into(&mut root, text, &Arc::from(name), source, 0)?;
        self.files.push(root);
        Ok(())
    }

    /// Parse a single file's text.
    pub fn parse(text: &str, name: &str, source: &dyn Source) -> Result<Self, ConfigError> {
        let mut profile = Self::default();
        profile.add(text, name, source)?;
        Ok(profile)
    }

    /// Every relation value at `path` (e.g. `["realms", "R", "kdc"]`), file by file, stopping
    /// after a file in which a node on the path is final.
    pub fn values(&self, path: &[&str]) -> Vec<(&str, &Origin)> {
        let mut out = Vec::new();
        for root in &self.files {
            if collect(root, path, &mut out) {
                break;
            }
        }
        out
    }

    /// The first value at `path`: earlier files win, as in MIT.
    pub fn value(&self, path: &[&str]) -> Option<(&str, &Origin)> {
        self.values(path).into_iter().next()
    }

    /// The names of the children (relations and subsections) of the section at `path`,
    /// without duplicates, in order of first appearance.
    pub fn names(&self, path: &[&str]) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for root in &self.files {
            let mut sections = Vec::new();
            let is_final = find_sections(root, path, &mut sections);
            for s in sections {
                for (name, _) in &s.children {
                    if !out.contains(&name.as_str()) {
                        out.push(name);
                    }
                }
            }
            if is_final {
                break;
            }
        }
        out
    }
}

/// Collects the relations at `path` under `section`; true if a final node was on the way.
fn collect<'a>(section: &'a Section, path: &[&str], out: &mut Vec<(&'a str, &'a Origin)>) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let mut seen_final = section.is_final;
    for (_, node) in section.children.iter().filter(|(n, _)| n == first) {
        match node {
            Node::Relation {
                value,
                is_final,
                origin,
            } if rest.is_empty() => {
                out.push((value, origin));
                seen_final |= is_final;
            }
            Node::Section(s) if !rest.is_empty() => seen_final |= collect(s, rest, out),
            _ => {}
        }
    }
    seen_final
}

/// Collects the sections at `path` under `section`; true if a final node was on the way.
fn find_sections<'a>(section: &'a Section, path: &[&str], out: &mut Vec<&'a Section>) -> bool {
    let Some((first, rest)) = path.split_first() else {
        out.push(section);
        return section.is_final;
    };
    let mut seen_final = section.is_final;
    for (_, node) in section.children.iter().filter(|(n, _)| n == first) {
        if let Node::Section(s) = node {
            seen_final |= find_sections(s, rest, out);
        }
    }
    seen_final
}

/// The section reached from `root` by child indices.
fn section_at<'a>(root: &'a mut Section, path: &[usize]) -> Option<&'a mut Section> {
    let mut cur = root;
    for &i in path {
        match cur.children.get_mut(i) {
            Some((_, Node::Section(s))) => cur = s,
            _ => return None,
        }
    }
    Some(cur)
}

/// `include PATH` or `includedir PATH` at the very start of a line: (is_dir, PATH).
fn include_directive(line: &str) -> Option<(bool, &str)> {
    [("includedir", true), ("include", false)]
        .into_iter()
        .find_map(|(keyword, is_dir)| {
            let arg = line.strip_prefix(keyword)?;
            arg.starts_with(char::is_whitespace)
                .then(|| (is_dir, arg.trim()))
        })
}

/// MIT's rule for files read by `includedir`.
fn is_includable(name: &str) -> bool {
    name.ends_with(".conf")
        || (!name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

fn parse_into(
    root: &mut Section,
    text: &str,
    file: &Arc<str>,
    source: &dyn Source,
    depth: usize,
) -> Result<(), ConfigError> {
    // Child indices from the root to the current (sub)section; empty before the first header.
    let mut stack: Vec<usize> = Vec::new();
    let mut in_section = false;
    let mut expect_obrace = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let syntax = |reason| ConfigError::Syntax {
            file: file.clone(),
            line: line_no,
            reason,
        };
        if let Some((is_dir, arg)) = include_directive(raw) {
            if depth >= MAX_INCLUDE_DEPTH {
                return Err(syntax("includes nested too deeply (a cycle?)"));
            }
            let path = PathBuf::from(arg);
            let fail = |path: &Path, source| ConfigError::Include {
                file: file.clone(),
                line: line_no,
                path: path.to_owned(),
                source,
            };
            let files = if is_dir {
                let mut names = source.list_dir(&path).map_err(|e| fail(&path, e))?;
                names.retain(|n| is_includable(n));
                names.sort();
                names.iter().map(|n| path.join(n)).collect()
            } else {
                vec![path]
            };
            for f in files {
                let text = source.read(&f).map_err(|e| fail(&f, e))?;
                let name = Arc::from(f.to_string_lossy().as_ref());
                parse_into(root, &text, &name, source, depth + 1)?;
            }
            continue;
        }
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if expect_obrace {
            if line != "{" {
                return Err(syntax("expected '{' to open the subsection"));
            }
            expect_obrace = false;
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            if stack.len() > 1 {
                return Err(syntax("section header inside a subsection"));
            }
            let (name, after) = header
                .split_once(']')
                .ok_or_else(|| syntax("missing ']'"))?;
            let is_final = match after.trim_start() {
                "" => false,
                "*" => true,
                _ => return Err(syntax("text after section header")),
            };
            let idx = match root
                .children
                .iter()
                .position(|(n, node)| n == name && matches!(node, Node::Section(_)))
            {
                Some(idx) => idx,
                None => {
                    root.children
                        .push((name.to_owned(), Node::Section(Section::default())));
                    root.children.len() - 1
                }
            };
            if let Some((_, Node::Section(s))) = root.children.get_mut(idx) {
                s.is_final |= is_final;
            }
            stack = vec![idx];
            in_section = true;
            continue;
        }
        if !in_section {
            continue; // MIT ignores everything before the first section header
        }
        if let Some(after) = line.strip_prefix('}') {
            if stack.len() <= 1 {
                return Err(syntax("'}' without an open subsection"));
            }
            let is_final = match after.trim_start() {
                "" => false,
                "*" => true,
                _ => return Err(syntax("text after '}'")),
            };
            if is_final && let Some(s) = section_at(root, &stack) {
                s.is_final = true;
            }
            stack.pop();
            continue;
        }
        let (tag, value) = line
            .split_once('=')
            .ok_or_else(|| syntax("expected 'tag = value', '[section]' or '}'"))?;
        let tag = tag.trim_end();
        let (tag, is_final) = match tag.strip_suffix('*') {
            Some(t) => (t.trim_end(), true),
            None => (tag, false),
        };
        if tag.is_empty() || tag.contains(char::is_whitespace) {
            return Err(syntax("bad relation tag"));
        }
        let value = value.trim_start();
        // Invariant: `stack` is non-empty once a section header has been seen.
        let section = section_at(root, &stack).ok_or_else(|| syntax("no current section"))?;
        if value.is_empty() || value == "{" {
            expect_obrace = value.is_empty();
            section.children.push((
                tag.to_owned(),
                Node::Section(Section {
                    is_final,
                    children: Vec::new(),
                }),
            ));
            stack.push(section.children.len() - 1);
            continue;
        }
        let value = match value.strip_prefix('"') {
            Some(q) => unquote(q),
            None => value.to_owned(),
        };
        section.children.push((
            tag.to_owned(),
            Node::Relation {
                value,
                is_final,
                origin: Origin {
                    file: file.clone(),
                    line: line_no,
                },
            },
        ));
    }
    if expect_obrace || stack.len() > 1 {
        return Err(ConfigError::Syntax {
            file: file.clone(),
            line: text.lines().count(),
            reason: "unclosed subsection at end of file",
        });
    }
    Ok(())
}

/// The text of a quoted value (after the opening quote), up to the closing quote.
fn unquote(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => break,
            '\\' => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('b') => out.push('\u{8}'),
                Some(c) => out.push(c),
                None => break,
            },
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
