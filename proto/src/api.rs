//! JSON bodies of the simulated qualification server's web API, shared by the server and every
//! client (the fake Edge, the components). The endpoints are documented in `oqs_sim::qualification`.

use crate::account::AccountKind;
use crate::institution::InstitutionKind;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub user_id: String,
    pub password: String,
}

/// Why the server asks for a new password before anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeReason {
    /// The password is an initial one (from registration or a master reset).
    InitialPassword,
    /// The password is past its expiry (e.g. a master account unused for a while).
    Expired,
}

impl ChangeReason {
    pub fn message(self) -> &'static str {
        match self {
            Self::InitialPassword => "初回ログインのため、パスワードを変更してください",
            Self::Expired => "パスワードの有効期限が切れています。パスワードを変更してください",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub session: String,
    pub user_id: String,
    pub kind: AccountKind,
    /// Set when the session may do nothing but change the password.
    pub password_change_required: Option<ChangeReason>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordChange {
    pub old_password: String,
    pub new_password: String,
    /// 新パスワード（確認）
    pub new_password_confirm: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAccount {
    pub kind: AccountKind,
    pub user_id: String,
    pub user_name: String,
    #[serde(default)]
    pub user_name_kana: String,
}

/// What registration returns (the real system offers it as a PDF download).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedAccount {
    pub user_id: String,
    pub kind: AccountKind,
    pub initial_password: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub user_id: String,
    pub kind: AccountKind,
    pub user_name: String,
    /// RFC 3339, or none when the password never expires.
    pub password_expires_at: Option<String>,
}

/// The master or an admin account unlocks an account locked after wrong passwords.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountUnlock {
    pub user_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterReset {
    /// マスタアカウントリセット用ID: the master ID followed by `R`.
    pub reset_id: String,
    /// 秘密の番号 (4 digits)
    pub secret_number: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstitutionInfo {
    pub code: String,
    pub name: String,
    pub kind: InstitutionKind,
}

/// Every refusal: a stable code for programs, the manual's words for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.code)?;
        for d in &self.details {
            write!(f, "; {d}")?;
        }
        Ok(())
    }
}

/// `POST /web/api/reference-numbers`: 照会番号登録 for one person (the body of `OQSsiimm01req`).
pub use crate::linkage::message::ReferenceNumberRegistration;

/// A bulk request was accepted: the 受付番号 to fetch its result with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkAccepted {
    pub reception_number: String,
    pub count: usize,
}

/// One person of a bulk check, as the server answers it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkCheckItem {
    pub search: crate::qualification::SearchInfo,
    pub result: Result<crate::qualification::QualificationResult, ApiError>,
}

/// The result of a bulk check; `ready` is false while the server is still processing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkCheckDownload {
    pub reception_number: String,
    pub ready: bool,
    pub items: Vec<BulkCheckItem>,
}

/// One person of a bulk reference-number registration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkRegistrationItem {
    pub registration: ReferenceNumberRegistration,
    pub error: Option<ApiError>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkRegistrationDownload {
    pub reception_number: String,
    pub ready: bool,
    pub items: Vec<BulkRegistrationItem>,
}

/// `POST /web/api/card/challenge` → a one-time challenge (hex) the card signs for PIN and
/// smartphone checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardChallenge {
    pub challenge: String,
}

/// `POST /web/api/card/check`: 資格確認 with a My Number Card (or a smartphone carrying one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardCheck {
    pub method: crate::reader::IdentityMethod,
    /// The reader's serial.
    pub reader_serial: String,
    /// 利用者証明用電子証明書 (DER, hex).
    pub certificate: String,
    /// For methods that sign: the challenge and the card's RSA signature over it (hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// The answer to a card check: the qualification and the server-made 16-character
/// `ArbitraryFileIdentifier` of the face result file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardCheckResult {
    pub arbitrary_file_identifier: String,
    pub result: crate::qualification::QualificationResult,
}

/// Lower-case hex, the way binary travels in the kit's JSON bodies.
pub fn hex(bytes: &[u8]) -> String {
    ::hex::encode(bytes)
}

/// The bytes of [`hex()`] text; `None` for anything else.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    ::hex::decode(s).ok()
}

/// `POST /web/api/accounts/bulk` (and the result file back): アカウント一括登録用ファイル as hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBulkUpload {
    pub file: String,
}

/// 登録完了 dialog: 受付番号 and 受付時刻.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBulkAccepted {
    pub reception_number: String,
    pub received_at: String,
}

/// A row of アカウント一括登録結果.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBulkStatus {
    pub reception_number: String,
    /// 登録状況
    pub status: String,
    pub received_at: String,
    pub completed_at: Option<String>,
    /// 処理件数
    pub count: Option<usize>,
    pub downloadable: bool,
}
