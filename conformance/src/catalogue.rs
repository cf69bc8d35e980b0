//! The step definitions as `build.rs` read them from `src/steps/*.rs`: what the dry run needs
//! to know about a definition beyond its regex — whether it takes the captures its regex has,
//! whether it does anything, and what a `then` observes (its doc comment's first line,
//! `Observes: component — …`, `Observes: browser — …` or `Observes: simulator — …`).

/// What a `then` step reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Observes {
    /// The simulator's own state or wording: the World answering itself.
    Simulator,
    /// What a real browser (Chromium) rendered of the simulator's pages, read as a person
    /// reads it: the portal's screens, the browser's own error pages.
    Browser,
    /// Output a component produced (a file's bytes, a network answer, an exit status, the
    /// text its own report shows).
    Component,
}

/// One `#[given]`/`#[when]`/`#[then]` attribute and the function it sits on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepDef {
    /// The file's name under `src/steps`.
    pub file: &'static str,
    /// The attribute's line (what cucumber records as the step's location).
    pub line: usize,
    pub fn_line: usize,
    pub function: &'static str,
    pub keyword: &'static str,
    pub regex: &'static str,
    /// Captures the function takes (its parameters but the World and a `&Step`).
    pub params: usize,
    /// The body is only `Ok(())` (and `let _ = x;`).
    pub does_nothing: bool,
    pub observes: Option<Observes>,
    /// From `steps/test_only.rs`: compiled only into the crate's own tests.
    pub test_only: bool,
}

pub static STEP_DEFS: &[StepDef] = include!(concat!(env!("OUT_DIR"), "/step_catalogue.rs"));

impl StepDef {
    /// `steps/linkage.rs:207 (start_with_fault)`, for messages.
    pub fn place(&self) -> String {
        format!(
            "conformance/src/steps/{}:{} ({})",
            self.file, self.line, self.function
        )
    }
}

/// The definition cucumber found for a step, by the location it reports.
pub fn at(loc: &cucumber::step::Location) -> Option<&'static StepDef> {
    let file = std::path::Path::new(loc.path).file_name()?.to_str()?;
    STEP_DEFS
        .iter()
        .find(|d| d.file == file && (d.line..=d.fn_line).contains(&(loc.line as usize)))
}

/// The definitions of the kit's step library (without the crate's test-only ones).
pub fn library() -> impl Iterator<Item = &'static StepDef> {
    STEP_DEFS.iter().filter(|d| !d.test_only)
}

/// What is wrong with a definition whatever the features say: captures its function takes
/// that its regex does not have (cucumber would fail the step at run time, and only then), a
/// `then` that does not say what it observes.
pub fn definition_problems<'a>(
    defs: impl IntoIterator<Item = &'a StepDef>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for d in defs {
        match cucumber::codegen::Regex::new(d.regex) {
            Ok(re) => {
                let groups = re.captures_len() - 1;
                if d.params > groups {
                    out.push((
                        d.place(),
                        format!(
                            "#[{}(regex = {:?})] has {groups} group(s) but its function takes {} value(s) (is this another function's attribute?)",
                            d.keyword, d.regex, d.params
                        ),
                    ));
                }
            }
            Err(e) => out.push((
                d.place(),
                format!("the regex {:?} is invalid: {e}", d.regex),
            )),
        }
        if d.keyword == "then" && d.observes.is_none() {
            out.push((
                d.place(),
                "this then (ならば) step definition does not say what it observes (first doc comment line: `Observes: component — …`, `Observes: browser — …` or `Observes: simulator — …`)".into(),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(regex: &'static str, params: usize) -> StepDef {
        StepDef {
            file: "x.rs",
            line: 1,
            fn_line: 2,
            function: "f",
            keyword: "given",
            regex,
            params,
            does_nothing: false,
            observes: None,
            test_only: false,
        }
    }

    #[test]
    fn the_catalogue_has_every_definition_of_the_collection() {
        assert!(STEP_DEFS.len() > 300, "{}", STEP_DEFS.len());
        assert!(STEP_DEFS.iter().any(|d| d.keyword == "then"));
    }

    #[test]
    fn a_regex_with_fewer_groups_than_the_function_takes_is_miswired() {
        let p = definition_problems(&[
            def(r"^OQSComAppRestart を実行する$", 2),
            def(r"^(\d+)件$", 1),
        ]);
        // the catalogue reads parameters and regexes as written: the test-only step is caught,
        // the library is clean
        let caught = definition_problems(STEP_DEFS);
        assert_eq!(caught.len(), 1, "{caught:?}");
        assert!(caught[0].0.contains("test_only.rs") && caught[0].0.contains("miswired"));
        assert!(definition_problems(library()).is_empty());
        let fault = library()
            .find(|d| d.function == "start_with_fault")
            .unwrap();
        assert_eq!(fault.params, 2);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].1.contains("0 group(s)") && p[0].1.contains("2 value(s)"),
            "{p:?}"
        );
    }

    #[test]
    fn a_then_must_say_what_it_observes() {
        let mut d = def("^x$", 0);
        d.keyword = "then";
        assert_eq!(definition_problems(std::slice::from_ref(&d)).len(), 1);
        let nothing = STEP_DEFS
            .iter()
            .find(|d| d.function == "does_nothing")
            .unwrap();
        assert!(nothing.does_nothing && nothing.test_only);
        assert!(!library().any(|d| d.function == "start_with_fault" && d.does_nothing));
        d.observes = Some(Observes::Simulator);
        assert!(definition_problems(&[d]).is_empty());
    }
}
