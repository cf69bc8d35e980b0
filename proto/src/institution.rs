//! 医療機関コード: the 10-digit code that identifies a clinic, hospital or pharmacy. It is the
//! subject of the terminal's client certificate and the password of `OQS_MEDICAL_INSTITUTION_CODE`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The issuer every terminal's client certificate shows on its 個人 tab [000 op6].
pub const ROOT_CA_NAME: &str = "Online Billing NW Common Root CA";

/// A 医療機関コード: exactly 10 half-width digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InstitutionCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "医療機関コード「{0}」は10桁の半角数字ではありません (an institution code is exactly 10 digits)"
)]
pub struct InvalidInstitutionCode(pub String);

impl InstitutionCode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for InstitutionCode {
    type Err = InvalidInstitutionCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() == 10 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(InvalidInstitutionCode(s.to_owned()))
        }
    }
}

impl TryFrom<String> for InstitutionCode {
    type Error = InvalidInstitutionCode;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<InstitutionCode> for String {
    fn from(c: InstitutionCode) -> String {
        c.0
    }
}

impl fmt::Display for InstitutionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What kind of institution a code belongs to. It decides the linkage account prefix
/// (`R0` clinic/dental/hospital, `R1` pharmacy) and whether 救急時医療情報 may be enabled
/// (hospitals authorised for it only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstitutionKind {
    /// 医科診療所
    Clinic,
    /// 歯科診療所
    Dental,
    /// 病院
    Hospital,
    /// 薬局
    Pharmacy,
}

impl InstitutionKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Clinic => "医科診療所",
            Self::Dental => "歯科診療所",
            Self::Hospital => "病院",
            Self::Pharmacy => "薬局",
        }
    }

    pub fn from_label(s: &str) -> Option<Self> {
        [Self::Clinic, Self::Dental, Self::Hospital, Self::Pharmacy]
            .into_iter()
            .find(|k| k.label() == s || (s == "診療所" && *k == Self::Clinic))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ten_digits_are_a_code() {
        assert!("1312345678".parse::<InstitutionCode>().is_ok());
        for bad in [
            "131234567",
            "13123456789",
            "131234567a",
            "１３１２３４５６７８",
            "",
        ] {
            let e = bad.parse::<InstitutionCode>().unwrap_err();
            assert!(e.to_string().contains("10桁"), "{e}");
        }
    }
}
