//! The HTML report and the merge of several runs' Cucumber JSON (a sharded CI matrix).
//!
//! One self-contained page: per manual (the feature's `@seed-NNN` tag) → feature → scenario,
//! failures first; each step with its outcome, the manual entries it plays (`# m: <id>` above
//! it → the manual's heading) and, for a failure, the error with the World seed the runner
//! printed. Durations are left out, so a merged sharded run renders the same body as
//! the unsharded run of the same seed.

use crate::coverage::ManualSteps;
use serde_json::Value;
use std::collections::BTreeMap;

/// Several Cucumber JSON reports as one: features by `uri`, scenarios by line (background
/// elements stay before their scenario).
pub fn merge(reports: &[Value]) -> Value {
    let mut by_uri: BTreeMap<String, Value> = BTreeMap::new();
    for r in reports {
        for f in r.as_array().into_iter().flatten() {
            let uri = f["uri"].as_str().unwrap_or_default().to_owned();
            let entry = by_uri.entry(uri).or_insert_with(|| {
                let mut g = f.clone();
                g["elements"] = Value::Array(Vec::new());
                g
            });
            if let Some(els) = entry["elements"].as_array_mut() {
                els.extend(f["elements"].as_array().into_iter().flatten().cloned());
            }
        }
    }
    let features = by_uri
        .into_values()
        .map(|mut f| {
            if let Some(els) = f["elements"].as_array_mut() {
                // a background element shares its scenario's line; it comes first
                els.sort_by_key(|e| {
                    (
                        e["line"].as_u64().unwrap_or(0),
                        u8::from(e["type"] != "background"),
                    )
                });
            }
            f
        })
        .collect();
    Value::Array(features)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn element_passed(e: &Value) -> bool {
    ["before", "steps", "after"].iter().all(|k| {
        e[*k]
            .as_array()
            .into_iter()
            .flatten()
            .all(|s| s["result"]["status"] == "passed")
    })
}

/// Every scenario element of a feature with whether it passed. A failed background step is
/// written to the background element on the scenario's line (the scenario element then has
/// no steps), so it counts against that scenario.
pub fn scenarios(feature: &Value) -> Vec<(Value, bool)> {
    let els: Vec<&Value> = feature["elements"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    els.iter()
        .filter(|e| e["type"] == "scenario")
        .map(|e| {
            let background_ok = els
                .iter()
                .filter(|b| b["type"] == "background" && b["line"] == e["line"])
                .all(|b| element_passed(b));
            ((*e).clone(), background_ok && element_passed(e))
        })
        .collect()
}

/// The steps of the scenario at `line`: its background's (the background element on the same
/// line, wherever the report put it) first, then its own.
pub fn steps_at<'a>(feature: &'a Value, line: &'a Value) -> impl Iterator<Item = &'a Value> {
    let at = move |background: bool| {
        feature["elements"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(move |e| e["line"] == *line && (e["type"] == "background") == background)
            .flat_map(|e| e["steps"].as_array().into_iter().flatten())
    };
    at(true).chain(at(false))
}

fn tags(v: &Value) -> Vec<String> {
    v["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            t["name"]
                .as_str()
                .map(|s| s.trim_start_matches('@').to_owned())
        })
        .collect()
}

/// What the runner kept of each failed scenario beside its steps (World seed, screen, the
/// simulated services' logs), by `<feature path relative to the features folder>:<line>`.
pub type ServiceLogs = BTreeMap<String, String>;

/// The folder, beside `report.html`, with the last screen of each `@browser` scenario.
pub const SCREENS: &str = "screens";

/// The file name of the last screen of the scenario at `rel:line`.
pub fn screen_file(rel: &str, line: usize) -> String {
    format!("{}-{line}.png", rel.replace(['/', '\\', '.'], "_"))
}

/// The screen file of the scenario at `uri` (as cucumber reports it) and `line`, if kept.
fn screen_of(screens: &BTreeMap<String, String>, uri: &str, line: &Value) -> Option<String> {
    screens.iter().find_map(|(key, file)| {
        let (rel, l) = key.rsplit_once(':')?;
        (is_feature(uri, rel) && Some(l) == line.as_u64().map(|n| n.to_string()).as_deref())
            .then(|| file.clone())
    })
}

/// The file a run keeps its [`ServiceLogs`] in, beside `cucumber.json`.
pub const SERVICE_LOGS: &str = "service-logs.json";

/// Whether cucumber's `uri` of a feature is the feature at `rel` (relative to the features
/// folder): the same path, or ending in `/` + it.
pub fn is_feature(uri: &str, rel: &str) -> bool {
    let uri = uri.replace('\\', "/");
    uri == rel || uri.ends_with(&format!("/{rel}"))
}

/// The logs of the scenario at `uri` (as cucumber reports it) and `line`.
fn logs_of<'a>(logs: &'a ServiceLogs, uri: &str, line: &Value) -> Option<&'a str> {
    logs.iter().find_map(|(key, text)| {
        let (rel, l) = key.rsplit_once(':')?;
        (is_feature(uri, rel) && Some(l) == line.as_u64().map(|n| n.to_string()).as_deref())
            .then_some(text.as_str())
    })
}

/// What the page shows beside the run's Cucumber JSON.
#[derive(Default)]
pub struct Context<'a> {
    /// The manuals' entries, for the headings of claims.
    pub manual: Option<&'a ManualSteps>,
    /// Goes into the header (seeds, kit version) and nowhere else.
    pub header: &'a str,
    pub logs: ServiceLogs,
    /// The last screen kept of each `@browser` scenario, `rel:line` → file under [`SCREENS`].
    pub screens: BTreeMap<String, String>,
    /// The claims of each feature file, by its path relative to the features folder.
    pub claims: BTreeMap<String, std::sync::Arc<crate::claims::FileClaims>>,
    /// The run's facts (verdict, date, commit, command line, target programs' digests).
    pub run: crate::evidence::RunInfo,
    /// The failures the manifest lists, with their reasons.
    pub expected: Vec<crate::evidence::Expected>,
}

/// The claims of the feature at `uri` (as cucumber reports it).
fn claims_of<'a>(
    ctx: &'a Context<'_>,
    uri: &str,
) -> Option<&'a std::sync::Arc<crate::claims::FileClaims>> {
    ctx.claims
        .iter()
        .find_map(|(rel, c)| is_feature(uri, rel).then_some(c))
}

/// The page: one section per manual, failing features and scenarios first.
pub fn html(report: &Value, ctx: &Context<'_>) -> String {
    let page = Page {
        ctx,
        headings: ctx
            .manual
            .map(|m| {
                let entries = m.step.iter();
                entries
                    .map(|e| (e.id.as_str(), e.heading.as_str()))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let titles: BTreeMap<&str, &str> = ctx
        .manual
        .map(|m| {
            let manuals = m.manual.iter();
            manuals
                .map(|x| (x.seed.as_str(), x.title.as_str()))
                .collect()
        })
        .unwrap_or_default();
    // manual → features
    let mut groups: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for f in report.as_array().into_iter().flatten() {
        let seed = tags(f)
            .iter()
            .find_map(|t| t.strip_prefix("seed-").map(str::to_owned))
            .unwrap_or_else(|| "other".into());
        groups.entry(seed).or_default().push(f);
    }
    let mut tally = Tally::default();
    let mut body = String::new();
    for (seed, features) in &mut groups {
        let title = titles.get(seed.as_str()).copied().unwrap_or("");
        body.push_str(&page.manual(seed, title, features, &mut tally));
    }
    let expected = match tally.expected {
        0 => String::new(),
        n => format!(", {n} expected failure(s)"),
    };
    format!(
        "<!doctype html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>oqs-kit conformance</title>\n<style>\
body{{font-family:sans-serif;margin:2em}}small{{color:#666}}details{{margin:.2em 0 .2em 1em}}\
.fail>summary{{color:#b00;font-weight:bold}}.xfail>summary{{color:#a60;font-weight:bold}}.pass>summary{{color:#070}}li.failed{{color:#b00}}\
li.skipped{{color:#a60}}pre{{background:#f6f6f6;padding:.5em;white-space:pre-wrap}}ul.claims{{color:#345}}\
table.run td{{padding:0 .6em;vertical-align:top}}table.run td:first-child{{color:#666}}\
</style>\n<script>/* printed, every scenario shows its steps */window.addEventListener('beforeprint',()=>document.querySelectorAll('details').forEach(d=>d.open=true));</script>\n\
</head><body>\n<h1>oqs-kit conformance: {} scenarios, {} failed{expected}</h1>\n<p>{}</p>\n{}{body}</body></html>\n",
        tally.total,
        tally.failed,
        esc(ctx.header),
        run_table(&ctx.run)
    )
}

/// Scenarios counted for the page's heading.
#[derive(Default)]
struct Tally {
    total: usize,
    failed: usize,
    expected: usize,
}

/// What every part of the page looks things up in.
struct Page<'a> {
    ctx: &'a Context<'a>,
    /// manual entry id → its heading
    headings: BTreeMap<&'a str, &'a str>,
}

impl Page<'_> {
    /// A manual's section: its heading with the counts, then its features, failing first.
    fn manual(
        &self,
        seed: &str,
        title: &str,
        features: &mut [&Value],
        tally: &mut Tally,
    ) -> String {
        let ctx = self.ctx;
        features.sort_by_key(|f| {
            (
                scenarios(f).iter().all(|(_, ok)| *ok),
                f["uri"].as_str().unwrap_or_default().to_owned(),
            )
        });
        let (mut all, mut bad, mut xfail) = (0, 0, 0);
        for f in features.iter() {
            let uri = f["uri"].as_str().unwrap_or_default();
            for (e, ok) in scenarios(f) {
                all += 1;
                let line = e["line"].as_u64().unwrap_or(0) as usize;
                if !ok {
                    bad += 1;
                    if crate::evidence::expected_reason(&ctx.expected, uri, line).is_some() {
                        xfail += 1;
                    }
                }
            }
        }
        tally.total += all;
        tally.failed += bad - xfail;
        tally.expected += xfail;
        let xfails = match xfail {
            0 => String::new(),
            n => format!(", {n} expected failure(s)"),
        };
        let mut out = format!(
            "<h2>{} {}<small> — {all} scenarios, {} failed{xfails}</small></h2>\n",
            esc(seed),
            esc(title),
            bad - xfail,
        );
        for f in features.iter() {
            out.push_str(&self.feature(f));
        }
        out
    }

    /// A feature: its name and place, then its scenarios, failing first.
    fn feature(&self, f: &Value) -> String {
        let mut es = scenarios(f);
        es.sort_by_key(|(e, ok)| (*ok, e["line"].as_u64().unwrap_or(0)));
        let uri = f["uri"].as_str().unwrap_or_default();
        // the feature's path in the kit's checkout, not this machine's folder
        let shown = self
            .ctx
            .claims
            .keys()
            .find(|rel| is_feature(uri, rel))
            .map_or_else(|| uri.to_owned(), |rel| format!("features/{rel}"));
        let mut out = format!(
            "<h3>{}<small> {}</small></h3>\n",
            esc(f["name"].as_str().unwrap_or_default()),
            esc(&shown)
        );
        for (e, ok) in &es {
            out.push_str(&self.scenario(f, e, *ok));
        }
        out
    }

    /// A scenario: ✓, ✗ or ⚠ with the manifest's reason; its steps with the manual entries
    /// each claims and any error; the browser's last screen; a failure's services' logs.
    fn scenario(&self, f: &Value, e: &Value, ok: bool) -> String {
        let ctx = self.ctx;
        let uri = f["uri"].as_str().unwrap_or_default();
        let line = e["line"].as_u64().unwrap_or(0) as usize;
        let xfail = (!ok)
            .then(|| crate::evidence::expected_reason(&ctx.expected, uri, line))
            .flatten();
        let (class, mark) = match (ok, xfail) {
            (true, _) => ("pass", "✓".to_owned()),
            (false, Some(why)) => ("xfail", format!("⚠ expected failure ({}):", esc(why))),
            (false, None) => ("fail", "✗".to_owned()),
        };
        let open = if ok { "" } else { " open" };
        let mut out = format!(
            "<details class=\"{class}\"{open}><summary>{mark} {} <small>:{}</small></summary>\n<ol>\n",
            esc(e["name"].as_str().unwrap_or_default()),
            e["line"]
        );
        let file_claims = claims_of(ctx, uri);
        for s in steps_at(f, &e["line"]) {
            out.push_str(&self.step(s, file_claims));
        }
        out.push_str("</ol>");
        if let Some(file) = screen_of(&ctx.screens, uri, &e["line"]) {
            let what = if ok {
                "the last screen in the browser"
            } else {
                "the last screen the browser showed before the failure (after its last page load or click)"
            };
            out.push_str(&format!(
                "<details class=\"screen\"{open}><summary>{what}</summary><img src=\"{SCREENS}/{}\" alt=\"{what}\" style=\"max-width:100%;border:1px solid #ccc\"></details>",
                esc(&file)
            ));
        }
        if !ok && let Some(text) = logs_of(&ctx.logs, uri, &e["line"]) {
            out.push_str(&format!(
                "<details class=\"logs\"><summary>World and simulated services at the end of the scenario</summary><pre>{}</pre></details>",
                esc(text)
            ));
        }
        out.push_str("</details>\n");
        out
    }

    /// A step with its status, the manual entries claimed on its line, and its error.
    fn step(
        &self,
        s: &Value,
        claims: Option<&std::sync::Arc<crate::claims::FileClaims>>,
    ) -> String {
        let status = s["result"]["status"].as_str().unwrap_or("unknown");
        let mut out = format!(
            "<li class=\"{status}\">{} {}",
            esc(s["keyword"].as_str().unwrap_or_default()),
            esc(s["name"].as_str().unwrap_or_default())
        );
        let line = s["line"].as_u64().unwrap_or(0) as usize;
        if let Some(ids) = claims.and_then(|c| c.by_line.get(&line)) {
            let items: Vec<String> = ids
                .iter()
                .map(|id| {
                    let heading = self.headings.get(id.as_str()).copied().unwrap_or("");
                    format!("<li><code>{}</code> {}</li>", esc(id), esc(heading))
                })
                .collect();
            out.push_str(&format!("<ul class=\"claims\">{}</ul>", items.join("")));
        }
        if let Some(msg) = s["result"]["error_message"].as_str() {
            out.push_str(&format!("<pre>{}</pre>", esc(msg)));
        }
        out.push_str("</li>\n");
        out
    }
}

fn run_table(run: &crate::evidence::RunInfo) -> String {
    if run.lines.is_empty() {
        return String::new();
    }
    let rows: String = run
        .lines
        .iter()
        .map(|(k, v)| {
            format!(
                "<tr><td>{}</td><td><code>{}</code></td></tr>",
                esc(k),
                esc(v)
            )
        })
        .collect();
    format!("<table class=\"run\">{rows}</table>\n")
}

/// The page without its header line (what a merged sharded run shares with the whole run).
pub fn body_of(page: &str) -> &str {
    page.find("<h2>").map_or(page, |i| &page[i..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn el(line: u64, status: &str) -> Value {
        json!({"type":"scenario","line":line,"name":format!("s{line}"),"tags":[],
               "steps":[{"keyword":"ならば","name":"x <y>","line":line + 1,"result":{"status":status,"error_message": if status == "failed" {"boom & <b>"} else {""}}}]})
    }

    fn feature(uri: &str, elements: Vec<Value>) -> Value {
        json!({"uri":uri,"name":uri,"tags":[{"name":"@seed-000"}],"elements":elements})
    }

    #[test]
    fn a_failed_scenario_carries_the_world_and_service_logs_a_passed_one_does_not() {
        let f = feature(
            "/x/features/linkage/a.feature",
            vec![el(3, "failed"), el(9, "passed")],
        );
        let logs = ServiceLogs::from([
            (
                "linkage/a.feature:3".to_owned(),
                "World seed: 42\nプロキシ <403>".to_owned(),
            ),
            ("linkage/a.feature:9".to_owned(), "not shown".to_owned()),
        ]);
        let page = html(
            &json!([f]),
            &Context {
                logs,
                ..Context::default()
            },
        );
        assert!(
            page.contains("World seed: 42\nプロキシ &lt;403&gt;"),
            "{page}"
        );
        assert!(!page.contains("not shown"), "{page}");
    }

    #[test]
    fn merged_shards_render_the_same_body_as_the_whole_run() {
        let whole = json!([
            feature("a.feature", vec![el(3, "passed"), el(9, "failed")]),
            feature("b.feature", vec![el(4, "passed")])
        ]);
        let shard1 = json!([feature("a.feature", vec![el(9, "failed")])]);
        let shard2 = json!([
            feature("b.feature", vec![el(4, "passed")]),
            feature("a.feature", vec![el(3, "passed")])
        ]);
        let merged = merge(&[shard1, shard2]);
        let ctx = |header| Context {
            header,
            ..Context::default()
        };
        let a = html(&whole, &ctx("seed 1"));
        let b = html(&merged, &ctx("seeds 1, 1"));
        assert_eq!(body_of(&a), body_of(&b));
        assert!(a.contains("3 scenarios, 1 failed"));
        // failures first, escaped
        let fail_at = a.find("✗ s9").unwrap();
        assert!(fail_at < a.find("✓ s3").unwrap());
        assert!(a.contains("boom &amp; &lt;b&gt;") && a.contains("x &lt;y&gt;"));
    }

    #[test]
    fn a_failed_background_step_fails_its_scenario() {
        let f = json!({"uri":"a.feature","name":"a","tags":[],"elements":[
            {"type":"background","line":7,"steps":[{"keyword":"前提","name":"b","result":{"status":"failed","error_message":"bg broke"}}]},
            {"type":"scenario","line":7,"name":"s7","before":[{"result":{"status":"passed"}}],"steps":[]}
        ]});
        assert_eq!(
            scenarios(&f).iter().map(|(_, ok)| *ok).collect::<Vec<_>>(),
            [false]
        );
        let page = html(&json!([f]), &Context::default());
        assert!(
            page.contains("1 scenarios, 1 failed") && page.contains("bg broke"),
            "{page}"
        );
    }

    #[test]
    fn a_steps_claims_show_the_manuals_heading() {
        let m = crate::coverage::ManualSteps::parse(
            "[[manual]]\nseed = \"000\"\ntitle = \"セットアップ\"\n[[step]]\nid = \"000-op3-05\"\nheading = \"今すぐ更新をクリックします\"\nkind = \"step\"\n",
        )
        .unwrap();
        let claims =
            crate::claims::parse("機能: a\n  シナリオ: s3\n    # m: 000-op3-05\n    ならば x\n");
        let page = html(
            &json!([feature("/x/features/a.feature", vec![el(3, "passed")])]),
            &Context {
                manual: Some(&m),
                claims: BTreeMap::from([("a.feature".to_owned(), std::sync::Arc::new(claims))]),
                ..Context::default()
            },
        );
        assert!(
            page.contains("000-op3-05</code> 今すぐ更新をクリックします"),
            "{page}"
        );
        assert!(page.contains("000 セットアップ"));
    }
}
