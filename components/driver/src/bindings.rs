//! The face library's login-name tool (ログイン名管理ツール): which face reader (by serial)
//! logs in with which face account, kept in `C:\ProgramData\OQS-Auth\ReaderInfo.ini`, and the
//! states the succession manual names — 接続中, 未接続, and readers not yet registered
//! (「どのログイン名にも登録されていないCaoraがN台接続されています」 → 新規追加). 撤去 unbinds a reader;
//! deleting the file (InitializeFace.bat) unbinds every reader of the terminal.

use oqs_host::readers::{ReaderKind, Readers};
use oqs_host::{Host, WinPath};
use oqs_proto::account::AccountKind;
use oqs_proto::institution::InstitutionKind;
use oqs_proto::reader::{ReaderBinding, ReaderInfo, ReaderInfoError, ReaderMode};
use std::io;

/// A reader's state in the login-name tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindingState {
    /// 接続中: registered and connected
    Connected,
    /// 未接続: registered, not connected
    NotConnected,
    /// Connected, not registered (新規追加 to register). The seed names no state for such a
    /// reader, only the tool's notice ([`notice`]); 「未登録」 is the kit's label.
    Unregistered,
}

impl BindingState {
    pub fn label(self) -> &'static str {
        match self {
            Self::Connected => "接続中",
            Self::NotConnected => "未接続",
            Self::Unregistered => "未登録",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BindingError {
    #[error(transparent)]
    Format(#[from] ReaderInfoError),
    #[error("ReaderInfo.ini を読み書きできません: {0}")]
    Io(#[from] io::Error),
    #[error(
        "シリアル番号「{0}」の顔認証付きカードリーダーは接続されていません。電源とケーブルを確認してください"
    )]
    NotAttached(String),
    #[error("シリアル番号「{0}」のカードリーダーは既に登録されています")]
    AlreadyRegistered(String),
    #[error("シリアル番号「{0}」のカードリーダーは登録されていません")]
    NotRegistered(String),
    #[error(
        "シリアル番号「{0}」のカードリーダーは接続中のため撤去できません。電源を切ってケーブルを外し、「未接続」になってから撤去してください"
    )]
    StillConnected(String),
    #[error(
        "ログイン名「{0}」は顔認証用アカウントではありません。F0（薬局は F1）で始まる顔認証用アカウントを入力してください"
    )]
    NotAFaceAccount(String),
}

fn file() -> WinPath {
    WinPath::parse(ReaderInfo::FILE).expect("constant path")
}

/// Reads ReaderInfo.ini; no file means no reader is registered.
pub fn load(host: &dyn Host) -> Result<ReaderInfo, BindingError> {
    match host.files().read_if_exists(&file())? {
        Some(b) => Ok(ReaderInfo::parse(&b)?),
        None => Ok(ReaderInfo::default()),
    }
}

fn save(host: &dyn Host, info: &ReaderInfo) -> Result<(), BindingError> {
    host.files().write_file(&file(), &info.to_bytes())?;
    Ok(())
}

/// Every face reader the tool knows of or sees, with its state, by serial.
pub fn states(
    host: &dyn Host,
    readers: &dyn Readers,
) -> Result<Vec<(String, BindingState)>, BindingError> {
    let info = load(host)?;
    let attached: Vec<String> = readers
        .list()
        .into_iter()
        .filter(|r| r.kind == ReaderKind::Face)
        .map(|r| r.serial)
        .collect();
    let mut out: Vec<(String, BindingState)> = info
        .readers
        .keys()
        .map(|s| {
            let st = if attached.contains(s) {
                BindingState::Connected
            } else {
                BindingState::NotConnected
            };
            (s.clone(), st)
        })
        .collect();
    for s in attached {
        if !info.readers.contains_key(&s) {
            out.push((s, BindingState::Unregistered));
        }
    }
    Ok(out)
}

/// The notice the tool shows above its list when face readers are connected but bound to no
/// login name, in seed 001's words (⑤ of step 12): 「どのログイン名にも登録されていない
/// CaoraがN台接続されています」. The seed's reader is Fujitsu's Caora, which the kit's face
/// reader plays. `None` when every connected reader is registered.
pub fn notice(states: &[(String, BindingState)]) -> Option<String> {
    let n = states
        .iter()
        .filter(|(_, s)| *s == BindingState::Unregistered)
        .count();
    (n > 0).then(|| format!("どのログイン名にも登録されていないCaoraが{n}台接続されています"))
}

/// 新規追加: binds a connected, unregistered face reader to a face account.
pub fn add(
    host: &dyn Host,
    readers: &dyn Readers,
    serial: &str,
    login_name: &str,
    password: &str,
) -> Result<(), BindingError> {
    let face = [InstitutionKind::Clinic, InstitutionKind::Pharmacy]
        .map(|k| AccountKind::Face.id_prefix(k).unwrap_or("F0"));
    if !face.iter().any(|p| login_name.starts_with(p)) {
        return Err(BindingError::NotAFaceAccount(login_name.into()));
    }
    if !readers
        .list()
        .iter()
        .any(|r| r.serial == serial && r.kind == ReaderKind::Face)
    {
        return Err(BindingError::NotAttached(serial.into()));
    }
    let mut info = load(host)?;
    if info.readers.contains_key(serial) {
        return Err(BindingError::AlreadyRegistered(serial.into()));
    }
    info.readers.insert(
        serial.into(),
        ReaderBinding {
            login_name: login_name.into(),
            password: password.into(),
            mode: ReaderMode::default(),
        },
    );
    save(host, &info)
}

/// 撤去: unbinds a reader that is no longer connected.
pub fn remove(host: &dyn Host, readers: &dyn Readers, serial: &str) -> Result<(), BindingError> {
    let mut info = load(host)?;
    if !info.readers.contains_key(serial) {
        return Err(BindingError::NotRegistered(serial.into()));
    }
    if readers.list().iter().any(|r| r.serial == serial) {
        return Err(BindingError::StillConnected(serial.into()));
    }
    info.readers.remove(serial);
    save(host, &info)
}

/// ログイン名管理ツールでパスワードを変更: the face account's password of a registered reader.
pub fn set_password(host: &dyn Host, serial: &str, password: &str) -> Result<(), BindingError> {
    let mut info = load(host)?;
    let b = info
        .readers
        .get_mut(serial)
        .ok_or_else(|| BindingError::NotRegistered(serial.into()))?;
    b.password = password.into();
    save(host, &info)
}

/// 運転モード of a registered face reader (顔認証付きカードリーダー操作).
pub fn set_mode(host: &dyn Host, serial: &str, mode: ReaderMode) -> Result<(), BindingError> {
    let mut info = load(host)?;
    let b = info
        .readers
        .get_mut(serial)
        .ok_or_else(|| BindingError::NotRegistered(serial.into()))?;
    b.mode = mode;
    save(host, &info)
}
