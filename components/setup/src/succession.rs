//! 医療機関コードの変更 on the terminal \[001\]: the old certificate out of the Personal store,
//! the readers unbound (`InitializeFace.bat` or deleting `ReaderInfo.ini`), the new certificate
//! chosen among the downloads (the newest `.p12`, and never one for the old code) and backed
//! up, `OQS_MEDICAL_INSTITUTION_CODE` changed.

use oqs_host::certificates::StoreName;
use oqs_host::credentials::GenericCredential;
use oqs_host::{Host, WinPath};
use oqs_proto::linkage::config::{OQS_ADMIN, OQS_MEDICAL_INSTITUTION_CODE};
use oqs_proto::reader::ReaderInfo;
use std::io;
use std::path::{Path, PathBuf};

/// The script of the succession manual that unbinds every reader of the terminal.
pub const INITIALIZE_FACE: &str = r"C:\Work\InitializeFace.bat";

#[derive(Debug, thiserror::Error)]
pub enum SuccessionError {
    #[error("「{0}」に .p12 ファイルがありません。証明書発行サイトからダウンロードしてください")]
    NoDownload(String),
    #[error(
        "「{file}」を開けません: {reason}。ダウンロード時に設定したパスワードを確認してください"
    )]
    Unreadable { file: String, reason: String },
    #[error(
        "「{file}」は旧医療機関コード「{found}」の電子証明書です。新しい医療機関コード「{want}」の発行通知で、更新日時が最も新しいファイルをダウンロードし直してください"
    )]
    WrongCode {
        file: String,
        found: String,
        want: String,
    },
    #[error(
        "{INITIALIZE_FACE} がありません。C:\\ProgramData\\OQS-Auth\\ReaderInfo.ini を削除してください"
    )]
    NoScript,
    #[error("端末を読み書きできません: {0}")]
    Io(#[from] io::Error),
}

/// Step 4: deletes the Personal store's certificates of `old_code` issued by the common root;
/// returns how many.
pub fn delete_old_certificates(host: &dyn Host, old_code: &str) -> io::Result<usize> {
    let store = host.certificates();
    let mut n = 0;
    for c in store.list(StoreName::My)? {
        if c.issued_to == old_code && c.issued_by == oqs_proto::institution::ROOT_CA_NAME {
            n += usize::from(store.remove(StoreName::My, &c.thumbprint)?);
        }
    }
    Ok(n)
}

/// What `InitializeFace.bat` shows when it ends: seed 001 ④ says 「初期化完了が表示されたら
/// 【Enter】キーを押下でアプリが終了します」.
pub const INITIALIZED: &str = "初期化完了";

/// What the kit's stand-in shows for an answer other than `1`: the seed says nothing of it, so
/// the words are the kit's and say so.
pub const NOT_INITIALIZED: &str = "[kit] 「1」以外が入力されたため、初期化しませんでした";

/// Step 5: `InitializeFace.bat`, answering `input` to its prompt; `1` deletes `ReaderInfo.ini`
/// (every reader of the terminal is unbound), anything else cancels. Returns what the tool
/// shows at its end ([`INITIALIZED`] or [`NOT_INITIALIZED`]).
pub fn initialize_face(host: &dyn Host, input: &str) -> Result<&'static str, SuccessionError> {
    let script = WinPath::parse(INITIALIZE_FACE).expect("constant path");
    if !host.files().resolve(&script)?.exists() {
        return Err(SuccessionError::NoScript);
    }
    if input.trim() != "1" {
        return Ok(NOT_INITIALIZED);
    }
    let info = host
        .files()
        .resolve(&WinPath::parse(ReaderInfo::FILE).expect("constant path"))?;
    match std::fs::remove_file(info) {
        Ok(()) => Ok(INITIALIZED),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(INITIALIZED),
        Err(e) => Err(e.into()),
    }
}

/// Step 6: the newest `.p12` (by modification time) in `downloads`, refused when it is for
/// another institution code than `new_code`.
pub fn pick_certificate(
    downloads: &Path,
    password: &str,
    new_code: &str,
) -> Result<PathBuf, SuccessionError> {
    let newest = std::fs::read_dir(downloads)?
        .filter_map(Result::ok)
        .filter(|e| {
            e.path()
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("p12"))
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max_by_key(|(t, _)| *t)
        .map(|(_, p)| p)
        .ok_or_else(|| SuccessionError::NoDownload(downloads.display().to_string()))?;
    let file = newest.display().to_string();
    let bytes = std::fs::read(&newest)?;
    let p = oqs_host::pki::pkcs12::import(&bytes, password).map_err(|e| {
        SuccessionError::Unreadable {
            file: file.clone(),
            reason: e.to_string(),
        }
    })?;
    let found = oqs_host::pki::inspect(&p.cert_der)
        .map(|i| i.common_name)
        .unwrap_or_default();
    if found != new_code {
        return Err(SuccessionError::WrongCode {
            file,
            found,
            want: new_code.into(),
        });
    }
    Ok(newest)
}

/// Step 6: copies the certificate to each backup place (a desktop folder, external media).
pub fn back_up(p12: &Path, places: &[&Path]) -> io::Result<Vec<PathBuf>> {
    let name = p12.file_name().unwrap_or_default();
    let source = p12.canonicalize()?;
    places
        .iter()
        .map(|dir| {
            std::fs::create_dir_all(dir)?;
            let to = dir.join(name);
            // copying a file onto itself empties it: the one copy of a key that cannot be
            // exported again must never be lost that way
            if to.canonicalize().is_ok_and(|t| t == source) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "バックアップ先「{}」は電子証明書ファイルのある場所です。別のフォルダ・外部媒体を選んでください",
                        dir.display()
                    ),
                ));
            }
            std::fs::copy(p12, &to)?;
            Ok(to)
        })
        .collect()
}

/// Step 10: `OQS_MEDICAL_INSTITUTION_CODE` gets the new code.
pub fn set_institution_code(host: &dyn Host, new_code: &str) -> io::Result<()> {
    host.credentials().write_generic(GenericCredential {
        target: OQS_MEDICAL_INSTITUTION_CODE.into(),
        user: OQS_ADMIN.into(),
        password: new_code.into(),
    })
}
