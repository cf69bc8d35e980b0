//! Operation 12 (part): 資格確認 by typed insurance data (資格確認書 / 処方箋).

use crate::KitWorld;
use anyhow::{Context, Result, ensure};
use cucumber::{given, then, when};
use oqs_proto::qualification::{QualificationResult, QualificationValidity};

#[given(regex = r"^照会する被保険者は資格有効性が「(.+)」となる人である$")]
async fn person(w: &mut KitWorld, validity: String) -> Result<()> {
    let v = QualificationValidity::from_label(&validity)
        .with_context(|| format!("資格有効性「{validity}」はありません"))?;
    let example = w.sim().registry().insured.example(v);
    w.portal.search = Some(example);
    Ok(())
}

#[given(regex = r"^資格有効性が「有効」で保険者番号が6桁の人を、6桁のまま入力する$")]
async fn six_digits(w: &mut KitWorld) -> Result<()> {
    let example = w.sim().registry().insured.example_six_digit_insurer();
    w.portal.search = Some(example);
    Ok(())
}

#[given(regex = r"^その人の生年月日を「(.+)」と入力する$")]
async fn birthdate(w: &mut KitWorld, b: String) -> Result<()> {
    w.portal
        .search
        .as_mut()
        .context("照会する人がいません")?
        .birthdate = b;
    Ok(())
}

#[when(regex = r"^保険者番号、記号、番号、枝番、生年月日を入力して資格確認をする$")]
async fn lookup(w: &mut KitWorld) -> Result<()> {
    let q = w.portal.search.clone().context("照会する人がいません")?;
    match w
        .call::<_, QualificationResult>("POST", "qualification", Some(&q))
        .await
    {
        Ok(r) => {
            w.screen = format!("資格有効性 {}", r.qualification_validity.label());
            for rec in &r.result_list {
                w.screen.push_str(&format!(
                    "\n{} {} {}",
                    rec.name, rec.insurer_name, rec.birthdate
                ));
            }
            w.portal.lookup = Some(r);
        }
        Err(e) => {
            w.show_failure(&e);
            w.portal.lookup = None;
        }
    }
    Ok(())
}

/// Observes: simulator — the qualification server's lookup answer (w.portal.lookup)
#[then(regex = r"^資格有効性は「(.+)」と表示される$")]
async fn validity(w: &mut KitWorld, want: String) -> Result<()> {
    let r = w
        .portal
        .lookup
        .as_ref()
        .with_context(|| format!("照会できませんでした: {}", w.screen))?;
    ensure!(
        r.qualification_validity.label() == want,
        "資格有効性は「{}」です",
        r.qualification_validity.label()
    );
    Ok(())
}

/// Observes: simulator — the qualification server's lookup answer (w.portal.lookup)
#[then(regex = r"^資格情報が(\d+)件表示される$")]
async fn count(w: &mut KitWorld, n: usize) -> Result<()> {
    let r = w.portal.lookup.as_ref().context("照会していません")?;
    ensure!(r.result_list.len() == n, "{}件です", r.result_list.len());
    Ok(())
}
