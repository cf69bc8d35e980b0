//! The request and result documents [INTERFACES §1, C]. Every file is an `XmlMsg` with a
//! `MessageHeader` and a `MessageBody`; element names are the layout's (note "Birthdate").
//!
//! One header and one body type per direction cover every kind the kit answers: fields a kind
//! does not use are absent from its file. [`Request::check`] says which a kind needs.

use super::encoding::{self, EncodingError};
use super::file_name::RequestKind;
use crate::qualification::{QualificationRecord, SearchInfo};
use crate::settings::CharacterCode;
use serde::{Deserialize, Serialize};

/// `ReferenceNumberRegistrationInfo`: a reference number (照会番号, the HIS's patient number)
/// registered against a person's insurance data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReferenceNumberRegistration {
    /// at most 50 characters
    pub reference_number: String,
    #[serde(deserialize_with = "crate::qualification::insurer_number")]
    pub insurer_number: String,
    /// at most 20 characters, optional
    #[serde(default)]
    pub insured_card_symbol: String,
    /// at most 20 characters
    pub insured_identification_number: String,
    #[serde(default)]
    pub insured_branch_number: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestHeader {
    /// yyyyMMdd (qualification checks)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualification_confirmation_date: Option<String>,
    pub medical_institution_code: String,
    /// Free text the HIS may use to match the result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arbitrary_file_identifier: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RequestBody {
    /// One for `OQSsiquc01`, one or more for `OQSmuquc01`.
    #[serde(
        rename = "QualificationConfirmSearchInfo",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub search_infos: Vec<SearchInfo>,
    /// One for `OQSsiimm01`, one or more for `OQSmuimm01`.
    #[serde(
        rename = "ReferenceNumberRegistrationInfo",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub registrations: Vec<ReferenceNumberRegistration>,
    /// 受付番号 (bulk downloads `OQSmuquc02`, `OQSmuimm02`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reception_number: Option<String>,
}

/// A request file's document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "XmlMsg", rename_all = "PascalCase")]
pub struct Request {
    pub message_header: RequestHeader,
    pub message_body: RequestBody,
}

/// Why a request document cannot be used; each names the element and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("{0}")]
    Encoding(#[from] EncodingError),
    #[error(
        "要求ファイルのXMLの形式に誤りがあります: {0}。要求ファイルの作成方法（XMLレイアウト）を確認してください"
    )]
    Malformed(String),
    #[error("{kind}の要求に「{element}」がありません")]
    Missing {
        kind: &'static str,
        element: &'static str,
    },
    #[error("{kind}の要求は「{element}」を{expected}です（{found}件あります）")]
    Count {
        kind: &'static str,
        element: &'static str,
        expected: &'static str,
        found: usize,
    },
    #[error("「{element}」の値「{value}」は{rule}")]
    Value {
        element: &'static str,
        value: String,
        rule: &'static str,
    },
}

fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

impl Request {
    /// An `OQSsiquc01` request: one person's insurance data, checked as of `date` (yyyyMMdd).
    pub fn qualification_check(
        institution: &str,
        date: &str,
        arbitrary_file_identifier: Option<&str>,
        search: SearchInfo,
    ) -> Self {
        Self {
            message_header: RequestHeader {
                qualification_confirmation_date: Some(date.into()),
                medical_institution_code: institution.into(),
                arbitrary_file_identifier: arbitrary_file_identifier.map(str::to_owned),
            },
            message_body: RequestBody {
                search_infos: vec![search],
                ..Default::default()
            },
        }
    }

    /// Parses a request file's bytes in the encoding its declaration names.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MessageError> {
        let code = encoding::declared(bytes)?;
        let text = encoding::decode(bytes, code)?;
        Self::from_xml(&text)
    }

    pub fn from_xml(text: &str) -> Result<Self, MessageError> {
        quick_xml::de::from_str(text).map_err(|e| MessageError::Malformed(e.to_string()))
    }

    pub fn to_xml(&self) -> String {
        to_xml(self)
    }

    /// The file's bytes in `code`, declared in its XML declaration.
    pub fn to_bytes(&self, code: CharacterCode) -> Result<Vec<u8>, EncodingError> {
        encoding::encode(&with_declaration(&self.to_xml(), code), code)
    }

    /// Checks that the request has what its kind needs.
    pub fn check(&self, kind: RequestKind) -> Result<(), MessageError> {
        let k = kind.label();
        self.message_header.check(k)?;
        let b = &self.message_body;
        match kind {
            RequestKind::QualificationCheck | RequestKind::BulkCheckUpload => count(
                k,
                "QualificationConfirmSearchInfo",
                b.search_infos.len(),
                kind == RequestKind::QualificationCheck,
            )?,
            RequestKind::ReferenceNumberRegistration | RequestKind::BulkReferenceUpload => {
                count(
                    k,
                    "ReferenceNumberRegistrationInfo",
                    b.registrations.len(),
                    kind == RequestKind::ReferenceNumberRegistration,
                )?;
                for r in &b.registrations {
                    check_registration(r, k)?;
                }
            }
            RequestKind::BulkCheckDownload | RequestKind::BulkReferenceDownload => {
                if b.reception_number.as_deref().unwrap_or("").is_empty() {
                    return Err(MessageError::Missing {
                        kind: k,
                        element: "ReceptionNumber",
                    });
                }
            }
        }
        Ok(())
    }
}

impl RequestHeader {
    /// The institution code (10 digits) and the date of the check (`yyyyMMdd`) when given.
    fn check(&self, kind: &'static str) -> Result<(), MessageError> {
        if self.medical_institution_code.is_empty() {
            return Err(MessageError::Missing {
                kind,
                element: "MedicalInstitutionCode",
            });
        }
        if !is_digits(&self.medical_institution_code, 10) {
            return Err(MessageError::Value {
                element: "MedicalInstitutionCode",
                value: self.medical_institution_code.clone(),
                rule: "10桁の半角数字です",
            });
        }
        if let Some(d) = &self.qualification_confirmation_date
            && !is_digits(d, 8)
        {
            return Err(MessageError::Value {
                element: "QualificationConfirmationDate",
                value: d.clone(),
                rule: "yyyyMMdd形式の8桁の数字です",
            });
        }
        Ok(())
    }
}

/// `n` elements named `element`: exactly one when `single`, else at least one.
fn count(
    kind: &'static str,
    element: &'static str,
    n: usize,
    single: bool,
) -> Result<(), MessageError> {
    let ok = if single { n == 1 } else { n >= 1 };
    if ok {
        Ok(())
    } else if n == 0 {
        Err(MessageError::Missing { kind, element })
    } else {
        Err(MessageError::Count {
            kind,
            element,
            expected: if single {
                "1件だけ含むもの"
            } else {
                "1件以上含むもの"
            },
            found: n,
        })
    }
}

/// A reference number registration: the number given, and each field within its length.
fn check_registration(
    r: &ReferenceNumberRegistration,
    kind: &'static str,
) -> Result<(), MessageError> {
    if r.reference_number.is_empty() {
        return Err(MessageError::Missing {
            kind,
            element: "ReferenceNumber",
        });
    }
    for (element, value, max, rule) in [
        ("ReferenceNumber", &r.reference_number, 50, "50文字以内です"),
        (
            "InsuredCardSymbol",
            &r.insured_card_symbol,
            20,
            "20文字以内です",
        ),
        (
            "InsuredIdentificationNumber",
            &r.insured_identification_number,
            20,
            "20文字以内です",
        ),
    ] {
        if value.chars().count() > max {
            return Err(MessageError::Value {
                element,
                value: value.clone(),
                rule,
            });
        }
    }
    Ok(())
}

/// `SegmentOfResult`: 1 normal end, 2 processing (a bulk result not ready yet), 9 abnormal end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Segment {
    Normal,
    Processing,
    Abnormal,
}

impl Segment {
    pub fn code(self) -> &'static str {
        match self {
            Self::Normal => "1",
            Self::Processing => "2",
            Self::Abnormal => "9",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResultHeader {
    /// yyyyMMddHHmmss
    pub process_execution_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualification_confirmation_date: Option<String>,
    pub medical_institution_code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arbitrary_file_identifier: Option<String>,
    /// 1 My Number Card, 2 insurance card data
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_classification: Option<String>,
    /// See [`Segment`].
    pub segment_of_result: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// 0 UTF-8, 1 Shift_JIS
    pub character_code_identifier: String,
    /// Bulk results: 受付番号 and counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reception_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_processing_result: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_normal_processing: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_error: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultList {
    #[serde(rename = "ResultOfQualificationConfirmation", default)]
    pub records: Vec<QualificationRecord>,
}

/// The per-request outcome every result body and bulk unit carries (`ProcessingResultStatus`,
/// `ProcessingResultCode`, `ProcessingResultMessage`). The fields are repeated in each type
/// rather than flattened: serde's flatten and XML text nodes do not mix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub status: String,
    pub code: Option<String>,
    pub message: Option<String>,
}

impl Outcome {
    pub fn normal() -> Self {
        Self {
            status: "1".into(),
            ..Self::default()
        }
    }

    pub fn error(code: &str, message: &str) -> Self {
        Self {
            status: "2".into(),
            code: Some(code.into()),
            message: Some(message.into()),
        }
    }
}

macro_rules! outcome_accessors {
    ($t:ty) => {
        impl $t {
            pub fn outcome(&self) -> Outcome {
                Outcome {
                    status: self.processing_result_status.clone(),
                    code: self.processing_result_code.clone(),
                    message: self.processing_result_message.clone(),
                }
            }
            pub fn set_outcome(&mut self, o: Outcome) {
                self.processing_result_status = o.status;
                self.processing_result_code = o.code;
                self.processing_result_message = o.message;
            }
            pub fn with_outcome(mut self, o: Outcome) -> Self {
                self.set_outcome(o);
                self
            }
        }
    };
}

/// `BulkConfirmUnit`: one person of a bulk check.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BulkConfirmUnit {
    pub qualification_confirm_search_info: SearchInfo,
    /// 1 normal, 2 error
    pub processing_result_status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_result_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_result_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualification_validity: Option<String>,
    #[serde(
        rename = "ResultOfQualificationConfirmation",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub records: Vec<QualificationRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_number: Option<String>,
}

/// One person of a bulk reference-number registration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BulkRegistrationUnit {
    pub reference_number_registration_info: ReferenceNumberRegistration,
    /// 1 normal, 2 error
    pub processing_result_status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_result_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_result_message: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResultBody {
    /// 1 normal, 2 error
    pub processing_result_status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_result_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processing_result_message: Option<String>,
    /// 1–5, see `QualificationValidity`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualification_validity: Option<String>,
    /// 1 electronic, 2 paper
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prescription_issue_select: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_list: Option<ResultList>,
    /// The registered reference number (`OQSsiimm01res`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_number: Option<String>,
    #[serde(
        rename = "BulkConfirmUnit",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub bulk_confirm_units: Vec<BulkConfirmUnit>,
    #[serde(
        rename = "BulkRegistrationUnit",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub bulk_registration_units: Vec<BulkRegistrationUnit>,
}

impl ResultBody {
    /// A normal body carrying a qualification check's answer (from the HIS's request or a card
    /// at a reader).
    pub fn qualification(r: crate::qualification::QualificationResult) -> Self {
        Self {
            qualification_validity: Some(u8::from(r.qualification_validity).to_string()),
            result_list: (!r.result_list.is_empty()).then_some(ResultList {
                records: r.result_list,
            }),
            ..Self::default()
        }
        .with_outcome(Outcome::normal())
    }
}

/// `ProcessExecutionTime` and the stamp in file names: yyyyMMddHHmmss in JST.
pub fn stamp(t: time::OffsetDateTime) -> String {
    t.to_offset(time::macros::offset!(+9))
        .format(time::macros::format_description!(
            "[year][month][day][hour][minute][second]"
        ))
        .unwrap_or_default()
}

outcome_accessors!(BulkConfirmUnit);
outcome_accessors!(BulkRegistrationUnit);
outcome_accessors!(ResultBody);

/// A result file's document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "XmlMsg", rename_all = "PascalCase")]
pub struct ResultMessage {
    pub message_header: ResultHeader,
    pub message_body: ResultBody,
}

impl ResultMessage {
    pub fn to_xml(&self) -> String {
        to_xml(self)
    }

    /// The file's bytes in the site's character code, with `CharacterCodeIdentifier` set to
    /// match. Text the code cannot hold is an error naming the character and element.
    pub fn to_bytes(&self, code: CharacterCode) -> Result<Vec<u8>, EncodingError> {
        let mut m = self.clone();
        m.message_header.character_code_identifier = code.identifier().to_string();
        encoding::encode(&with_declaration(&m.to_xml(), code), code)
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MessageError> {
        let code = encoding::declared(bytes)?;
        let text = encoding::decode(bytes, code)?;
        quick_xml::de::from_str(&text).map_err(|e| MessageError::Malformed(e.to_string()))
    }

    pub fn segment(&self) -> &str {
        &self.message_header.segment_of_result
    }
}

fn to_xml<T: Serialize>(v: &T) -> String {
    let mut out = String::new();
    let mut ser = quick_xml::se::Serializer::new(&mut out);
    ser.indent(' ', 2);
    // Our own types always serialise; a failure here is a bug, not bad input.
    v.serialize(ser).expect("message types serialise to XML");
    out
}

fn with_declaration(body: &str, code: CharacterCode) -> String {
    let label = match code {
        CharacterCode::Utf8 => "UTF-8",
        CharacterCode::ShiftJis => "Shift_JIS",
    };
    format!("<?xml version=\"1.0\" encoding=\"{label}\" standalone=\"no\"?>\n{body}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qualification::QualificationValidity;
    use proptest::prelude::*;

    const SAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<XmlMsg>
  <MessageHeader>
    <QualificationConfirmationDate>20250401</QualificationConfirmationDate>
    <MedicalInstitutionCode>1312345678</MedicalInstitutionCode>
    <ArbitraryFileIdentifier>HIS-0001</ArbitraryFileIdentifier>
  </MessageHeader>
  <MessageBody>
    <QualificationConfirmSearchInfo>
      <InsurerNumber>  138057</InsurerNumber>
      <InsuredCardSymbol>12</InsuredCardSymbol>
      <InsuredIdentificationNumber>34567</InsuredIdentificationNumber>
      <InsuredBranchNumber>00</InsuredBranchNumber>
      <Birthdate>19800101</Birthdate>
      <LimitApplicationCertificateRelatedConsFlg>0</LimitApplicationCertificateRelatedConsFlg>
    </QualificationConfirmSearchInfo>
  </MessageBody>
</XmlMsg>
"#;

    #[test]
    fn reads_a_his_request() {
        let r = Request::from_bytes(SAMPLE.as_bytes()).unwrap();
        r.check(RequestKind::QualificationCheck).unwrap();
        let s = &r.message_body.search_infos[0];
        // the padding of a 6-digit insurer number survives XML's trimming
        assert_eq!(s.insurer_number, "  138057");
        assert_eq!(s.birthdate, "19800101");
        assert_eq!(
            r.message_header.arbitrary_file_identifier.as_deref(),
            Some("HIS-0001")
        );
        // and the same request in Shift_JIS
        let sj = r.to_bytes(CharacterCode::ShiftJis).unwrap();
        assert!(sj.starts_with(b"<?xml version=\"1.0\" encoding=\"Shift_JIS\""));
        assert_eq!(Request::from_bytes(&sj).unwrap(), r);
    }

    #[test]
    fn missing_and_broken_elements_are_named() {
        let no_birth = SAMPLE.replace("<Birthdate>19800101</Birthdate>", "");
        let e = Request::from_bytes(no_birth.as_bytes()).unwrap_err();
        assert!(e.to_string().contains("Birthdate"), "{e}");
        let cut = &SAMPLE[..SAMPLE.len() / 2];
        let e = Request::from_bytes(cut.as_bytes()).unwrap_err();
        assert!(matches!(e, MessageError::Malformed(_)), "{e}");
        let no_body = SAMPLE.replace(
            &SAMPLE[SAMPLE.find("<QualificationConfirmSearchInfo>").unwrap()
                ..SAMPLE.find("</MessageBody>").unwrap()],
            "",
        );
        let r = Request::from_bytes(no_body.as_bytes()).unwrap();
        let e = r.check(RequestKind::QualificationCheck).unwrap_err();
        assert!(
            e.to_string().contains("QualificationConfirmSearchInfo"),
            "{e}"
        );
        let bad_code = SAMPLE.replace("1312345678", "131234567");
        let r = Request::from_bytes(bad_code.as_bytes()).unwrap();
        assert!(r.check(RequestKind::QualificationCheck).is_err());
    }

    #[test]
    fn result_declares_its_encoding_and_identifier() {
        let m = ResultMessage {
            message_header: ResultHeader {
                process_execution_time: "20250401090000".into(),
                medical_institution_code: "1312345678".into(),
                segment_of_result: Segment::Normal.code().into(),
                ..Default::default()
            },
            message_body: ResultBody {
                qualification_validity: Some(u8::from(QualificationValidity::Valid).to_string()),
                ..Default::default()
            }
            .with_outcome(Outcome::normal()),
        };
        let sj = m.to_bytes(CharacterCode::ShiftJis).unwrap();
        let back = ResultMessage::from_bytes(&sj).unwrap();
        assert_eq!(back.message_header.character_code_identifier, "1");
        let u = m.to_bytes(CharacterCode::Utf8).unwrap();
        let text = String::from_utf8(u).unwrap();
        assert!(text.contains("<CharacterCodeIdentifier>0</CharacterCodeIdentifier>"));
        assert!(text.contains("<ProcessingResultStatus>1</ProcessingResultStatus>"));
    }

    fn text() -> impl Strategy<Value = String> {
        // what an XML text node keeps: no leading/trailing blanks, any other printable text
        "[A-Za-z0-9あ-んア-ン山田太郎髙﨑<>&\"' ]{0,12}".prop_map(|s| s.trim().to_owned())
    }

    fn search() -> impl Strategy<Value = SearchInfo> {
        (
            prop_oneof!["[0-9]{6}", "[0-9]{8}"],
            text(),
            "[0-9]{1,10}",
            "[0-9]{0,2}",
            "[0-9]{8}",
        )
            .prop_map(|(ins, sym, id, br, birth)| SearchInfo {
                insurer_number: format!("{ins:>8}"),
                insured_card_symbol: sym,
                insured_identification_number: id,
                insured_branch_number: br,
                birthdate: birth,
                limit_application_certificate_related_cons_flg: "1".into(),
            })
    }

    fn record() -> impl Strategy<Value = QualificationRecord> {
        (search(), text(), text(), text()).prop_map(|(s, name, kana, addr)| QualificationRecord {
            insured_card_classification: "01".into(),
            insurer_number: s.insurer_number,
            insured_card_symbol: s.insured_card_symbol,
            insured_identification_number: s.insured_identification_number,
            insured_branch_number: s.insured_branch_number,
            personal_family_classification: "1".into(),
            name,
            name_kana: kana,
            sex1: "2".into(),
            birthdate: s.birthdate,
            address: addr,
            post_number: "100-8916".into(),
            qualification_date: "20200401".into(),
            insured_partial_contribution_ratio: "030".into(),
            insurer_name: "全国健康保険協会".into(),
            ..Default::default()
        })
    }

    fn registration() -> impl Strategy<Value = ReferenceNumberRegistration> {
        ("[A-Z0-9]{1,50}", search()).prop_map(|(n, s)| ReferenceNumberRegistration {
            reference_number: n,
            insurer_number: s.insurer_number,
            insured_card_symbol: s.insured_card_symbol,
            insured_identification_number: s.insured_identification_number,
            insured_branch_number: s.insured_branch_number,
        })
    }

    proptest! {
        #[test]
        fn requests_round_trip(
            searches in proptest::collection::vec(search(), 0..4),
            regs in proptest::collection::vec(registration(), 0..3),
            reception in proptest::option::of("[0-9]{1,20}"),
            afi in proptest::option::of("[A-Za-z0-9]{1,16}"),
            sjis in any::<bool>(),
        ) {
            let r = Request {
                message_header: RequestHeader {
                    qualification_confirmation_date: Some("20250401".into()),
                    medical_institution_code: "1312345678".into(),
                    arbitrary_file_identifier: afi,
                },
                message_body: RequestBody {
                    search_infos: searches,
                    registrations: regs,
                    reception_number: reception,
                },
            };
            let code = if sjis { CharacterCode::ShiftJis } else { CharacterCode::Utf8 };
            let bytes = r.to_bytes(code).unwrap();
            prop_assert_eq!(Request::from_bytes(&bytes).unwrap(), r);
        }

        #[test]
        fn results_round_trip(
            records in proptest::collection::vec(record(), 0..3),
            units in proptest::collection::vec((search(), proptest::collection::vec(record(), 0..2)), 0..3),
            regs in proptest::collection::vec(registration(), 0..2),
            message in text(),
            sjis in any::<bool>(),
        ) {
            let code = if sjis { CharacterCode::ShiftJis } else { CharacterCode::Utf8 };
            let m = ResultMessage {
                message_header: ResultHeader {
                    process_execution_time: "20250401090000".into(),
                    qualification_confirmation_date: Some("20250401".into()),
                    medical_institution_code: "1312345678".into(),
                    arbitrary_file_identifier: Some("X".into()),
                    reference_classification: Some("2".into()),
                    segment_of_result: "1".into(),
                    error_code: None,
                    error_message: None,
                    character_code_identifier: code.identifier().to_string(),
                    reception_number: Some("12".into()),
                    number_of_processing_result: Some(units.len().to_string()),
                    number_of_normal_processing: Some("0".into()),
                    number_of_error: Some("0".into()),
                },
                message_body: ResultBody {
                    qualification_validity: Some("1".into()),
                    prescription_issue_select: Some("2".into()),
                    result_list: if records.is_empty() { None } else { Some(ResultList { records }) },
                    reference_number: Some("R1".into()),
                    bulk_confirm_units: units.into_iter().map(|(s, recs)| BulkConfirmUnit {
                        qualification_confirm_search_info: s,
                        qualification_validity: Some("1".into()),
                        records: recs,
                        ..Default::default()
                    }.with_outcome(Outcome::normal())).collect(),
                    bulk_registration_units: regs.into_iter().map(|r| BulkRegistrationUnit {
                        reference_number_registration_info: r,
                        ..Default::default()
                    }.with_outcome(Outcome::error("E1", "x"))).collect(),
                    ..Default::default()
                }.with_outcome(Outcome::error("EOQS", &message)),
            };
            let bytes = m.to_bytes(code).unwrap();
            prop_assert_eq!(ResultMessage::from_bytes(&bytes).unwrap(), m);
        }
    }
}
