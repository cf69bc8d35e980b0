//! Account kinds of the qualification system and the shape of their IDs [000 op8, 001, 003].

use crate::institution::InstitutionKind;
use serde::{Deserialize, Serialize};

/// 権限区分: the kinds of account a site has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// マスタアカウント: `H` + 7 digits, issued with the usage application.
    Master,
    /// 管理アカウント (権限区分「管理者」), e.g. `OnsKANRI`.
    Admin,
    /// 一般アカウント: one per person.
    General,
    /// 医療情報閲覧アカウント: one per person.
    MedicalInfo,
    /// 連携アプリケーション用アカウント: one per terminal, `R0…` (clinic/dental) or `R1…` (pharmacy).
    Linkage,
    /// WebAPI用アカウント: one per terminal.
    WebApi,
    /// 顔認証用アカウント: one per face reader, `F0…`.
    Face,
}

/// Where one account of a kind belongs, as op 8 of the setup manual says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Belongs {
    /// 個人ごと
    Person,
    /// 資格確認端末ごと
    Terminal,
    /// 顔認証機器ごと
    FaceReader,
    /// 医療機関等ごと (one per site)
    Site,
}

impl Belongs {
    pub fn label(self) -> &'static str {
        match self {
            Self::Person => "個人ごと",
            Self::Terminal => "資格確認端末ごと",
            Self::FaceReader => "顔認証機器ごと",
            Self::Site => "医療機関等ごと",
        }
    }
}

pub const ALL_KINDS: [AccountKind; 7] = [
    AccountKind::Master,
    AccountKind::Admin,
    AccountKind::General,
    AccountKind::MedicalInfo,
    AccountKind::Linkage,
    AccountKind::WebApi,
    AccountKind::Face,
];

impl AccountKind {
    /// The name the manuals and the registration form use.
    pub fn label(self) -> &'static str {
        match self {
            Self::Master => "マスタアカウント",
            Self::Admin => "管理アカウント",
            Self::General => "一般アカウント",
            Self::MedicalInfo => "医療情報閲覧アカウント",
            Self::Linkage => "連携アプリケーション用アカウント",
            Self::WebApi => "WebAPI用アカウント",
            Self::Face => "顔認証用アカウント",
        }
    }

    /// Accepts the manual's label with or without the trailing 「アカウント」, and the
    /// 権限区分 word of the registration form (「管理者」).
    pub fn from_label(s: &str) -> Option<Self> {
        let s = s.trim();
        ALL_KINDS.into_iter().find(|k| {
            let l = k.label();
            l == s || l.trim_end_matches("アカウント") == s || (s == "管理者" && *k == Self::Admin)
        })
    }

    pub fn belongs(self) -> Belongs {
        match self {
            Self::Master | Self::Admin => Belongs::Site,
            Self::General | Self::MedicalInfo => Belongs::Person,
            Self::Linkage | Self::WebApi => Belongs::Terminal,
            Self::Face => Belongs::FaceReader,
        }
    }

    /// Face reader, linkage and WebAPI passwords never expire, whatever their length \[001\].
    pub fn password_never_expires(self) -> bool {
        matches!(self, Self::Face | Self::Linkage | Self::WebApi)
    }

    /// The fixed prefix of IDs of this kind at a site of `site` kind, if the kind has one.
    pub fn id_prefix(self, site: InstitutionKind) -> Option<&'static str> {
        match (self, site) {
            (Self::Master, _) => Some("H"),
            (Self::Linkage, InstitutionKind::Pharmacy) => Some("R1"),
            (Self::Linkage, _) => Some("R0"),
            (Self::Face, InstitutionKind::Pharmacy) => Some("F1"),
            (Self::Face, _) => Some("F0"),
            _ => None,
        }
    }

    /// Checks a user ID chosen for a new account of this kind.
    pub fn check_id(self, id: &str, site: InstitutionKind) -> Result<(), InvalidAccountId> {
        let bad = |rule: &'static str| {
            Err(InvalidAccountId {
                id: id.to_owned(),
                kind: self,
                rule,
            })
        };
        if !id.bytes().all(|b| b.is_ascii_alphanumeric()) || id.is_empty() {
            return bad("ユーザIDは半角英数字で入力してください");
        }
        // `H` + 7 digits + `R` is a master account's reset ID [001]: no account may take it
        if id.strip_suffix('R').is_some_and(is_master_id) {
            return bad(
                "[kit] 「H」＋7桁の数字＋「R」はマスタアカウントリセット用IDの形なので使えません",
            );
        }
        match self {
            Self::Master => {
                if !is_master_id(id) {
                    return bad("マスタアカウントのIDは「H」＋7桁の数字です");
                }
            }
            // [C] linkage IDs are 8 characters, e.g. R0RENK01 (INTERFACES.md §5).
            Self::Linkage => {
                let prefix = self.id_prefix(site).unwrap_or_default();
                if id.len() != 8 || !id.starts_with(prefix) {
                    return bad(if prefix == "R1" {
                        "薬局の連携アプリケーション用アカウントのIDは「R1」で始まる8桁です"
                    } else {
                        "医科・歯科の連携アプリケーション用アカウントのIDは「R0」で始まる8桁です"
                    });
                }
            }
            // [C] F0… (e.g. F0FACE01); [I] F1 for pharmacies. The length is not published.
            Self::Face => {
                let prefix = self.id_prefix(site).unwrap_or_default();
                if !id.starts_with(prefix) || id.len() > MAX_ID_LEN {
                    return bad(if prefix == "F1" {
                        "薬局の顔認証用アカウントのIDは「F1」で始まります"
                    } else {
                        "顔認証用アカウントのIDは「F0」で始まります"
                    });
                }
            }
            _ => {
                // [K] the registration form's field length; the real limit is not published.
                if id.len() > MAX_ID_LEN {
                    return bad("ユーザIDは20文字以下です");
                }
                if is_master_id(id) {
                    return bad("「H」＋7桁の数字はマスタアカウントのIDです");
                }
            }
        }
        Ok(())
    }
}

/// \[K\] Longest user ID the kit accepts (the form's field; the real limit is not published).
pub const MAX_ID_LEN: usize = 20;

/// `H` followed by exactly 7 digits, e.g. `H0123456`.
pub fn is_master_id(id: &str) -> bool {
    id.len() == 8 && id.starts_with('H') && id[1..].bytes().all(|b| b.is_ascii_digit())
}

/// The ID that resets a master account's password: the master ID followed by `R` \[001\].
pub fn reset_id_of(master_id: &str) -> String {
    format!("{master_id}R")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ユーザID「{id}」は{}に使えません: {rule}", kind.label())]
pub struct InvalidAccountId {
    pub id: String,
    pub kind: AccountKind,
    pub rule: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use InstitutionKind::*;

    #[test]
    fn linkage_prefix_follows_the_site_kind() {
        assert!(AccountKind::Linkage.check_id("R0RENK01", Clinic).is_ok());
        assert!(AccountKind::Linkage.check_id("R1RENK01", Pharmacy).is_ok());
        let e = AccountKind::Linkage
            .check_id("R0RENK01", Pharmacy)
            .unwrap_err();
        assert!(e.to_string().contains("R1"), "{e}");
        assert!(AccountKind::Linkage.check_id("R0RENK1", Clinic).is_err());
    }

    #[test]
    fn no_account_takes_the_shape_of_a_reset_id() {
        for k in [AccountKind::Admin, AccountKind::General] {
            assert!(k.check_id("H0123456R", InstitutionKind::Clinic).is_err());
            assert!(k.check_id("H0123456S", InstitutionKind::Clinic).is_ok());
        }
    }

    #[test]
    fn master_ids_and_reset_ids() {
        assert!(is_master_id("H0123456"));
        assert!(!is_master_id("H012345"));
        assert!(!is_master_id("h0123456"));
        assert_eq!(reset_id_of("H0123456"), "H0123456R");
        assert!(AccountKind::Admin.check_id("H0123456", Clinic).is_err());
        assert!(AccountKind::Admin.check_id("OnsKANRI", Clinic).is_ok());
    }

    #[test]
    fn labels_round_trip() {
        for k in ALL_KINDS {
            assert_eq!(AccountKind::from_label(k.label()), Some(k));
        }
        assert_eq!(AccountKind::from_label("管理者"), Some(AccountKind::Admin));
        assert_eq!(AccountKind::from_label("顔認証用"), Some(AccountKind::Face));
    }
}
