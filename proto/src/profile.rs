//! The kit's profile: the values the public sources leave open ([K] in INTERFACES.md), kept
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
    pub max_request_bytes: u64,
    /// Largest XML an encrypted request may expand to, in bytes.
    pub max_request_xml_bytes: u64,
    /// Longest wait between two tries to write a result, in seconds.
    pub write_retry_max_seconds: u32,
}

/// One row of the result-code table.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ResultCode {
    pub code: String,
    pub message: String,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Profile {
    pub linkage: LinkageProfile,
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
