//! HIS targets that break the rules of the request/result interface fail the scenario with a
//! message that names the rule and the remedy; the reference HIS (`oqs-his`) passes.

mod common;

use common::run_kit;
use std::path::Path;

const VALID: &str = "^資格有効性「有効」の人をレセコンから確認する$";
const SJIS: &str = "^文字コードがShift-JISの医療機関には、Shift_JISの要求にShift_JISで結果を返す$";
const SAME: &str = "^同じ名前の要求は、前の結果ファイルが取り出されるまで待ち、結果を上書きしない$";
const TAKE_UTF8: &str = "^レセコンはUTF-8の結果ファイルを読み取って取り出す$";
const TAKE_SJIS: &str =
    "^文字コードがShift-JISの医療機関では、レセコンはShift_JISの結果ファイルを読み取って取り出す$";
const TAKE_ZIP: &str = "^レセコンは暗号化ZIPの結果を OQS_CRYPT_PASS で復号して読み取り、取り出す$";
const TAKE_ERROR: &str = "^レセコンはエラーの結果ファイルを読み取り、そのエラーコードを知る$";

fn his_args() -> String {
    r#""--file", "{file}", "--institution", "{institution}", "--date", "{date}", "--arbitrary-id", "{arbitrary_id}", "--insurer", "{insurer}", "--symbol", "{symbol}", "--number", "{number}", "--branch", "{branch}", "--birthdate", "{birthdate}""#.to_owned()
}

/// A target file whose `check` and `take` are given as TOML arrays' contents.
fn target(dir: &Path, check: &str, take: &str) -> std::path::PathBuf {
    let f = dir.join("his.toml");
    std::fs::write(
        &f,
        format!("name = \"test HIS\"\n[his]\ncheck = [{check}]\ntake = [{take}]\n"),
    )
    .unwrap();
    f
}

const HIS: &str = env!("CARGO_BIN_EXE_oqs-his");

fn good_check() -> String {
    let his = HIS;
    format!(
        "\"{}\", \"check\", \"--encoding\", \"{{encoding}}\", {}",
        his,
        his_args()
    )
}

fn good_take() -> String {
    format!("\"{HIS}\", \"take\", \"--file\", \"{{file}}\", \"--crypt-pass\", \"{{crypt_pass}}\"")
}

fn failing(check: &str, take: &str, scenario: &str) -> String {
    let d = tempfile::tempdir().unwrap();
    let (code, out) = run_kit(&target(d.path(), check, take), d.path(), scenario);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("cucumber: 0 passed, 1 failed"), "{out}");
    out
}

#[test]
fn the_reference_his_passes() {
    let d = tempfile::tempdir().unwrap();
    let t = target(d.path(), &good_check(), &good_take());
    let (code, out) = run_kit(
        &t,
        d.path(),
        &format!("{VALID}|{SJIS}|{SAME}|{TAKE_UTF8}|{TAKE_SJIS}|{TAKE_ZIP}|{TAKE_ERROR}"),
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("cucumber: 7 passed, 0 failed"), "{out}");
}

#[test]
fn a_take_that_only_deletes_the_result_fails() {
    let take = r#""sh", "-c", "rm \"$OQS_RES_DIR/{file}\"""#;
    let out = failing(&good_check(), take, TAKE_UTF8);
    assert!(
        out.contains(
            "segment: レセコンは「OQS-KIT segment …」を報告しませんでした（ファイルは「1」）"
        ),
        "{out}"
    );
}

#[test]
fn a_take_that_reads_shift_jis_as_utf8_fails_on_the_name() {
    // reads the file's bytes as UTF-8 whatever its declaration, and reports the name so read
    let take = r#""sh", "-c", "f=\"$OQS_RES_DIR/{file}\"; echo OQS-KIT segment 1; echo OQS-KIT validity 2; printf 'OQS-KIT name '; sed -n 's:.*<Name>\\(.*\\)</Name>.*:\\1:p' \"$f\" | head -n 1 | iconv -f UTF-8 -t UTF-8 -c; rm \"$f\"""#;
    let out = failing(&good_check(), take, TAKE_SJIS);
    assert!(out.contains("name: レセコンは「"), "{out}");
}

#[test]
fn utf8_bytes_under_a_shift_jis_declaration_fail_on_the_cards_symbol() {
    // writes UTF-8, then only changes the declaration: the 記号 (kanji, full-width digits)
    // no longer reads as what the person's card says
    let check = format!(
        r#""sh", "-c", "d=\"$OQS_REQ_DIR/../his-scratch/req\"; mkdir -p \"$d\"; \"$0\" \"$@\" --req-dir \"$d\" >/dev/null && sed 's/encoding=\"UTF-8\"/encoding=\"Shift_JIS\"/' \"$d/{{file}}\" > \"$d/../x.tmp\" && mv \"$d/../x.tmp\" \"$OQS_REQ_DIR/{{file}}\"", {}"#,
        good_check().replace("{encoding}", "UTF-8")
    );
    let out = failing(&check, &good_take(), SJIS);
    assert!(
        out.contains("照会条件") || out.contains("要求として読めません"),
        "{out}"
    );
}

#[test]
fn a_request_written_in_place_is_named_with_the_remedy() {
    let check = r#""sh", "-c", "printf '<?xml version=\"1.0\"?>' > \"$OQS_REQ_DIR/{file}\"""#;
    let out = failing(check, &good_take(), VALID);
    assert!(out.contains("要求フォルダに直接書き込みました"), "{out}");
    assert!(
        out.contains("で書き終えてから要求フォルダへ移動してください"),
        "{out}"
    );
}

#[test]
fn a_temporary_file_inside_req_is_named() {
    let check = format!(
        r#""sh", "-c", "touch \"$OQS_REQ_DIR/{{file}}.part\" && rm \"$OQS_REQ_DIR/{{file}}.part\" && exec \"$0\" \"$@\"", {}"#,
        good_check()
    );
    let out = failing(&check, &good_take(), VALID);
    assert!(out.contains("要求ファイル以外のファイル"), "{out}");
    assert!(out.contains(".part"), "{out}");
}

#[test]
fn a_request_in_another_encoding_than_asked_is_named() {
    // this HIS always writes UTF-8, whatever the site's character code
    let check = good_check().replace("{encoding}", "UTF-8");
    let out = failing(&check, &good_take(), SJIS);
    assert!(
        out.contains("XML宣言は UTF-8 です（Shift_JIS で書くよう求めました）"),
        "{out}"
    );
}

#[test]
fn a_result_left_in_res_is_named() {
    let take = r#""cat", "{res_dir}/{file}""#;
    let out = failing(&good_check(), take, SAME);
    assert!(out.contains("結果フォルダに残しています"), "{out}");
}

#[test]
fn a_request_under_another_name_is_named() {
    // this HIS names every request the same
    let check = good_check().replace(
        "\"--file\", \"{file}\"",
        "\"--file\", \"OQSsiquc01req_FIXED.xml\"",
    );
    let out = failing(&check, &good_take(), VALID);
    assert!(
        out.contains("が現れませんでした（代わりに [\"OQSsiquc01req_FIXED.xml\"] が置かれました）"),
        "{out}"
    );
}

#[test]
fn a_dry_run_names_a_target_program_that_does_not_exist() {
    let d = tempfile::tempdir().unwrap();
    let t = target(
        d.path(),
        r#""bin/acme-his", "send", "{file}""#,
        &good_take(),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_oqs-conformance"))
        .current_dir(d.path())
        .arg("--target")
        .arg(t.file_name().unwrap())
        .args(["--dry-run", "--tags", "@his"])
        .arg("--features")
        .arg(common::root().join("features"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // exit 4: the dry run found problems (conformance/src/runner/error.rs)
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(text.contains("the his check program"), "{text}");
    assert!(text.contains("acme-his is not there"), "{text}");
    // the tag filter holds: only @his scenarios were checked
    let checked: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("dry run: "))
        .and_then(|l| l.split(", ").nth(1))
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{text}"));
    assert!((10..60).contains(&checked), "{text}");
}
