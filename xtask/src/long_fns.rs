//! `cargo xtask long-fns`: the house rule that no function runs over 80 lines without a
//! reason written above it (a `//` comment among its doc lines and attributes that says why
//! it is longer than 80 lines). A long function that must stay whole — a dispatch table, a
//! test telling one story — says so; any other is split into named steps.
//!
//! The scan reads rustfmt's layout (CI runs `cargo fmt --check` first where rustfmt is
//! installed): a function starts
//! at a line `[pub …] [const] [async] [unsafe] fn name` and ends at the first line holding
//! only `}` at the same indentation.

use std::path::{Path, PathBuf};

/// The longest a function may be without a reason.
pub const MAX_LINES: usize = 80;
/// What a reason says, so that the scan can find it.
pub const REASON: &str = "80 lines";

/// A function over [`MAX_LINES`] without a reason.
#[derive(Debug, PartialEq, Eq)]
pub struct Long {
    pub file: PathBuf,
    /// 1-based line of the `fn`.
    pub line: usize,
    pub name: String,
    pub lines: usize,
}

pub fn run() -> i32 {
    match offenders(&crate::workspace_root()) {
        Ok(long) if long.is_empty() => {
            println!("long-fns: no function over {MAX_LINES} lines without a reason");
            0
        }
        Ok(long) => {
            for l in &long {
                println!(
                    "{}:{}: fn {} is {} lines; split it into named steps, or say above it why it is longer than {REASON} (a // comment)",
                    l.file.display(),
                    l.line,
                    l.name,
                    l.lines
                );
            }
            println!(
                "long-fns: {} function(s) over {MAX_LINES} lines without a reason",
                long.len()
            );
            1
        }
        Err(e) => {
            eprintln!("long-fns: {e}");
            2
        }
    }
}

/// Every long function without a reason in the workspace's Rust files under `root`.
pub fn offenders(root: &Path) -> std::io::Result<Vec<Long>> {
    let mut out = Vec::new();
    for file in rust_files(root)? {
        // a file that is not UTF-8 is read as far as it is: rustc would refuse it anyway
        let text = String::from_utf8_lossy(&std::fs::read(&file)?).into_owned();
        let shown = file.strip_prefix(root).unwrap_or(&file).to_path_buf();
        out.extend(scan(&text).into_iter().map(|(line, name, lines)| Long {
            file: shown.clone(),
            line,
            name,
            lines,
        }));
    }
    Ok(out)
}

fn rust_files(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir)? {
            let p = e?.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if p.is_dir() {
                // build output and hidden folders (.git, the CI's caches) are not the kit's code
                if name != "target" && !name.starts_with('.') {
                    todo.push(p);
                }
            } else if name.ends_with(".rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `(line, name, length)` of each function of `text` over [`MAX_LINES`] without a reason.
pub fn scan(text: &str) -> Vec<(usize, String, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        let indent = &line[..line.len() - line.trim_start().len()];
        let Some(len) = body_length(&lines[i..], indent) else {
            continue;
        };
        if len > MAX_LINES && !has_reason(&lines[..i]) {
            out.push((i + 1, name.to_owned(), len));
        }
    }
    out
}

/// The function a line starts, if it starts one.
fn fn_name(line: &str) -> Option<&str> {
    let mut rest = line.trim_start();
    if rest.starts_with("pub(") {
        rest = rest.split_once(") ")?.1;
    }
    for word in ["pub ", "const ", "async ", "unsafe ", "extern \"C\" "] {
        rest = rest.strip_prefix(word).unwrap_or(rest);
    }
    let rest = rest.strip_prefix("fn ")?;
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// Lines from the `fn` line to its closing `}`; `None` for a declaration without a body.
fn body_length(from: &[&str], indent: &str) -> Option<usize> {
    let first = from.first()?.trim_end();
    if first.ends_with('}') && first.contains('{') {
        return Some(1);
    }
    let mut opened = false;
    for (n, line) in from.iter().enumerate() {
        let t = line.trim_end();
        if !opened {
            if t.ends_with('{') {
                opened = true;
            } else if t.ends_with(';') {
                return None;
            }
        }
        if opened && n > 0 && t.strip_prefix(indent) == Some("}") {
            return Some(n + 1);
        }
    }
    None
}

/// Whether the comments and attributes right above a function give the reason: a `//`
/// comment (not a doc line) saying "80 lines". Attributes may span lines, as rustfmt lays out
/// `#[when(\n    regex = …\n)]`.
fn has_reason(above: &[&str]) -> bool {
    let mut in_attribute = false;
    for line in above.iter().rev().map(|l| l.trim()) {
        if in_attribute {
            in_attribute = !line.starts_with("#[");
            continue;
        }
        if line.starts_with("//") {
            let doc = line.starts_with("///") || line.starts_with("//!");
            if !doc && line.contains(REASON) {
                return true;
            }
        } else if line.starts_with("#[") {
            // a whole attribute on its line
        } else if line.ends_with(")]") || line == "]" {
            in_attribute = true;
        } else {
            return false;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(head: &str, name: &str, body_lines: usize) -> String {
        let body: String = (0..body_lines)
            .map(|i| format!("    let _x{i} = {i};\n"))
            .collect();
        format!("{head}pub async fn {name}(a: u8) -> Result<(), String> {{\n{body}    Ok(())\n}}\n")
    }

    #[test]
    fn a_long_function_needs_its_reason_above_it() {
        let long = function("/// Does a thing.\n", "long_one", 90);
        let found = scan(&long);
        assert_eq!(found, [(2, "long_one".to_owned(), 93)]);
        // a reason among the doc lines and attributes
        let why = function(
            "/// Does a thing.\n// Longer than 80 lines: one table.\n#[allow(unused)]\n",
            "long_one",
            90,
        );
        assert!(scan(&why).is_empty());
        // a doc line that merely mentions lines is not a reason
        assert_eq!(scan(&function("/// Reads 80 lines.\n", "f", 90)).len(), 1);
        assert_eq!(scan(&function("//! 80 lines.\n", "f", 90)).len(), 1);
        // a reason above an attribute rustfmt spread over lines
        let step = "// Longer than 80 lines: one table.\n#[when(\n    regex = r\"^x$\"\n)]\n";
        assert!(scan(&function(step, "step", 90)).is_empty());
        // code above is not a comment: the search stops there
        assert_eq!(
            scan(&function(
                "// Longer than 80 lines.\nconst X: u8 = 1;\n",
                "f",
                90
            ))
            .len(),
            1
        );
        // at the limit, and a declaration without a body
        assert!(scan(&function("", "short", MAX_LINES - 3)).is_empty());
        assert!(scan("trait T {\n    fn f(&self) -> u8;\n}\n").is_empty());
        // a method: its closing brace is at its own indentation
        let method = format!(
            "impl X {{\n{}}}\n",
            function("", "m", 90)
                .lines()
                .map(|l| format!("    {l}\n"))
                .collect::<String>()
        );
        assert_eq!(scan(&method), [(2, "m".to_owned(), 93)]);
        assert_eq!(fn_name("    pub(crate) const fn x_1() {"), Some("x_1"));
        assert_eq!(fn_name("let f = fn_ptr;"), None);
    }

    #[test]
    fn the_kits_own_code_keeps_the_rule() {
        let long = offenders(&crate::workspace_root()).unwrap();
        assert!(long.is_empty(), "{long:#?}");
    }
}
