//! 資格確認 at a card reader, as operation 12 sections 03–07 run it: the face reader in its
//! 運転モード (face or PIN in 無人運転, staff check in 目視確認, PIN only in 暗証番号認証固定),
//! the generic reader with 目視確認 or the 4-digit PIN, and smartphones (iPhone after its
//! biometrics, Android with the PIN). The card's 利用者証明用電子証明書 goes to the server;
//! for PIN and smartphone checks the card also signs the server's one-time challenge. The
//! answer is shown and, with `OutputFlg=true`, written to `FaceDataDir` for the HIS.
//!
//! Nothing reaches the server until the card part has finished, so a card pulled mid-check
//! or a wrong PIN leaves no half-done check behind.

use crate::bindings::{self, BindingError};
use crate::face_output::{self, FaceOutputError};
use crate::jpki::{CardError, Jpki, sha256_digest_info};
use crate::settings::{DriverSettings, SettingsError};
use oqs_client::{Account, CallError, QualificationClient};
use oqs_host::Host;
use oqs_host::readers::{FaceMatch, ReaderError, ReaderKind, Readers};
use oqs_proto::api::{CardChallenge, CardCheck, CardCheckResult, hex};
use oqs_proto::profile::Profile;
use oqs_proto::reader::{FormFactor, IdentityMethod, ReaderMode};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// What the reader screen shows when a check went through [000 op 12].
pub const COMPLETED: &str = "確認が完了しました";

/// A person logged in at the browser (一般利用者 or 管理者): generic-reader checks run as them.
#[derive(Clone)]
pub struct Operator {
    pub user: String,
    pub password: String,
}

/// One check at one reader.
#[derive(Clone)]
pub struct CheckRequest {
    pub serial: String,
    pub method: IdentityMethod,
    /// 利用者証明用電子証明書の暗証番号 (4 digits), for PIN and Android checks.
    pub pin: Option<String>,
    /// Generic readers: who is logged in at the browser.
    pub operator: Option<Operator>,
}

#[derive(Clone, Debug)]
pub struct CheckOutcome {
    pub message: &'static str,
    pub answer: CardCheckResult,
    pub form: FormFactor,
    /// The face result file written to `FaceDataDir` (`OutputFlg=true`).
    pub face_file: Option<PathBuf>,
}

/// Why a check did not complete; each says what the person at the reader or the installer does.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(
        "シリアル番号「{0}」のカードリーダーが接続されていません。電源とケーブルを確認してください"
    )]
    NotAttached(String),
    #[error(
        "顔認証付きカードリーダー（シリアル番号「{0}」）が顔認証用アカウントに紐付いていません（ReaderInfo.ini に登録がありません）。ログイン名管理ツールで新規追加し、ログイン名・パスワード・シリアル番号を登録してください"
    )]
    Unbound(String),
    #[error(
        "汎用カードリーダーでの資格確認は、一般利用者または管理者でログインしてから行ってください"
    )]
    NoOperator,
    #[error(
        "汎用カードリーダーでは顔認証はできません。目視確認または暗証番号で本人確認してください"
    )]
    NoCamera,
    #[error("運転モードが「{}」のため、{}による本人確認はできません。{}", .mode.label(), .method.label(), mode_hint(*.mode))]
    ModeForbids {
        mode: ReaderMode,
        method: IdentityMethod,
    },
    #[error("スマートフォンでの資格確認は汎用カードリーダーで行ってください")]
    SmartphoneAtFaceReader,
    #[error("{}のボタンが選ばれましたが、読み取ったのは{}です。画面で{}のボタンを選び直してください", .chosen.label(), .found.label(), .found.label())]
    WrongCarrier {
        chosen: IdentityMethod,
        found: FormFactor,
    },
    #[error("暗証番号は4桁の数字で入力してください")]
    PinFormat,
    #[error(
        "顔認証できませんでした。もう一度カメラを見るか、暗証番号を入力して本人確認してください"
    )]
    FaceNotMatched,
    #[error(transparent)]
    Card(#[from] CardError),
    #[error(transparent)]
    Bindings(#[from] BindingError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("{0}")]
    Server(#[from] CallError),
    #[error(transparent)]
    FaceOutput(#[from] FaceOutputError),
}

fn mode_hint(mode: ReaderMode) -> &'static str {
    match mode {
        ReaderMode::PinFixed => "暗証番号を入力してください",
        ReaderMode::Visual => "職員が目視で本人確認してください",
        ReaderMode::Unattended => "顔認証または暗証番号で本人確認してください",
    }
}

impl From<ReaderError> for CheckError {
    fn from(e: ReaderError) -> Self {
        Self::Card(CardError::Reader(e))
    }
}

type SharedClient = Arc<tokio::sync::Mutex<QualificationClient>>;

/// The driver of one terminal: its readers, its disk, and a kept connection per account.
pub struct Driver {
    host: Arc<dyn Host>,
    readers: Arc<dyn Readers>,
    profile: Profile,
    /// institution/account → (the password it logs in with, its client). Each client has its
    /// own lock, so a slow server answer for one account holds up no other reader.
    clients: std::sync::Mutex<HashMap<String, (String, SharedClient)>>,
}

impl Driver {
    pub fn new(host: Arc<dyn Host>, readers: Arc<dyn Readers>, profile: Profile) -> Self {
        Self {
            host,
            readers,
            profile,
            clients: Default::default(),
        }
    }

    pub fn readers(&self) -> &Arc<dyn Readers> {
        &self.readers
    }

    pub fn host(&self) -> &Arc<dyn Host> {
        &self.host
    }

    /// Runs one check end to end.
    pub async fn check(&self, req: &CheckRequest) -> Result<CheckOutcome, CheckError> {
        let settings = DriverSettings::load(self.host.as_ref(), &self.profile)?;
        face_output::preflight(self.host.as_ref(), &settings)?;
        let entry = self
            .readers
            .list()
            .into_iter()
            .find(|r| r.serial == req.serial)
            .ok_or_else(|| CheckError::NotAttached(req.serial.clone()))?;
        let account = self.account_for(&entry.kind, req)?;

        // The card part: everything the server needs, before anything is sent.
        let mut ch = self.readers.connect(&entry.name)?;
        let mut card = Jpki::select(ch.as_mut())?;
        let form = card.form_factor()?;
        let expected = match req.method {
            IdentityMethod::IPhone => FormFactor::IPhone,
            IdentityMethod::Android => FormFactor::Android,
            _ => FormFactor::Card,
        };
        if form != expected {
            return Err(CheckError::WrongCarrier {
                chosen: req.method,
                found: form,
            });
        }
        let certificate = card.auth_certificate()?;
        self.identify(req, &entry.name, &mut card)?;

        let client = self.client_for(&settings, &account);
        let mut client = client.lock().await;
        let (challenge, signature) = if req.method.signs_challenge() {
            let c: CardChallenge = client.call::<(), _>("POST", "card/challenge", None).await?;
            let sig = card.sign_with_auth_key(&sha256_digest_info(c.challenge.as_bytes()))?;
            (Some(c.challenge), Some(hex(&sig)))
        } else {
            (None, None)
        };
        // the card part is over: release the card before waiting on the server
        drop(ch);
        let body = CardCheck {
            method: req.method,
            reader_serial: req.serial.clone(),
            certificate: hex(&certificate),
            challenge,
            signature,
        };
        let answer: CardCheckResult = client.call("POST", "card/check", Some(&body)).await?;
        let code = client
            .settings
            .as_ref()
            .map(|s| s.character_code)
            .unwrap_or_default();
        drop(client);

        let face_file =
            face_output::write(self.host.as_ref(), &settings, &req.serial, code, &answer)?;
        Ok(CheckOutcome {
            message: COMPLETED,
            answer,
            form,
            face_file,
        })
    }

    /// The person proves the card is theirs as the method asks: the face reader's match, the
    /// PIN (4 digits, the card not blocked), or nothing more (目視確認, iPhone).
    fn identify(
        &self,
        req: &CheckRequest,
        reader: &str,
        card: &mut Jpki<'_>,
    ) -> Result<(), CheckError> {
        match req.method {
            IdentityMethod::Face => {
                if self.readers.face_match(reader)? == FaceMatch::NotMatched {
                    return Err(CheckError::FaceNotMatched);
                }
            }
            IdentityMethod::Pin | IdentityMethod::Android => {
                let pin = req.pin.as_deref().unwrap_or_default();
                if pin.len() != 4 || !pin.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(CheckError::PinFormat);
                }
                if card.auth_pin_tries_left()? == 0 {
                    return Err(CardError::Blocked.into());
                }
                card.verify_auth_pin(pin)?;
            }
            IdentityMethod::Visual | IdentityMethod::IPhone => {}
        }
        Ok(())
    }

    /// The kept connection of an institution and account: after a change of the institution
    /// code the old connection (old certificate, old session) is not reused, nor a client
    /// holding a password the login-name tool has since changed.
    fn client_for(&self, settings: &DriverSettings, account: &Account) -> SharedClient {
        let key = format!("{}/{}", settings.institution, account.user);
        let mut clients = self.clients.lock().unwrap_or_else(|e| e.into_inner());
        match clients.get(&key) {
            Some((password, c)) if *password == account.password => c.clone(),
            _ => {
                let c = Arc::new(tokio::sync::Mutex::new(QualificationClient::new(
                    self.host.clone(),
                    settings.institution.clone(),
                    account.clone(),
                    "OqsFaceApp (oqs-kit)",
                )));
                clients.insert(key, (account.password.clone(), c.clone()));
                c
            }
        }
    }

    /// Which account the check runs as, and whether the reader's mode allows the method.
    fn account_for(&self, kind: &ReaderKind, req: &CheckRequest) -> Result<Account, CheckError> {
        match kind {
            ReaderKind::Face => {
                if req.method.is_smartphone() {
                    return Err(CheckError::SmartphoneAtFaceReader);
                }
                let info = bindings::load(self.host.as_ref())?;
                let b = info
                    .readers
                    .get(&req.serial)
                    .ok_or_else(|| CheckError::Unbound(req.serial.clone()))?;
                let allowed = match b.mode {
                    ReaderMode::Unattended => {
                        matches!(req.method, IdentityMethod::Face | IdentityMethod::Pin)
                    }
                    ReaderMode::Visual => {
                        matches!(req.method, IdentityMethod::Visual | IdentityMethod::Pin)
                    }
                    ReaderMode::PinFixed => req.method == IdentityMethod::Pin,
                };
                if !allowed {
                    return Err(CheckError::ModeForbids {
                        mode: b.mode,
                        method: req.method,
                    });
                }
                Ok(Account {
                    user: b.login_name.clone(),
                    password: b.password.clone(),
                    what: "顔認証用アカウント",
                    remedy: "ログイン名管理ツールでこのカードリーダーのログイン名・パスワードを確認してください（顔認証用アカウントのパスワードは変更しないでください）",
                })
            }
            ReaderKind::Generic => {
                if req.method == IdentityMethod::Face {
                    return Err(CheckError::NoCamera);
                }
                let op = req.operator.as_ref().ok_or(CheckError::NoOperator)?;
                Ok(Account {
                    user: op.user.clone(),
                    password: op.password.clone(),
                    what: "アカウント",
                    remedy: "ユーザID・パスワードを確認してください",
                })
            }
        }
    }
}
