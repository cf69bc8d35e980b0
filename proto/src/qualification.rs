//! 資格確認 by insurance data: what the HIS or the browser sends (`QualificationConfirmSearchInfo`)
//! and what the server answers. Field names follow the XML layout of `OQSsiquc01req/res`
//! (INTERFACES.md §1), so the linkage app's XML mapping can reuse these types.

use serde::{Deserialize, Serialize};

/// `QualificationConfirmSearchInfo`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SearchInfo {
    /// 保険者番号: 8 characters; 6-digit numbers are left-padded with spaces.
    #[serde(deserialize_with = "insurer_number")]
    pub insurer_number: String,
    /// 記号 (optional on some cards)
    #[serde(default)]
    pub insured_card_symbol: String,
    /// 番号
    pub insured_identification_number: String,
    /// 枝番 (2 digits)
    #[serde(default)]
    pub insured_branch_number: String,
    /// yyyyMMdd (the layout spells it "Birthdate")
    pub birthdate: String,
    /// 限度額適用認定証関連情報の提供同意 (0|1)
    #[serde(default)]
    pub limit_application_certificate_related_cons_flg: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchInfoError {
    #[error("保険者番号「{0}」は6桁または8桁の数字です")]
    InsurerNumber(String),
    #[error("被保険者証番号が入力されていません")]
    MissingIdentificationNumber,
    #[error("生年月日「{0}」はyyyyMMdd形式の8桁の数字です")]
    Birthdate(String),
}

impl SearchInfo {
    /// Normalises the insurer number to 8 characters (6 digits → two leading spaces) and
    /// checks the fields every lookup needs.
    pub fn normalized(mut self) -> Result<Self, SearchInfoError> {
        let n = self.insurer_number.trim();
        if !(n.len() == 6 || n.len() == 8) || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SearchInfoError::InsurerNumber(self.insurer_number));
        }
        self.insurer_number = format!("{n:>8}");
        if self.insured_identification_number.trim().is_empty() {
            return Err(SearchInfoError::MissingIdentificationNumber);
        }
        let b = self.birthdate.trim();
        if b.len() != 8 || !b.bytes().all(|c| c.is_ascii_digit()) {
            return Err(SearchInfoError::Birthdate(self.birthdate));
        }
        self.birthdate = b.to_owned();
        self.insured_card_symbol = self.insured_card_symbol.trim().to_owned();
        self.insured_identification_number = self.insured_identification_number.trim().to_owned();
        self.insured_branch_number = self.insured_branch_number.trim().to_owned();
        Ok(self)
    }
}

/// Reads an `InsurerNumber`, restoring the left padding of a 6-digit number that XML readers
/// (and JSON producers) tend to trim.
pub fn insurer_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    let t = s.trim();
    Ok(if t.len() == 6 && t.bytes().all(|b| b.is_ascii_digit()) {
        format!("{t:>8}")
    } else {
        s
    })
}

/// `QualificationValidity`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum QualificationValidity {
    /// 1: 有効
    Valid = 1,
    /// 2: 無効
    Invalid = 2,
    /// 3: 無効（新しい資格あり）
    InvalidNewerExists = 3,
    /// 4: 該当資格なし
    NotFound = 4,
    /// 5: 複数該当
    Multiple = 5,
}

pub const ALL_VALIDITIES: [QualificationValidity; 5] = [
    QualificationValidity::Valid,
    QualificationValidity::Invalid,
    QualificationValidity::InvalidNewerExists,
    QualificationValidity::NotFound,
    QualificationValidity::Multiple,
];

impl QualificationValidity {
    /// The validity a label (「有効」…「複数該当」) names.
    pub fn from_label(label: &str) -> Option<Self> {
        ALL_VALIDITIES.into_iter().find(|v| v.label() == label)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Valid => "有効",
            Self::Invalid => "無効",
            Self::InvalidNewerExists => "無効（新しい資格あり）",
            Self::NotFound => "該当資格なし",
            Self::Multiple => "複数該当",
        }
    }
}

impl From<QualificationValidity> for u8 {
    fn from(v: QualificationValidity) -> u8 {
        v as u8
    }
}

impl TryFrom<u8> for QualificationValidity {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, String> {
        ALL_VALIDITIES
            .into_iter()
            .find(|x| *x as u8 == v)
            .ok_or_else(|| format!("QualificationValidity {v} is not 1-5"))
    }
}

/// `ResultOfQualificationConfirmation`: one qualification record. Elements the kit's data set
/// does not fill are left out of files (empty here).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QualificationRecord {
    /// 01–07, A1 (medical aid)
    pub insured_card_classification: String,
    #[serde(deserialize_with = "insurer_number")]
    pub insurer_number: String,
    #[serde(default)]
    pub insured_card_symbol: String,
    pub insured_identification_number: String,
    #[serde(default)]
    pub insured_branch_number: String,
    /// 1 本人, 2 家族
    pub personal_family_classification: String,
    /// 被保険者氏名 (for family members)
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub insured_name: String,
    pub name: String,
    /// 通称名
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name_of_other: String,
    /// half-width kana
    pub name_kana: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name_of_other_kana: String,
    /// 1 male, 2 female, 3 unset
    pub sex1: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sex2: String,
    pub birthdate: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub post_number: String,
    pub qualification_date: String,
    #[serde(default)]
    pub disqualification_date: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub insured_certificate_issuance_date: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub insured_card_valid_date: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub insured_card_expiration_date: String,
    /// e.g. "030"
    #[serde(default)]
    pub insured_partial_contribution_ratio: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub preschool_classification: String,
    /// 01/02/03/99
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason_of_loss: String,
    pub insurer_name: String,
    /// 照会番号, when the institution registered one for this person.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reference_number: String,
}

/// The body of a qualification result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct QualificationResult {
    /// 1 normal, 2 error
    pub processing_result_status: u8,
    pub qualification_validity: QualificationValidity,
    pub result_list: Vec<QualificationRecord>,
}
