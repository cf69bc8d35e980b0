//! The fake Windows terminal (資格確認端末): a temp directory standing in for `C:\`, the
//! current user's certificate stores and Credential Manager, and the Windows settings the
//! manuals touch (users, power, proxy and WinHTTP, Task Scheduler, Edge, apps, shares), all as
//! real files behind the `oqs-host` traits.
//!
//! | module | what it plays |
//! |---|---|
//! | [`actions`] | what a person does on Windows in operation 2: .NET 4.8, the face library installer, Edge extensions |
//! | [`edge`] | the in-process Edge: the portal over mTLS with the terminal's certificate |
//! | [`time`] | the Windows time service: internet time from an NTP server |
//!
//! The terminal's disk and stores are an [`oqs_host::dir::TerminalDir`] (layout there), so a
//! component started as its own process can open the same terminal.

pub mod actions;
pub mod edge;
pub mod time;

use oqs_certs::pkcs12::{self, Pkcs12Error};
use oqs_host::certificates::{CertificateStore, StoreName};
use oqs_host::credentials::CredentialManager;
use oqs_host::dir::TerminalDir;
use oqs_host::files::Files;
use oqs_host::{Clock, Host, Resolver};
use std::io;
use std::path::Path;
use std::sync::Arc;

pub struct FakeTerminal {
    name: String,
    dir: TerminalDir,
}

/// The terminal's files, credentials and stores are its directory's.
impl std::ops::Deref for FakeTerminal {
    type Target = TerminalDir;
    fn deref(&self) -> &TerminalDir {
        &self.dir
    }
}

impl std::fmt::Debug for FakeTerminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeTerminal")
            .field("name", &self.name)
            .field("root", &self.dir.root())
            .finish()
    }
}

impl FakeTerminal {
    /// A terminal whose disk lives under `root` (created if missing).
    pub fn open(
        name: &str,
        root: &Path,
        clock: Arc<dyn Clock>,
        names: Arc<dyn Resolver>,
    ) -> io::Result<Self> {
        let fresh = !root.join("state").exists();
        let t = Self {
            name: name.into(),
            dir: TerminalDir::open(root, clock, names)?,
        };
        if fresh {
            // the computer as delivered: Windows' defaults, written out so it can be read
            let mut w = oqs_host::WindowsState::fresh();
            w.apps.push(oqs_host::windows::InstalledApp {
                name: "Microsoft Edge".into(),
                version: "120.0".into(),
                installed_by: None,
            });
            oqs_host::SystemSettings::save(&t.dir, &w)?;
            // Windows ships with public roots; the kit's web root stands for them.
            t.add(
                StoreName::Root,
                stored(
                    &oqs_certs::Pki::shared().web_root.cert_der,
                    None,
                    false,
                    false,
                )?,
            )?;
        }
        Ok(t)
    }

    /// コンピューター名
    pub fn name(&self) -> &str {
        &self.name
    }

    /// 証明書のインポートウィザード for a `.p12`/`.pfx` file [000 op6 01].
    ///
    /// `answer_security_warning` is asked only when the file's root CA is not yet trusted
    /// (セキュリティ警告); answering no (いいえ) aborts the whole import, as the manual warns.
    pub fn import_pfx(
        &self,
        data: &[u8],
        password: &str,
        options: ImportOptions,
        mut answer_security_warning: impl FnMut(&SecurityWarning) -> bool,
    ) -> Result<ImportReport, ImportError> {
        let p = pkcs12::import(data, password).map_err(ImportError::Pkcs12)?;
        let leaf = stored(
            &p.cert_der,
            Some(p.key_der.clone()),
            options.exportable,
            options.strong_protection,
        )?;
        let (my, root) = match options.location {
            StoreLocation::CurrentUser => (StoreName::My, StoreName::Root),
            StoreLocation::LocalMachine => (StoreName::MachineMy, StoreName::MachineRoot),
        };
        let mut trusted = self.list(StoreName::Root)?;
        trusted.extend(self.list(StoreName::MachineRoot)?);
        let mut new_roots = Vec::new();
        for ca in &p.chain_der {
            let info = oqs_certs::inspect(ca)
                .map_err(|e| ImportError::Pkcs12(Pkcs12Error::Malformed(e.to_string())))?;
            let thumb = oqs_certs::thumbprint(ca);
            if info.is_ca
                && info.issuer == info.subject
                && !trusted.iter().any(|t| t.thumbprint == thumb)
            {
                new_roots.push((ca.clone(), info, thumb));
            }
        }
        let mut security_warning_shown = false;
        for (_, info, thumb) in &new_roots {
            security_warning_shown = true;
            let warning = SecurityWarning {
                issuer: info.common_name.clone(),
                thumbprint: thumb.clone(),
            };
            if !answer_security_warning(&warning) {
                return Err(ImportError::RootDeclined {
                    issuer: warning.issuer,
                });
            }
        }
        for (der, _, _) in new_roots {
            self.add(root, stored(&der, None, false, false)?)?;
        }
        let report = ImportReport {
            thumbprint: leaf.thumbprint.clone(),
            issued_to: leaf.issued_to.clone(),
            issued_by: leaf.issued_by.clone(),
            security_warning_shown,
            strong_protection_prompt_shown: options.strong_protection,
        };
        self.add(my, leaf)?;
        Ok(report)
    }
}

pub use oqs_certs::store::stored;

/// Why 証明書のエクスポート ウィザード could not export with the private key.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("個人ストアに拇印「{0}」の証明書がありません")]
    NotFound(String),
    #[error(
        "「はい、秘密キーをエクスポートします」を選べません: この証明書の秘密キーはエクスポート可能に設定されていません（インポート時に「このキーをエクスポート可能にする」をオフにしたため）。ダウンロードした電子証明書ファイル（.p12）をそのままバックアップしてください"
    )]
    NotExportable,
    #[error("証明書ストアを読めません: {0}")]
    Io(#[from] io::Error),
}

/// What the export wizard shows when it is done [003 10: 「「正しくエクスポートされました。」が
/// 表示され「OK」をクリックします」].
pub const EXPORT_DONE: &str = "正しくエクスポートされました。";

impl FakeTerminal {
    /// certmgr.msc → 個人 → すべてのタスク → エクスポート \[003\]: PKCS#12 with the private key and
    /// the chain, protected by `password`.
    pub fn export_pfx(&self, thumbprint: &str, password: &str) -> Result<Vec<u8>, ExportError> {
        let c = self
            .list(StoreName::My)?
            .into_iter()
            .find(|c| c.thumbprint == thumbprint)
            .ok_or_else(|| ExportError::NotFound(thumbprint.into()))?;
        let key = match (&c.private_key, c.exportable) {
            (Some(k), true) => k.clone(),
            _ => return Err(ExportError::NotExportable),
        };
        let mut trusted = self.list(StoreName::Root)?;
        trusted.extend(self.list(StoreName::MachineRoot)?);
        let chain = trusted
            .into_iter()
            .filter(|r| r.issued_to == c.issued_by)
            .map(|r| r.der)
            .collect();
        let id = oqs_certs::Identity {
            cert_der: c.der.clone(),
            cert_pem: String::new(),
            key_der: key,
            key_pem: String::new(),
            chain_der: chain,
        };
        Ok(pkcs12::export(&id, password, pkcs12::Cipher::Aes256))
    }
}

/// 保存場所 of the import wizard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StoreLocation {
    /// 現在のユーザー (the manual's choice)
    #[default]
    CurrentUser,
    /// ローカル コンピューター
    LocalMachine,
}

impl StoreLocation {
    pub fn from_label(s: &str) -> Option<Self> {
        match s.trim() {
            "現在のユーザー" => Some(Self::CurrentUser),
            "ローカル コンピューター" | "ローカルコンピューター" => {
                Some(Self::LocalMachine)
            }
            _ => None,
        }
    }
}

/// The wizard's choices. The manual's values are the default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportOptions {
    /// 保存場所 (manual: 現在のユーザー)
    pub location: StoreLocation,
    /// 秘密キーの保護を強力にする (manual: チェックをしない)
    pub strong_protection: bool,
    /// このキーをエクスポート可能にする (manual: チェックをしない)
    pub exportable: bool,
    /// すべての拡張プロパティを含める (manual: チェックをする). Kept for an audit of the
    /// wizard's choices; the kit's certificates carry no extended properties to lose.
    pub include_extended_properties: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            location: StoreLocation::CurrentUser,
            strong_protection: false,
            exportable: false,
            include_extended_properties: true,
        }
    }
}

/// セキュリティ警告: "about to install a certificate from a CA claiming to represent …".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityWarning {
    pub issuer: String,
    pub thumbprint: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportReport {
    pub thumbprint: String,
    pub issued_to: String,
    pub issued_by: String,
    pub security_warning_shown: bool,
    /// 新しい秘密交換キーをインポートします (only with strong protection).
    pub strong_protection_prompt_shown: bool,
}

impl ImportReport {
    /// The wizard's screens a person saw, in order, in the seeds' words (000 op6: 「セキュリティ
    /// 警告」, 「新しい秘密交換キーをインポートします」, 「9 正しくインポートされました。 が表示されます」).
    pub fn screens(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.security_warning_shown {
            out.push("セキュリティ警告");
        }
        if self.strong_protection_prompt_shown {
            out.push("新しい秘密交換キーをインポートします");
        }
        out.push("正しくインポートされました。");
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Pkcs12(Pkcs12Error),
    #[error(
        "インストール中止: 「{issuer}」を信頼されたルート証明機関に登録しなかったため、電子証明書はセットアップされていません。1に戻り、再セットアップしてください"
    )]
    RootDeclined { issuer: String },
    #[error("証明書ストアに書き込めません: {0}")]
    Io(#[from] io::Error),
}

impl Host for FakeTerminal {
    fn files(&self) -> &dyn Files {
        &self.dir
    }
    fn credentials(&self) -> &dyn CredentialManager {
        &self.dir
    }
    fn certificates(&self) -> &dyn CertificateStore {
        &self.dir
    }
    fn clock(&self) -> &dyn Clock {
        self.dir.clock()
    }
    fn names(&self) -> &dyn Resolver {
        self.dir.names()
    }
    fn system(&self) -> &dyn oqs_host::SystemSettings {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SimClock;
    use crate::names::NameTable;
    use oqs_certs::{ClientSpec, Pki};

    fn terminal(dir: &Path) -> FakeTerminal {
        FakeTerminal::open(
            "T1",
            dir,
            Arc::new(SimClock::default()),
            Arc::new(NameTable::new()),
        )
        .unwrap()
    }

    fn p12() -> Vec<u8> {
        Pki::shared()
            .client(&ClientSpec::new("1312345678", "T1"))
            .to_pkcs12("1357")
    }

    #[test]
    fn import_adds_leaf_and_root_and_declining_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let t = terminal(dir.path());
        let p12 = p12();
        let e = t
            .import_pfx(&p12, "1357", ImportOptions::default(), |_| false)
            .unwrap_err();
        assert!(matches!(e, ImportError::RootDeclined { .. }));
        assert!(t.list(StoreName::My).unwrap().is_empty());
        let roots = |t: &FakeTerminal| {
            t.list(StoreName::Root)
                .unwrap()
                .into_iter()
                .map(|c| c.issued_to)
                .collect::<Vec<_>>()
        };
        assert_eq!(roots(&t), vec![oqs_certs::WEB_ROOT_NAME.to_string()]);

        let r = t
            .import_pfx(&p12, "1357", ImportOptions::default(), |_| true)
            .unwrap();
        assert!(r.security_warning_shown);
        assert_eq!(r.issued_by, oqs_certs::ROOT_CA_NAME);
        let my = t.list(StoreName::My).unwrap();
        assert_eq!(my.len(), 1);
        assert!(my[0].private_key.is_some() && !my[0].exportable);
        assert!(roots(&t).contains(&oqs_certs::ROOT_CA_NAME.to_string()));
        // second time the root is trusted already: no warning
        let r = t
            .import_pfx(&p12, "1357", ImportOptions::default(), |_| panic!("asked"))
            .unwrap();
        assert!(!r.security_warning_shown);
    }

    #[test]
    fn wrong_password_imports_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let t = terminal(dir.path());
        let p12 = p12();
        let e = t
            .import_pfx(&p12, "2468", ImportOptions::default(), |_| true)
            .unwrap_err();
        assert!(
            e.to_string().contains("パスワードが正しくありません"),
            "{e}"
        );
        assert!(t.list(StoreName::My).unwrap().is_empty());
    }
}
