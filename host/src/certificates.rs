//! Certificate stores, as `certmgr.msc` (current user) and `certlm.msc` (local computer) show
//! them. Browsers offer client certificates from the current user's 個人 store only, which is
//! why the manual insists on 「現在のユーザー」.

use std::io;
use time::OffsetDateTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StoreName {
    /// 個人 (CurrentUser\My): the client certificate with its private key.
    My,
    /// 信頼されたルート証明機関 (CurrentUser\Root).
    Root,
    /// ローカル コンピューター\個人 (LocalMachine\My).
    MachineMy,
    /// ローカル コンピューター\信頼されたルート証明機関 (LocalMachine\Root); the current user
    /// trusts these too.
    MachineRoot,
}

pub const ALL_STORES: [StoreName; 4] = [
    StoreName::My,
    StoreName::Root,
    StoreName::MachineMy,
    StoreName::MachineRoot,
];

impl StoreName {
    pub fn label(self) -> &'static str {
        match self {
            Self::My => "個人",
            Self::Root => "信頼されたルート証明機関",
            Self::MachineMy => "ローカル コンピューター\\個人",
            Self::MachineRoot => "ローカル コンピューター\\信頼されたルート証明機関",
        }
    }
}

/// A certificate in a store, with the columns the store's list shows.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredCertificate {
    /// 発行先: the subject's common name.
    pub issued_to: String,
    /// 発行者: the issuer's common name.
    pub issued_by: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// SHA-1 of the DER, upper-case hex, as Windows shows a thumbprint.
    pub thumbprint: String,
    pub der: Vec<u8>,
    /// PKCS#8 DER of the private key, for the Personal store's own certificates.
    pub private_key: Option<Vec<u8>>,
    /// The import wizard's 「このキーをエクスポート可能にする」.
    pub exportable: bool,
    /// The import wizard's 「秘密キーの保護を強力にする」.
    pub strong_protection: bool,
}

impl std::fmt::Debug for StoredCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCertificate")
            .field("issued_to", &self.issued_to)
            .field("issued_by", &self.issued_by)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .field("thumbprint", &self.thumbprint)
            .field("has_private_key", &self.private_key.is_some())
            .finish()
    }
}

pub trait CertificateStore: Send + Sync {
    fn list(&self, store: StoreName) -> io::Result<Vec<StoredCertificate>>;
    /// Adds a certificate; one with the same thumbprint is replaced.
    fn add(&self, store: StoreName, cert: StoredCertificate) -> io::Result<()>;
    /// Deletes by thumbprint; false when it was not there.
    fn remove(&self, store: StoreName, thumbprint: &str) -> io::Result<bool>;
}
