//! File names of the request/result interface [INTERFACES §1, C]: `<SYS><kind><nn>req_<suffix>.<ext>`,
//! answered by the same name with `req` → `res` (`OQSsiquc01req_X.xml` → `OQSsiquc01res_X.xml`).
//! The suffix is the HIS's free text; HIS clients match results to requests by it.

use std::fmt;
use std::str::FromStr;

/// `req` or `res`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    Request,
    Result,
}

impl Direction {
    fn tag(self) -> &'static str {
        match self {
            Self::Request => "req",
            Self::Result => "res",
        }
    }
}

/// The extensions the interface uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Extension {
    /// A plain XML document.
    Xml,
    /// A password ZIP holding `<basename>.xml` (encrypted kinds), or a bulk download's archive.
    Zip,
    /// Drug and checkup reports.
    Pdf,
    /// A failed bulk request: `<request basename>.err` appears in `res`.
    Err,
}

impl Extension {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Xml => "xml",
            Self::Zip => "zip",
            Self::Pdf => "pdf",
            Self::Err => "err",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "xml" => Some(Self::Xml),
            "zip" => Some(Self::Zip),
            "pdf" => Some(Self::Pdf),
            "err" => Some(Self::Err),
            _ => None,
        }
    }
}

/// The request kinds the kit answers. Others (drug information, checkups, consented bulk
/// fetches…) are recognised by name and answered with an "unsupported kind" error result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// `OQSsiquc01` 資格確認 (qualification check by insurance data).
    QualificationCheck,
    /// `OQSsiimm01` 照会番号登録 (reference-number registration).
    ReferenceNumberRegistration,
    /// `OQSmuquc01` 一括照会 upload: answered with a reception number.
    BulkCheckUpload,
    /// `OQSmuquc02` 一括照会 download by reception number.
    BulkCheckDownload,
    /// `OQSmuimm01` 一括照会番号登録 upload.
    BulkReferenceUpload,
    /// `OQSmuimm02` 一括照会番号登録 download by reception number.
    BulkReferenceDownload,
}

pub const ALL_KINDS: [RequestKind; 6] = [
    RequestKind::QualificationCheck,
    RequestKind::ReferenceNumberRegistration,
    RequestKind::BulkCheckUpload,
    RequestKind::BulkCheckDownload,
    RequestKind::BulkReferenceUpload,
    RequestKind::BulkReferenceDownload,
];

impl RequestKind {
    /// `<SYS><kind><nn>`, the prefix `encrypt.conf` is keyed by.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::QualificationCheck => "OQSsiquc01",
            Self::ReferenceNumberRegistration => "OQSsiimm01",
            Self::BulkCheckUpload => "OQSmuquc01",
            Self::BulkCheckDownload => "OQSmuquc02",
            Self::BulkReferenceUpload => "OQSmuimm01",
            Self::BulkReferenceDownload => "OQSmuimm02",
        }
    }

    pub fn from_prefix(p: &str) -> Option<Self> {
        ALL_KINDS.into_iter().find(|k| k.prefix() == p)
    }

    /// The manual's name of the kind.
    pub fn label(self) -> &'static str {
        match self {
            Self::QualificationCheck => "資格確認",
            Self::ReferenceNumberRegistration => "照会番号登録",
            Self::BulkCheckUpload => "一括照会（要求）",
            Self::BulkCheckDownload => "一括照会（結果取得）",
            Self::BulkReferenceUpload => "一括照会番号登録（要求）",
            Self::BulkReferenceDownload => "一括照会番号登録（結果取得）",
        }
    }

    /// Whether a failed request of this kind is answered with `<basename>.err` (bulk kinds).
    pub fn is_bulk(self) -> bool {
        !matches!(
            self,
            Self::QualificationCheck | Self::ReferenceNumberRegistration
        )
    }
}

/// A parsed file name of the interface.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileName {
    /// `OQS`, `YZK`, `TKK`, … (3 upper-case letters)
    pub system: String,
    /// `siquc`, `muimm`, … (lower-case letters)
    pub kind: String,
    /// `01`, `02`
    pub number: String,
    pub direction: Direction,
    /// The HIS's free text after `req_`.
    pub suffix: String,
    pub extension: Extension,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "ファイル名「{name}」は要求・結果ファイルの命名規則（<システム><種別><番号>req_<任意の文字列>.xml、例: OQSsiquc01req_20250401001.xml）に合いません: {why}"
)]
pub struct FileNameError {
    pub name: String,
    pub why: &'static str,
}

/// Characters Windows does not allow in a file name.
const FORBIDDEN: &[char] = &['\\', '/', ':', '*', '?', '"', '<', '>', '|'];

impl FromStr for FileName {
    type Err = FileNameError;

    fn from_str(name: &str) -> Result<Self, FileNameError> {
        let err = |why| FileNameError {
            name: name.to_owned(),
            why,
        };
        let (stem, ext) = name.rsplit_once('.').ok_or(err("拡張子がありません"))?;
        let extension = Extension::parse(ext)
            .ok_or(err("拡張子は .xml / .zip / .pdf / .err のいずれかです"))?;
        let b = stem.as_bytes();
        if b.len() < 3 || !b[..3].iter().all(u8::is_ascii_uppercase) {
            return Err(err("先頭はシステムを表す英大文字3文字です"));
        }
        let kind_len = b[3..].iter().take_while(|c| c.is_ascii_lowercase()).count();
        if kind_len == 0 {
            return Err(err("システムの後に英小文字の種別が必要です"));
        }
        let rest = &stem[3 + kind_len..];
        let number: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if number.len() != 2 {
            return Err(err("種別の後に2桁の番号が必要です"));
        }
        let rest = &rest[2..];
        let (direction, suffix) = if let Some(s) = rest.strip_prefix("req_") {
            (Direction::Request, s)
        } else if let Some(s) = rest.strip_prefix("res_") {
            (Direction::Result, s)
        } else {
            return Err(err("番号の後は「req_」または「res_」です"));
        };
        if suffix.is_empty() {
            return Err(err("「req_」の後の任意の文字列が空です"));
        }
        if suffix.contains(FORBIDDEN) || suffix.chars().any(char::is_control) {
            return Err(err("ファイル名に使えない文字が含まれています"));
        }
        Ok(Self {
            system: stem[..3].to_owned(),
            kind: stem[3..3 + kind_len].to_owned(),
            number,
            direction,
            suffix: suffix.to_owned(),
            extension,
        })
    }
}

impl FileName {
    /// A request name of a known kind.
    pub fn request(kind: RequestKind, suffix: &str, extension: Extension) -> Self {
        let p = kind.prefix();
        Self {
            system: p[..3].to_owned(),
            kind: p[3..p.len() - 2].to_owned(),
            number: p[p.len() - 2..].to_owned(),
            direction: Direction::Request,
            suffix: suffix.to_owned(),
            extension,
        }
    }

    /// `<SYS><kind><nn>`
    pub fn prefix(&self) -> String {
        format!("{}{}{}", self.system, self.kind, self.number)
    }

    /// The kind, when the kit answers it.
    pub fn known_kind(&self) -> Option<RequestKind> {
        RequestKind::from_prefix(&self.prefix())
    }

    /// The name without its extension (`OQSsiquc01req_X`): the entry inside an encrypted ZIP is
    /// `<basename>.xml`, and a failed bulk request is answered with `<basename>.err`.
    pub fn basename(&self) -> String {
        format!("{}{}_{}", self.prefix(), self.direction.tag(), self.suffix)
    }

    /// The answer to this request: `req` → `res`, with the extension the answer has.
    pub fn result(&self, extension: Extension) -> Self {
        Self {
            direction: Direction::Result,
            extension,
            ..self.clone()
        }
    }

    pub fn with_extension(&self, extension: Extension) -> Self {
        Self {
            extension,
            ..self.clone()
        }
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.basename(), self.extension.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn request_maps_to_result() {
        let n: FileName = "OQSsiquc01req_202504010001.xml".parse().unwrap();
        assert_eq!(n.known_kind(), Some(RequestKind::QualificationCheck));
        assert_eq!(n.suffix, "202504010001");
        assert_eq!(
            n.result(Extension::Xml).to_string(),
            "OQSsiquc01res_202504010001.xml"
        );
        assert_eq!(
            n.result(Extension::Err).to_string(),
            "OQSsiquc01res_202504010001.err"
        );
        let z: FileName = "OQSmuquc01req_A.ZIP".parse().unwrap();
        assert_eq!(z.extension, Extension::Zip);
        assert_eq!(z.basename(), "OQSmuquc01req_A");
        let other: FileName = "YZKsiquc01req_1.xml".parse().unwrap();
        assert_eq!(other.known_kind(), None);
    }

    #[test]
    fn names_outside_the_rule_say_why() {
        for bad in [
            "request.xml",
            "OQSsiquc01req_.xml",
            "OQSsiquc01req_A.txt",
            "OQSsiquc1req_A.xml",
            "oqssiquc01req_A.xml",
            "OQSsiquc01_A.xml",
            "OQSsiquc01req_A",
        ] {
            let e = bad.parse::<FileName>().unwrap_err();
            assert!(e.to_string().contains(bad), "{e}");
        }
    }

    proptest! {
        #[test]
        fn any_valid_name_maps_back_and_forth(
            kind in proptest::sample::select(ALL_KINDS.to_vec()),
            suffix in "[A-Za-z0-9_\\-\\.あ-ん]{1,20}",
            ext in proptest::sample::select(vec![Extension::Xml, Extension::Zip]),
        ) {
            let n = FileName::request(kind, &suffix, ext);
            let parsed: FileName = n.to_string().parse().unwrap();
            prop_assert_eq!(&parsed, &n);
            let r: FileName = n.result(Extension::Xml).to_string().parse().unwrap();
            prop_assert_eq!(r.direction, Direction::Result);
            prop_assert_eq!(r.known_kind(), Some(kind));
            prop_assert_eq!(r.suffix, suffix);
        }
    }
}
