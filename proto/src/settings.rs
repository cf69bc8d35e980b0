//! 環境設定 (environment settings) of a site [000 op9]: the character code of results and
//! whether each information service is used. Only the admin account may change them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// 文字コード of the site: the encoding the server answers files in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CharacterCode {
    #[default]
    #[serde(rename = "UTF-8")]
    Utf8,
    #[serde(rename = "Shift-JIS")]
    ShiftJis,
}

impl CharacterCode {
    pub fn label(self) -> &'static str {
        match self {
            Self::Utf8 => "UTF-8",
            Self::ShiftJis => "Shift-JIS",
        }
    }
    pub fn from_label(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().replace('_', "-").as_str() {
            "UTF-8" | "UTF8" => Some(Self::Utf8),
            "SHIFT-JIS" | "SJIS" => Some(Self::ShiftJis),
            _ => None,
        }
    }
    /// `CharacterCodeIdentifier` of a result file: 0 UTF-8, 1 Shift_JIS.
    pub fn identifier(self) -> u8 {
        match self {
            Self::Utf8 => 0,
            Self::ShiftJis => 1,
        }
    }
}

/// The information services a site opts into. Every one starts as 「利用しない」.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// 手術情報
    SurgeryInfo,
    /// 診療情報
    MedicalInfo,
    /// 臨床情報
    ClinicalInfo,
    /// 電子処方箋管理サービス
    EPrescription,
    /// 電子カルテ情報共有サービス
    EHealthRecordSharing,
    /// 医療扶助
    MedicalAid,
    /// 救急時医療情報 (hospitals authorised for it only)
    EmergencyInfo,
    /// スマホによる本人確認（カードリーダー使用）
    SmartphoneIdentity,
}

pub const ALL_SERVICES: [Service; 8] = [
    Service::SurgeryInfo,
    Service::MedicalInfo,
    Service::ClinicalInfo,
    Service::EPrescription,
    Service::EHealthRecordSharing,
    Service::MedicalAid,
    Service::EmergencyInfo,
    Service::SmartphoneIdentity,
];

impl Service {
    pub fn label(self) -> &'static str {
        match self {
            Self::SurgeryInfo => "手術情報",
            Self::MedicalInfo => "診療情報",
            Self::ClinicalInfo => "臨床情報",
            Self::EPrescription => "電子処方箋管理サービス",
            Self::EHealthRecordSharing => "電子カルテ情報共有サービス",
            Self::MedicalAid => "医療扶助",
            Self::EmergencyInfo => "救急時医療情報",
            Self::SmartphoneIdentity => "スマホによる本人確認（カードリーダー使用）",
        }
    }
    pub fn from_label(s: &str) -> Option<Self> {
        let s = s.trim();
        ALL_SERVICES.into_iter().find(|x| {
            x.label() == s || (s == "スマホによる本人確認" && *x == Self::SmartphoneIdentity)
        })
    }
}

/// 利用する / 利用しない
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Usage {
    Use,
    #[default]
    NotUsed,
}

impl Usage {
    pub fn label(self) -> &'static str {
        match self {
            Self::Use => "利用する",
            Self::NotUsed => "利用しない",
        }
    }
    pub fn from_label(s: &str) -> Option<Self> {
        match s.trim() {
            "利用する" => Some(Self::Use),
            "利用しない" => Some(Self::NotUsed),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentSettings {
    pub character_code: CharacterCode,
    pub services: BTreeMap<Service, Usage>,
}

impl Default for EnvironmentSettings {
    fn default() -> Self {
        Self {
            character_code: CharacterCode::Utf8,
            services: ALL_SERVICES.iter().map(|s| (*s, Usage::NotUsed)).collect(),
        }
    }
}

impl EnvironmentSettings {
    pub fn usage(&self, s: Service) -> Usage {
        self.services.get(&s).copied().unwrap_or_default()
    }
}

/// A change an admin asks for; fields left `None` stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub character_code: Option<CharacterCode>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<Service, Usage>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_utf8_and_nothing_used() {
        let s = EnvironmentSettings::default();
        assert_eq!(s.character_code, CharacterCode::Utf8);
        assert!(ALL_SERVICES.iter().all(|x| s.usage(*x) == Usage::NotUsed));
    }

    #[test]
    fn labels_round_trip() {
        for s in ALL_SERVICES {
            assert_eq!(Service::from_label(s.label()), Some(s));
        }
        assert_eq!(
            CharacterCode::from_label("Shift_JIS"),
            Some(CharacterCode::ShiftJis)
        );
        assert_eq!(
            CharacterCode::from_label("utf-8"),
            Some(CharacterCode::Utf8)
        );
    }
}
