//! Identifier conversions.

/// Rust keywords that need a raw identifier.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
    "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// `camelCase`/`PascalCase`/anything -> `snake_case` field identifier (raw when a keyword).
pub(crate) fn snake_ident(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    let out = if out.is_empty() {
        "field".to_owned()
    } else {
        out
    };
    let out = if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("f_{out}")
    } else {
        out
    };
    if out == "self" || out == "super" || out == "crate" || out == "extra" {
        format!("{out}_")
    } else if KEYWORDS.contains(&out.as_str()) {
        format!("r#{out}")
    } else {
        out
    }
}

/// `SCREAMING_SNAKE`/`camelCase` -> `PascalCase` variant identifier.
pub(crate) fn pascal_ident(name: &str) -> String {
    let mut out = String::new();
    let all_upper = !name.chars().any(|c| c.is_ascii_lowercase());
    let mut upper_next = true;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            upper_next = true;
            continue;
        }
        if upper_next {
            out.push(c.to_ascii_uppercase());
            upper_next = false;
        } else if all_upper {
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out = format!("V{out}");
    }
    if out == "Self" || out == "Other" {
        out.push('_');
    }
    out
}

/// `PascalCase` -> `snake_case` file stem.
pub(crate) fn file_stem(rust_name: &str) -> String {
    snake_ident(rust_name).trim_start_matches("r#").to_owned()
}

/// Plural of a DHIS2 property name (`category` -> `categories`, `child` -> `children`).
pub(crate) fn plural(name: &str) -> String {
    if name.ends_with('s') {
        name.to_owned()
    } else if name == "child" {
        "children".to_owned()
    } else if let Some(stem) = name.strip_suffix('y') {
        if stem.ends_with(['a', 'e', 'i', 'o', 'u']) {
            format!("{name}s")
        } else {
            format!("{stem}ies")
        }
    } else {
        format!("{name}s")
    }
}

/// Escapes text for a `///` doc line.
pub(crate) fn doc_text(s: &str) -> String {
    s.replace(['\r', '\n'], " ").trim().to_owned()
}
