//! Reads the step definitions in `src/steps/*.rs` and writes a catalogue of them
//! (`$OUT_DIR/step_catalogue.rs`, included by `src/catalogue.rs`): for each `#[given]`,
//! `#[when]` or `#[then]` attribute, its place, regex, how many captures the function takes,
//! whether the function does anything at all, and (for a `then`) what its doc comment says it
//! observes. The dry run uses it to refuse claims on steps that cannot play them.

use std::fmt::Write as _;
use std::path::Path;
use syn::spanned::Spanned;

fn main() {
    let dir = Path::new("src/steps");
    println!("cargo::rerun-if-changed=src/steps");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("src/steps")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for path in files {
        println!("cargo::rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("a step file");
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for item in file.items {
            if let syn::Item::Fn(f) = item {
                entries(&name, &f, &mut out);
            }
        }
    }
    out.push_str("]\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("step_catalogue.rs");
    std::fs::write(dest, out).unwrap();
}

fn entries(file: &str, f: &syn::ItemFn, out: &mut String) {
    let observes = f
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .find_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .and_then(|first| {
            let rest = first.trim().strip_prefix("Observes:")?.trim_start();
            Some(if rest.starts_with("component") {
                "Some(Observes::Component)"
            } else if rest.starts_with("browser") {
                "Some(Observes::Browser)"
            } else if rest.starts_with("simulator") {
                "Some(Observes::Simulator)"
            } else {
                "None"
            })
        })
        .unwrap_or("None");
    // captures the function takes: every parameter but the World and a `&Step`
    let params = f
        .sig
        .inputs
        .iter()
        .skip(1)
        .filter(|p| match p {
            syn::FnArg::Typed(t) => !is_step_ref(&t.ty),
            syn::FnArg::Receiver(_) => false,
        })
        .count();
    let does_nothing = f.block.stmts.iter().all(trivial);
    let fn_line = f.sig.fn_token.span().start().line;
    for a in &f.attrs {
        let Some(keyword) = ["given", "when", "then"]
            .into_iter()
            .find(|k| a.path().is_ident(k))
        else {
            continue;
        };
        let mut regex = None;
        let _ = a.parse_nested_meta(|m| {
            if m.path.is_ident("regex") || m.path.is_ident("expr") {
                regex = Some(m.value()?.parse::<syn::LitStr>()?.value());
            }
            Ok(())
        });
        if regex.is_none() {
            regex = a.parse_args::<syn::LitStr>().ok().map(|s| s.value());
        }
        let regex = regex.unwrap_or_default();
        let _ = writeln!(
            out,
            "    StepDef {{ file: {file:?}, line: {}, fn_line: {fn_line}, function: {:?}, keyword: {keyword:?}, regex: {regex:?}, params: {params}, does_nothing: {does_nothing}, observes: {observes}, test_only: {} }},",
            a.span().start().line,
            f.sig.ident.to_string(),
            file == "test_only.rs",
        );
    }
}

fn is_step_ref(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Reference(r) => match &*r.elem {
            syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "Step"),
            _ => false,
        },
        _ => false,
    }
}

/// A statement that does nothing: `Ok(())`, `let _ = …;` of a plain name, or an empty `;`.
fn trivial(s: &syn::Stmt) -> bool {
    match s {
        syn::Stmt::Expr(e, _) => is_ok_unit(e),
        syn::Stmt::Local(l) => {
            matches!(l.pat, syn::Pat::Wild(_))
                && l.init
                    .as_ref()
                    .is_none_or(|i| matches!(&*i.expr, syn::Expr::Path(_)))
        }
        _ => false,
    }
}

fn is_ok_unit(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Call(c) => {
            matches!(&*c.func, syn::Expr::Path(p) if p.path.is_ident("Ok"))
                && c.args.len() == 1
                && matches!(&c.args[0], syn::Expr::Tuple(t) if t.elems.is_empty())
        }
        syn::Expr::Return(r) => r.expr.as_deref().is_none_or(is_ok_unit),
        _ => false,
    }
}
