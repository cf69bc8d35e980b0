//! Operation 6: 認証局の電子証明書をインストールする, and the certificates scenarios assume.

use crate::KitWorld;
use anyhow::{Context, Result, bail, ensure};
use cucumber::gherkin::Step;
use cucumber::{given, then, when};
use oqs_certs::{Authority, ClientSpec, Pki, Validity};
use oqs_host::{CertificateStore, StoreName};
use oqs_proto::institution::{InstitutionCode, InstitutionKind};
use oqs_sim::windows::{ImportOptions, ImportReport, StoreLocation};

/// What operation 6 (認証局の電子証明書をインストールする) leaves on the installer's desk: the
/// certificate file downloaded, the import wizard's state, and how the last import went.
#[derive(Default)]
pub struct CertificateScene {
    pub download: Option<Download>,
    pub wizard: Wizard,
    pub last_import: Option<Result<ImportReport, String>>,
}

/// The certificate file the installer downloaded from the certificate site.
#[derive(Clone)]
pub struct Download {
    pub bytes: Vec<u8>,
    pub password: String,
    pub code: InstitutionCode,
}

/// The state of 証明書のインポートウィザード.
#[derive(Clone, Debug, Default)]
pub struct Wizard {
    pub started: bool,
    pub password: String,
    pub options: ImportOptions,
}

fn my_store(w: &KitWorld) -> Result<Vec<oqs_host::StoredCertificate>> {
    Ok(w.terminal()?.list(StoreName::My)?)
}

#[given(
    regex = r"^医療機関コード「(\d{10})」の電子証明書を証明書パスワード「(\d+)」でダウンロードしてある$"
)]
async fn downloaded(w: &mut KitWorld, code: String, password: String) -> Result<()> {
    let terminal = w.terminal()?.name().to_owned();
    let id = Pki::shared().client(&ClientSpec::new(&code, &terminal));
    w.certificate.download = Some(Download {
        bytes: id.to_pkcs12(&password),
        password,
        code: code.parse()?,
    });
    Ok(())
}

#[given(regex = r"^ダウンロードした電子証明書ファイルが途中で切れている$")]
async fn truncated(w: &mut KitWorld) -> Result<()> {
    let d = w.certificate.download.as_mut().context("no download")?;
    d.bytes.truncate(d.bytes.len() * 2 / 3);
    Ok(())
}

#[when(regex = r"^電子証明書ファイルを右クリックし、PFXのインストールをクリックする$")]
async fn start_wizard(w: &mut KitWorld) -> Result<()> {
    ensure!(
        w.certificate.download.is_some(),
        "電子証明書ファイルがありません"
    );
    w.certificate.wizard = Wizard {
        started: true,
        ..Default::default()
    };
    Ok(())
}

#[when(regex = r"^保存場所は「(.+)」を選択し、次へをクリックする$")]
async fn store_location(w: &mut KitWorld, location: String) -> Result<()> {
    ensure!(w.certificate.wizard.started, "ウィザードが開かれていません");
    w.certificate.wizard.options.location = StoreLocation::from_label(&location)
        .with_context(|| format!("保存場所「{location}」はありません"))?;
    Ok(())
}

#[when(regex = r"^パスワードに証明書パスワード「(.*)」を入力する$")]
async fn wizard_password(w: &mut KitWorld, pw: String) -> Result<()> {
    w.certificate.wizard.password = pw;
    Ok(())
}

#[when(regex = r"^インポートオプションについて、以下の内容を設定する$")]
async fn wizard_options(w: &mut KitWorld, step: &Step) -> Result<()> {
    let table = step.table.as_ref().context("表がありません")?;
    for row in &table.rows {
        let checked = match row[1].as_str() {
            "チェックをする" => true,
            "チェックをしない" => false,
            other => bail!("「{other}」は「チェックをする」か「チェックをしない」です"),
        };
        match row[0].as_str() {
            "秘密キーの保護を強力にする" => {
                w.certificate.wizard.options.strong_protection = checked
            }
            "このキーをエクスポート可能にする" => {
                w.certificate.wizard.options.exportable = checked
            }
            "すべての拡張プロパティを含める" => {
                w.certificate.wizard.options.include_extended_properties = checked
            }
            other => bail!("インポートオプション「{other}」はありません"),
        }
    }
    Ok(())
}

#[when(regex = r"^証明書の種類に基づいて、自動的に証明書ストアを選択する$")]
async fn automatic_store(w: &mut KitWorld) -> Result<()> {
    ensure!(w.certificate.wizard.started, "ウィザードが開かれていません");
    Ok(())
}

fn finish(w: &mut KitWorld, answer: &str) -> Result<()> {
    let d = w.certificate.download.clone().context("no download")?;
    let yes = answer == "はい";
    let r = w.terminal()?.import_pfx(
        &d.bytes,
        &w.certificate.wizard.password,
        w.certificate.wizard.options,
        |_| yes,
    );
    w.screen = match &r {
        Ok(rep) => rep.screens().join("\n"),
        Err(e) => e.to_string(),
    };
    if r.is_ok() {
        w.code = Some(d.code.clone());
    }
    w.certificate.last_import = Some(r.map_err(|e| e.to_string()));
    Ok(())
}

#[when(regex = r"^完了をクリックし、セキュリティ警告で「(はい|いいえ)」をクリックする$")]
async fn finish_wizard(w: &mut KitWorld, answer: String) -> Result<()> {
    ensure!(w.certificate.wizard.started, "ウィザードが開かれていません");
    finish(w, &answer)
}

#[given(
    regex = r"^(?:1に戻り、)?手順書どおりに電子証明書をインポートし、セキュリティ警告で「(はい|いいえ)」をクリックする$"
)]
#[when(
    regex = r"^(?:1に戻り、)?手順書どおりに電子証明書をインポートし、セキュリティ警告で「(はい|いいえ)」をクリックする$"
)]
async fn import_as_manual(w: &mut KitWorld, answer: String) -> Result<()> {
    let d = w.certificate.download.clone().context("no download")?;
    w.certificate.wizard = Wizard {
        started: true,
        password: d.password,
        options: ImportOptions::default(),
    };
    finish(w, &answer)
}

/// Observes: simulator — the fake terminal's personal (My) certificate store
#[then(regex = r"^個人タブに、発行者が「(.+)」と表示されている証明書が登録されている$")]
async fn personal_has(w: &mut KitWorld, issuer: String) -> Result<()> {
    let my = my_store(w)?;
    ensure!(
        my.iter().any(|c| c.issued_by == issuer),
        "個人タブに発行者「{issuer}」の証明書がありません: {my:?}"
    );
    Ok(())
}

/// Observes: simulator — the fake terminal's personal (My) certificate store
#[then(regex = r"^その証明書の発行先は医療機関コード「(\d{10})」である$")]
async fn issued_to(w: &mut KitWorld, code: String) -> Result<()> {
    let my = my_store(w)?;
    ensure!(
        my.len() == 1 && my[0].issued_to == code,
        "発行先が「{code}」ではありません: {my:?}"
    );
    Ok(())
}

/// Observes: simulator — the exportable flag in the fake My certificate store
#[then(regex = r"^その証明書の秘密キーはエクスポートできない$")]
async fn not_exportable(w: &mut KitWorld) -> Result<()> {
    let my = my_store(w)?;
    ensure!(
        my.iter().all(|c| c.private_key.is_some() && !c.exportable),
        "{my:?}"
    );
    Ok(())
}

/// Observes: simulator — certificate dates in the fake My store (the kit's test PKI)
#[then(regex = r"^その証明書の有効期間は「(.+)」から「(.+)」までである$")]
async fn validity(w: &mut KitWorld, from: String, to: String) -> Result<()> {
    let my = my_store(w)?;
    let c = my.first().context("個人タブに証明書がありません")?;
    let f = |t: time::OffsetDateTime| {
        let d = t.to_offset(oqs_host::clock::JST).date();
        format!("{:04}/{:02}/{:02}", d.year(), d.month() as u8, d.day())
    };
    ensure!(
        f(c.not_before) == from && f(c.not_after) == to,
        "{} - {}",
        f(c.not_before),
        f(c.not_after)
    );
    Ok(())
}

/// Observes: simulator — the fake terminal's personal (My) certificate store
#[then(regex = r"^個人タブに電子証明書は登録されていない$")]
async fn personal_empty(w: &mut KitWorld) -> Result<()> {
    let my = my_store(w)?;
    ensure!(my.is_empty(), "個人タブに証明書があります: {my:?}");
    Ok(())
}

fn roots_named(w: &KitWorld, name: &str) -> Result<usize> {
    Ok(w.terminal()?
        .list(StoreName::Root)?
        .iter()
        .filter(|c| c.issued_to == name)
        .count())
}

/// Observes: simulator — the fake terminal's Root certificate store
#[then(regex = r"^信頼されたルート証明機関に「(.+)」が登録されている$")]
async fn root_present(w: &mut KitWorld, name: String) -> Result<()> {
    ensure!(
        roots_named(w, &name)? > 0,
        "「{name}」が信頼されたルート証明機関にありません"
    );
    Ok(())
}

/// Observes: simulator — the fake terminal's Root certificate store
#[then(regex = r"^信頼されたルート証明機関に「(.+)」は登録されていない$")]
async fn root_absent(w: &mut KitWorld, name: String) -> Result<()> {
    ensure!(
        roots_named(w, &name)? == 0,
        "「{name}」が信頼されたルート証明機関にあります"
    );
    Ok(())
}

#[given(
    regex = r"^信頼されたルート証明機関に「Online Billing NW Common Root CA」が登録済みである$"
)]
async fn root_already(w: &mut KitWorld) -> Result<()> {
    let root = oqs_sim::windows::stored(&Pki::shared().root.cert_der, None, false, false)?;
    w.terminal()?.add(StoreName::Root, root)?;
    Ok(())
}

/// Observes: simulator — the sim import's warning, as put in w.screen, and the last import
#[then(regex = r"^セキュリティ警告は表示されない$")]
async fn no_warning(w: &mut KitWorld) -> Result<()> {
    ensure!(!w.screen.contains("セキュリティ警告"), "{}", w.screen);
    ensure!(
        matches!(w.certificate.last_import, Some(Ok(_))),
        "{:?}",
        w.certificate.last_import
    );
    Ok(())
}

#[when(
    regex = r"^Microsoft Edgeの設定から、プライバシー、検索、サービスの証明書の管理をクリックする$"
)]
async fn edge_cert_manager(w: &mut KitWorld) -> Result<()> {
    let my = my_store(w)?;
    w.screen = my
        .iter()
        .map(|c| format!("発行先 {} 発行者 {}", c.issued_to, c.issued_by))
        .collect::<Vec<_>>()
        .join("\n");
    Ok(())
}

/// Installs the terminal's certificate as op 6 does (answering はい), replacing any other:
/// one terminal, one certificate.
pub fn install(w: &mut KitWorld, spec: ClientSpec) -> Result<()> {
    let t = w.terminal()?.clone();
    for c in t.list(StoreName::My)? {
        t.remove(StoreName::My, &c.thumbprint)?;
    }
    let p12 = Pki::shared().client(&spec).to_pkcs12("1357");
    t.import_pfx(&p12, "1357", ImportOptions::default(), |_| true)?;
    w.code = Some(spec.institution_code.parse()?);
    Ok(())
}

#[given(regex = r"^医療機関コード「(\d{10})」の(.*)電子証明書がインストールされている$")]
async fn installed(w: &mut KitWorld, code: String, kind: String) -> Result<()> {
    let terminal = w.terminal()?.name().to_owned();
    let spec = ClientSpec::new(&code, &terminal);
    let spec = match kind.as_str() {
        "" | "利用登録されていない医療機関の" => spec,
        "有効期限切れの" => spec.validity(Validity::Expired),
        "有効期間開始前の" => spec.validity(Validity::NotYetValid),
        "別の認証局が発行した" => spec.authority(Authority::Foreign),
        other => bail!("電子証明書の種類「{other}」は知りません"),
    };
    if kind == "利用登録されていない医療機関の" {
        ensure!(
            !w.sim().registry().is_registered(&code.parse()?),
            "{code} は登録されています"
        );
    }
    install(w, spec)
}

#[given(
    regex = r"^(医科診療所|歯科診療所|薬局|病院)「(\d{10})」の資格確認端末に電子証明書がインストールされている$"
)]
async fn installed_for_kind(w: &mut KitWorld, kind: String, code: String) -> Result<()> {
    let kind = InstitutionKind::from_label(&kind).context("kind")?;
    w.ensure_site(&code.parse()?, kind, false);
    let terminal = w.terminal()?.name().to_owned();
    install(w, ClientSpec::new(&code, &terminal))
}

#[given(
    regex = r"^救急時医療情報閲覧の権限を付与された病院「(\d{10})」の資格確認端末に電子証明書がインストールされている$"
)]
async fn installed_for_emergency_hospital(w: &mut KitWorld, code: String) -> Result<()> {
    w.ensure_site(&code.parse()?, InstitutionKind::Hospital, true);
    let terminal = w.terminal()?.name().to_owned();
    install(w, ClientSpec::new(&code, &terminal))
}

#[given(regex = r"^電子証明書がインストールされていない$")]
async fn none_installed(w: &mut KitWorld) -> Result<()> {
    ensure!(my_store(w)?.is_empty(), "個人タブに証明書があります");
    Ok(())
}

#[when(
    regex = r"^証明書が正しくインストールされていることを確認し、医療機関コード「(\d{10})」の電子証明書をインストールする$"
)]
async fn remedy_install(w: &mut KitWorld, code: String) -> Result<()> {
    let terminal = w.terminal()?.name().to_owned();
    install(w, ClientSpec::new(&code, &terminal))
}
