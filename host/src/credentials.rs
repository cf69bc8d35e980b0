//! Credential Manager generic credentials (汎用資格情報), where the linkage app finds
//! `OQS_LOGIN_KEY`, `OQS_MEDICAL_INSTITUTION_CODE`, `OQS_CRYPT_PASS` and `OQS_NAS_LOGIN_KEY`.

use std::io;

/// One generic credential: インターネットまたはネットワークのアドレス (target), ユーザー名, パスワード.
#[derive(Clone, PartialEq, Eq)]
pub struct GenericCredential {
    pub target: String,
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for GenericCredential {
    // Never print a password into a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenericCredential")
            .field("target", &self.target)
            .field("user", &self.user)
            .field("password", &"***")
            .finish()
    }
}

pub trait CredentialManager: Send + Sync {
    /// The credential stored under `target` (matched case-insensitively, as Windows does).
    fn read_generic(&self, target: &str) -> io::Result<Option<GenericCredential>>;
    /// Adds or replaces the credential with the same target.
    fn write_generic(&self, credential: GenericCredential) -> io::Result<()>;
    /// Removes it; false when there was none.
    fn delete_generic(&self, target: &str) -> io::Result<bool>;
    /// Every generic credential, in target order.
    fn list_generic(&self) -> io::Result<Vec<GenericCredential>>;
}
