//! The kit's profile: the values the public sources leave open (\[K\] in INTERFACES.md), kept
//! as data (`proto/profile/kit.toml`) so a vendor with the official specification can replace
//! them without touching code.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct LinkageProfile {
    pub request_dir: String,
    pub result_dir: String,
    pub face_dir: String,
    pub config_dir: String,
    pub work_dir: String,
    pub tools_dir: String,
    pub request_dir_key: String,
    pub result_dir_key: String,
    pub response_file_stay_time: u32,
    pub incomplete_request_minutes: u32,
    pub bulk_processing_minutes: u32,
    /// Largest request file read, in bytes.
    #[serde(default = "default_max_bytes")]
    pub max_request_bytes: u64,
    /// Largest XML an encrypted request may expand to, in bytes.
    #[serde(default = "default_max_bytes")]
    pub max_request_xml_bytes: u64,
    /// Longest wait between two tries to write a result, in seconds.
    #[serde(default = "default_write_retry")]
    pub write_retry_max_seconds: u32,
    /// Tries of a server call that failed on the way (connection refused or reset, a TLS
    /// alert, `503`) after the first, before the request gets an error result.
    #[serde(default = "default_server_retries")]
    pub server_retries: u32,
    /// Wait before the first of those tries, in milliseconds; it doubles each time.
    #[serde(default = "default_server_retry_ms")]
    pub server_retry_ms: u64,
}

// Defaults for values added after the first profiles were written: a vendor's older profile
// still loads.
fn default_max_bytes() -> u64 {
    16 << 20
}
fn default_write_retry() -> u32 {
    60
}
fn default_server_retries() -> u32 {
    3
}
fn default_server_retry_ms() -> u64 {
    500
}

/// One row of the result-code table.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ResultCode {
    pub code: String,
    pub message: String,
}

/// How the simulated qualification server defends itself (the real service's values are not
/// public: these are the kit's, \[K\]). A profile without `[server]` gets these defaults.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ServerProfile {
    /// Wrong passwords in a row before an account is locked.
    pub login_attempts: u32,
    /// Minutes a locked account stays locked (the World's clock); 0: until unlocked by the
    /// master or an admin account.
    pub lockout_minutes: u32,
    /// Wrong 秘密の番号 in a row before the master reset ID is locked (unlocked by the help
    /// desk, a verb of the World).
    pub reset_attempts: u32,
    /// Seconds a new connection may take for its TLS handshake.
    pub handshake_timeout_seconds: u64,
    /// Seconds the server waits for a request's headers, an idle kept connection included.
    pub header_timeout_seconds: u64,
    /// Seconds a request's body may take to arrive.
    pub body_timeout_seconds: u64,
    /// Connections still in their handshake, at most: past it the oldest is dropped.
    pub max_handshakes: usize,
    /// Open connections per client certificate, at most: past it the oldest is closed.
    pub max_connections_per_client: usize,
}

impl Default for ServerProfile {
    fn default() -> Self {
        Self {
            login_attempts: 5,
            lockout_minutes: 30,
            reset_attempts: 5,
            handshake_timeout_seconds: 10,
            header_timeout_seconds: 60,
            body_timeout_seconds: 30,
            max_handshakes: 64,
            max_connections_per_client: 16,
        }
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Profile {
    pub linkage: LinkageProfile,
    #[serde(default)]
    pub server: ServerProfile,
    /// id → code and message
    pub results: BTreeMap<String, ResultCode>,
}

/// The ids the kit's code refers to; the built-in profile has a row for each (tested), and a
/// replacement profile must too.
pub const RESULT_IDS: &[&str] = &[
    "malformed_request",
    "encoding",
    "missing_element",
    "invalid_value",
    "unsupported_kind",
    "institution_mismatch",
    "incomplete_request",
    "request_too_large",
    "request_unreadable",
    "not_encrypted",
    "wrong_crypt_password",
    "corrupt_archive",
    "archive_layout",
    "unexpected_archive",
    "crypt_pass_invalid",
    "unrepresentable",
    "credential_missing",
    "certificate_missing",
    "login_failed",
    "server_unreachable",
    "server_refused",
    "bad_search",
    "reception_unknown",
    "bulk_processing",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    #[error("プロファイルを読み込めません: {0}")]
    Syntax(String),
    #[error("プロファイルの [results] に「{0}」がありません")]
    MissingResult(String),
}

impl Profile {
    pub fn parse(text: &str) -> Result<Self, ProfileError> {
        let p: Profile = toml::from_str(text).map_err(|e| ProfileError::Syntax(e.to_string()))?;
        if let Some(id) = RESULT_IDS.iter().find(|id| !p.results.contains_key(**id)) {
            return Err(ProfileError::MissingResult((*id).into()));
        }
        Ok(p)
    }

    /// The profile shipped with the kit.
    pub fn builtin() -> &'static Profile {
        static P: OnceLock<Profile> = OnceLock::new();
        P.get_or_init(|| {
            Profile::parse(include_str!("../profile/kit.toml"))
                .expect("the built-in profile is valid (checked by a unit test)")
        })
    }

    /// The row for `id`. Ids come from the kit's code and are checked at parse time.
    pub fn result(&self, id: &str) -> &ResultCode {
        self.results
            .get(id)
            .unwrap_or_else(|| panic!("result id {id} is not in RESULT_IDS"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_profile_has_every_result() {
        let p = Profile::builtin();
        for id in RESULT_IDS {
            assert!(!p.result(id).code.is_empty());
        }
        assert_eq!(p.linkage.response_file_stay_time, 1440);
        assert_eq!(p.linkage.request_dir, r"C:\OQS\req");
        let mut text = include_str!("../profile/kit.toml").to_owned();
        text = text.replace("bulk_processing = ", "bulk_processing_x = ");
        assert_eq!(
            Profile::parse(&text).unwrap_err(),
            ProfileError::MissingResult("bulk_processing".into())
        );
    }
}
