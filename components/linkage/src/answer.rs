//! The linkage app's core, with no I/O: from a request file's name and bytes to the request
//! it carries (or the reason it cannot be used), and from the server's answer (or a failure) to
//! the result file's name and bytes. The app in [`crate::app`] only moves files and calls the
//! server around these functions.

use oqs_proto::api::{BulkAccepted, BulkCheckDownload, BulkRegistrationDownload};
use oqs_proto::institution::InstitutionCode;
use oqs_proto::linkage::crypt::{self, CryptError, CryptPass};
use oqs_proto::linkage::encoding::EncodingError;
use oqs_proto::linkage::message::{
    BulkConfirmUnit, BulkRegistrationUnit, MessageError, Outcome, ReferenceNumberRegistration,
    Request, ResultBody, ResultHeader, ResultMessage, Segment, stamp,
};
use oqs_proto::linkage::{Extension, FileName, RequestKind};
use oqs_proto::profile::Profile;
use oqs_proto::qualification::QualificationResult;
use oqs_proto::settings::CharacterCode;
use time::OffsetDateTime;

/// Most characters of a failure's particulars kept in a result.
pub const MAX_DETAIL: usize = 500;

/// Why a request gets an error result: a row of the profile's table and the particulars.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub id: &'static str,
    pub detail: String,
}

impl Failure {
    /// `detail` often quotes the request (a file or entry name, a parser's message): characters
    /// XML cannot hold are written as `\u{..}` and the text is cut at [`MAX_DETAIL`] characters,
    /// so the error result stays well-formed and small whatever the request held.
    pub fn new(id: &'static str, detail: impl std::fmt::Display) -> Self {
        let mut text = String::new();
        for (i, c) in detail.to_string().chars().enumerate() {
            if i == MAX_DETAIL {
                text.push('…');
                break;
            }
            let xml_char = matches!(c, '\t' | '\n' | '\r')
                || !(c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}'));
            if xml_char {
                text.push(c);
            } else {
                text.push_str(&c.escape_unicode().to_string());
            }
        }
        Self { id, detail: text }
    }

    /// Failures about the encryption itself are answered in plain XML: a HIS that cannot
    /// encrypt or decrypt with our password could not read an encrypted answer either.
    fn is_about_encryption(&self) -> bool {
        matches!(
            self.id,
            "not_encrypted"
                | "wrong_crypt_password"
                | "corrupt_archive"
                | "archive_layout"
                | "unexpected_archive"
                | "crypt_pass_invalid"
                | "credential_missing"
        )
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{}] {}", self.id, self.detail)
    }
}

/// What the app knows when it answers one request.
pub struct Ctx<'a> {
    pub now: OffsetDateTime,
    pub institution: &'a InstitutionCode,
    /// The site's 文字コード (環境設定).
    pub character_code: CharacterCode,
    /// Whether this kind travels encrypted (`encrypt.conf`).
    pub encrypted: bool,
    /// `OQS_CRYPT_PASS`, absent or against the rule.
    pub crypt: Option<&'a Result<CryptPass, oqs_proto::linkage::crypt::CryptPassError>>,
    pub profile: &'a Profile,
}

/// A request ready to be sent to the server.
#[derive(Clone, Debug)]
pub struct Job {
    pub name: FileName,
    pub kind: RequestKind,
    pub request: Request,
}

/// Whether a plain XML file looks cut short (its root element not closed): a HIS may still be
/// writing it in place. Encrypted files cannot be judged this way; HIS clients move them into
/// `req` only once written [INTERFACES §1].
pub fn looks_incomplete(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_end_matches(['\r', '\n', ' ', '\t', '\0']);
    let mut rest = text;
    let (root, at) = loop {
        let Some(lt) = rest.find('<') else {
            return true;
        };
        let at = text.len() - rest.len() + lt;
        rest = &rest[lt + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
            .collect();
        break (name, at);
    };
    if root.is_empty() {
        return true;
    }
    // `<XmlMsg/>`: the root's own tag closes it and nothing follows.
    let self_closed = text[at..]
        .find('>')
        .is_some_and(|gt| at + gt + 1 == text.len() && text.ends_with("/>"));
    !(self_closed || text.ends_with(&format!("</{root}>")))
}

fn crypt_failure(e: CryptError) -> Failure {
    let id = match &e {
        CryptError::NotAnArchive(_) => "not_encrypted",
        CryptError::WrongPassword(_) => "wrong_crypt_password",
        CryptError::Corrupt { .. } => "corrupt_archive",
        CryptError::NotAes256 { .. } | CryptError::Entries { .. } => "archive_layout",
        CryptError::TooLarge { .. } => "request_too_large",
    };
    Failure::new(id, e)
}

fn message_failure(e: MessageError) -> Failure {
    let id = match &e {
        MessageError::Encoding(_) => "encoding",
        MessageError::Malformed(_) => "malformed_request",
        MessageError::Missing { .. } | MessageError::Count { .. } => "missing_element",
        MessageError::Value { .. } => "invalid_value",
    };
    Failure::new(id, e)
}

/// From a request file to the request it carries.
pub fn read_request(name: &FileName, bytes: &[u8], ctx: &Ctx) -> Result<Job, Failure> {
    let kind = name.known_kind().ok_or_else(|| {
        Failure::new(
            "unsupported_kind",
            format!(
                "要求種別「{}」には対応していません（対応: 資格確認 OQSsiquc01、照会番号登録 OQSsiimm01、一括照会 OQSmuquc01/02、一括照会番号登録 OQSmuimm01/02）",
                name.prefix()
            ),
        )
    })?;
    if let Some(Err(e)) = ctx.crypt {
        return Err(Failure::new("crypt_pass_invalid", e));
    }
    let xml = match (ctx.encrypted, name.extension) {
        (true, Extension::Zip) => {
            let Some(Ok(pass)) = ctx.crypt else {
                return Err(Failure::new(
                    "credential_missing",
                    format!(
                        "{} は暗号化する設定ですが、資格情報マネージャーに OQS_CRYPT_PASS がありません",
                        name.prefix()
                    ),
                ));
            };
            let entry = name.with_extension(Extension::Xml).to_string();
            crypt::open(
                &name.to_string(),
                bytes,
                &entry,
                pass,
                ctx.profile.linkage.max_request_xml_bytes,
            )
            .map_err(crypt_failure)?
        }
        (true, _) => {
            return Err(Failure::new(
                "not_encrypted",
                format!(
                    "encrypt.conf で {}=e（暗号化する）ですが、「{name}」は暗号化されていません。HIS側でパスワード付きZIP（{}.zip）にしてください",
                    name.prefix(),
                    name.basename()
                ),
            ));
        }
        (false, Extension::Zip) => {
            return Err(Failure::new(
                "unexpected_archive",
                format!(
                    "encrypt.conf で {} は暗号化しない設定です。「{name}」ではなく {}.xml を置いてください",
                    name.prefix(),
                    name.basename()
                ),
            ));
        }
        (false, _) => bytes.to_vec(),
    };
    let request = Request::from_bytes(&xml).map_err(message_failure)?;
    request.check(kind).map_err(message_failure)?;
    let code = &request.message_header.medical_institution_code;
    if code != ctx.institution.as_str() {
        return Err(Failure::new(
            "institution_mismatch",
            format!(
                "要求の医療機関コード「{code}」が端末の医療機関コード「{}」と一致しません",
                ctx.institution
            ),
        ));
    }
    Ok(Job {
        name: name.clone(),
        kind,
        request,
    })
}

/// What the server answered for a job.
#[derive(Clone, Debug)]
pub enum Answer {
    Check(QualificationResult),
    Registered(ReferenceNumberRegistration),
    Accepted(BulkAccepted),
    BulkCheck(BulkCheckDownload),
    BulkRegistration(BulkRegistrationDownload),
    /// The server refused the person's data (a business error, answered in the body).
    Refused(Failure),
}

/// A result file to publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutFile {
    pub name: FileName,
    pub bytes: Vec<u8>,
}

fn header(request: Option<&Request>, ctx: &Ctx, segment: Segment) -> ResultHeader {
    let h = request.map(|r| &r.message_header);
    ResultHeader {
        process_execution_time: stamp(ctx.now),
        qualification_confirmation_date: h.and_then(|h| h.qualification_confirmation_date.clone()),
        medical_institution_code: ctx.institution.to_string(),
        arbitrary_file_identifier: h.and_then(|h| h.arbitrary_file_identifier.clone()),
        reference_classification: None,
        segment_of_result: segment.code().into(),
        error_code: None,
        error_message: None,
        character_code_identifier: ctx.character_code.identifier().to_string(),
        reception_number: None,
        number_of_processing_result: None,
        number_of_normal_processing: None,
        number_of_error: None,
    }
}

fn outcome_of<E: std::fmt::Display>(r: Result<(), E>, profile: &Profile, id: &str) -> Outcome {
    match r {
        Ok(()) => Outcome::normal(),
        Err(e) => {
            let row = profile.result(id);
            Outcome::error(&row.code, &format!("{}: {e}", row.message))
        }
    }
}

/// A bulk download's header: the 受付番号, then either "still processing" (SegmentOfResult 2)
/// or the counts `(all, errors)` of the processed result.
fn bulk_header(
    h: &mut ResultHeader,
    reception: &str,
    counts: Option<(usize, usize)>,
    profile: &Profile,
) {
    h.reception_number = Some(reception.into());
    match counts {
        None => {
            let row = profile.result("bulk_processing");
            h.segment_of_result = Segment::Processing.code().into();
            h.error_code = Some(row.code.clone());
            h.error_message = Some(row.message.clone());
        }
        Some((all, errors)) => {
            h.number_of_processing_result = Some(all.to_string());
            h.number_of_normal_processing = Some((all - errors).to_string());
            h.number_of_error = Some(errors.to_string());
        }
    }
}

/// The result document for a job the server answered.
pub fn result_for(job: &Job, answer: Answer, ctx: &Ctx) -> ResultMessage {
    let req = Some(&job.request);
    let mut m = ResultMessage {
        message_header: header(req, ctx, Segment::Normal),
        message_body: ResultBody::default().with_outcome(Outcome::normal()),
    };
    let body = &mut m.message_body;
    match answer {
        Answer::Check(r) => {
            m.message_header.reference_classification = Some("2".into());
            *body = ResultBody::qualification(r);
        }
        Answer::Registered(r) => body.reference_number = Some(r.reference_number),
        Answer::Accepted(a) => {
            m.message_header.reception_number = Some(a.reception_number);
            m.message_header.number_of_processing_result = Some(a.count.to_string());
        }
        Answer::BulkCheck(d) => {
            let errors = d.items.iter().filter(|i| i.result.is_err()).count();
            let counts = d.ready.then_some((d.items.len(), errors));
            bulk_header(
                &mut m.message_header,
                &d.reception_number,
                counts,
                ctx.profile,
            );
            body.bulk_confirm_units = bulk_check_units(d, ctx.profile);
        }
        Answer::BulkRegistration(d) => {
            let errors = d.items.iter().filter(|i| i.error.is_some()).count();
            let counts = d.ready.then_some((d.items.len(), errors));
            bulk_header(
                &mut m.message_header,
                &d.reception_number,
                counts,
                ctx.profile,
            );
            body.bulk_registration_units = bulk_registration_units(d, ctx.profile);
        }
        Answer::Refused(f) => {
            let row = ctx.profile.result(f.id);
            body.set_outcome(Outcome::error(
                &row.code,
                &format!("{}: {}", row.message, f.detail),
            ));
        }
    }
    m
}

/// One unit per person of a bulk check: the validity and records, or the error.
fn bulk_check_units(d: BulkCheckDownload, profile: &Profile) -> Vec<BulkConfirmUnit> {
    d.items
        .into_iter()
        .map(|i| match i.result {
            Ok(r) => BulkConfirmUnit {
                qualification_confirm_search_info: i.search,
                qualification_validity: Some(u8::from(r.qualification_validity).to_string()),
                reference_number: r
                    .result_list
                    .iter()
                    .map(|x| x.reference_number.clone())
                    .find(|n| !n.is_empty()),
                records: r.result_list,
                ..Default::default()
            }
            .with_outcome(Outcome::normal()),
            Err(e) => BulkConfirmUnit {
                qualification_confirm_search_info: i.search,
                ..Default::default()
            }
            .with_outcome(outcome_of(Err(e.message), profile, "bad_search")),
        })
        .collect()
}

/// One unit per registration of a bulk registration, with its error if it had one.
fn bulk_registration_units(
    d: BulkRegistrationDownload,
    profile: &Profile,
) -> Vec<BulkRegistrationUnit> {
    d.items
        .into_iter()
        .map(|i| {
            let o = match i.error {
                None => Ok(()),
                Some(e) => Err(e.message),
            };
            BulkRegistrationUnit {
                reference_number_registration_info: i.registration,
                ..Default::default()
            }
            .with_outcome(outcome_of(o, profile, "bad_search"))
        })
        .collect()
}

/// The error result document (SegmentOfResult 9) for a request that could not be answered.
pub fn error_for(request: Option<&Request>, failure: &Failure, ctx: &Ctx) -> ResultMessage {
    let row = ctx.profile.result(failure.id);
    let message = format!("{}: {}", row.message, failure.detail);
    let mut h = header(request, ctx, Segment::Abnormal);
    h.error_code = Some(row.code.clone());
    h.error_message = Some(message.clone());
    ResultMessage {
        message_header: h,
        message_body: ResultBody::default().with_outcome(Outcome::error(&row.code, &message)),
    }
}

fn unrepresentable(e: &EncodingError) -> Failure {
    match e {
        // The detail names the character by code point: the character itself cannot be written.
        EncodingError::Unmappable { ch, field } => Failure::new(
            "unrepresentable",
            format!(
                "項目「{field}」に Shift_JIS で表せない文字 (U+{:04X}) があります。環境設定の文字コードを UTF-8 にしてください",
                *ch as u32
            ),
        ),
        other => Failure::new("unrepresentable", other),
    }
}

/// The file that answers request `name`: `<res basename>.xml`, or `.zip` for encrypted kinds.
pub fn render(name: &FileName, m: &ResultMessage, ctx: &Ctx) -> Result<OutFile, Failure> {
    let bytes = m
        .to_bytes(ctx.character_code)
        .map_err(|e| unrepresentable(&e))?;
    Ok(seal_if_needed(name, bytes, ctx, true))
}

fn seal_if_needed(name: &FileName, bytes: Vec<u8>, ctx: &Ctx, may_encrypt: bool) -> OutFile {
    match (ctx.encrypted && may_encrypt, ctx.crypt) {
        (true, Some(Ok(pass))) => {
            let xml_name = name.result(Extension::Xml);
            OutFile {
                name: name.result(Extension::Zip),
                bytes: crypt::seal(&xml_name.to_string(), &bytes, pass),
            }
        }
        _ => OutFile {
            name: name.result(Extension::Xml),
            bytes,
        },
    }
}

/// The answer to a request that failed: an error result, or for bulk kinds the
/// `<request basename>.err` file [INTERFACES §1]. Never fails: a message the site's code cannot
/// hold is replaced by the profile's own words.
pub fn failure_file(
    name: &FileName,
    request: Option<&Request>,
    failure: &Failure,
    ctx: &Ctx,
) -> OutFile {
    let bulk = name.known_kind().is_some_and(RequestKind::is_bulk);
    let plain_only = failure.is_about_encryption();
    let encode = |f: &Failure| -> Result<Vec<u8>, EncodingError> {
        if bulk {
            let row = ctx.profile.result(f.id);
            let text = format!(
                "ErrorCode={}\r\nErrorMessage={}: {}\r\nProcessExecutionTime={}\r\n",
                row.code,
                row.message,
                f.detail,
                stamp(ctx.now)
            );
            oqs_proto::linkage::encoding::encode(&text, ctx.character_code)
        } else {
            error_for(request, f, ctx).to_bytes(ctx.character_code)
        }
    };
    let bytes = encode(failure).unwrap_or_else(|_| {
        // The detail (e.g. a file name) has text the site's code cannot hold.
        let plain = Failure::new(failure.id, "");
        encode(&plain).expect("the profile's messages are representable in Shift_JIS")
    });
    if bulk {
        OutFile {
            name: name.with_extension(Extension::Err),
            bytes,
        }
    } else {
        seal_if_needed(name, bytes, ctx, !plain_only)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_text_holds_only_characters_xml_allows_and_stays_short() {
        let f = Failure::new("archive_layout", "a\u{1}b\u{1b}c\td\u{FFFE}");
        assert_eq!(f.detail, "a\\u{1}b\\u{1b}c\td\\u{fffe}");
        let long = Failure::new("malformed_request", "x".repeat(10_000));
        assert_eq!(long.detail.chars().count(), MAX_DETAIL + 1);
        assert!(long.detail.ends_with('…'));
    }
    use oqs_proto::linkage::message::RequestHeader;
    use oqs_proto::qualification::{QualificationRecord, QualificationValidity, SearchInfo};

    fn ctx<'a>(
        code: &'a InstitutionCode,
        crypt: Option<&'a Result<CryptPass, oqs_proto::linkage::crypt::CryptPassError>>,
        encrypted: bool,
        cc: CharacterCode,
    ) -> Ctx<'a> {
        Ctx {
            now: time::macros::datetime!(2025-04-01 09:00 +9),
            institution: code,
            character_code: cc,
            encrypted,
            crypt,
            profile: Profile::builtin(),
        }
    }

    fn request() -> Request {
        Request {
            message_header: RequestHeader {
                qualification_confirmation_date: Some("20250401".into()),
                medical_institution_code: "1312345678".into(),
                arbitrary_file_identifier: Some("HIS-1".into()),
            },
            message_body: oqs_proto::linkage::message::RequestBody {
                search_infos: vec![SearchInfo {
                    insurer_number: "06130012".into(),
                    insured_identification_number: "123".into(),
                    birthdate: "19800101".into(),
                    ..Default::default()
                }],
                ..Default::default()
            },
        }
    }

    #[test]
    fn incomplete_xml_is_recognised() {
        let full = request().to_bytes(CharacterCode::Utf8).unwrap();
        assert!(!looks_incomplete(&full));
        for cut in [10, full.len() / 2, full.len() - 3] {
            assert!(looks_incomplete(&full[..cut]), "cut at {cut}");
        }
        assert!(looks_incomplete(b""));
        assert!(!looks_incomplete(b"<?xml version=\"1.0\"?>\n<XmlMsg/>\n"));
    }

    #[test]
    fn plain_request_becomes_a_job_and_a_result_in_the_site_code() {
        let code: InstitutionCode = "1312345678".parse().unwrap();
        let c = ctx(&code, None, false, CharacterCode::ShiftJis);
        let name: FileName = "OQSsiquc01req_0001.xml".parse().unwrap();
        let bytes = request().to_bytes(CharacterCode::Utf8).unwrap();
        let job = read_request(&name, &bytes, &c).unwrap();
        let valid = |name: &str| {
            Answer::Check(QualificationResult {
                processing_result_status: 1,
                qualification_validity: QualificationValidity::Valid,
                result_list: vec![QualificationRecord {
                    name: name.into(),
                    ..Default::default()
                }],
            })
        };
        let out = render(&job.name, &result_for(&job, valid("山田　太郎"), &c), &c).unwrap();
        assert_eq!(out.name.to_string(), "OQSsiquc01res_0001.xml");
        let m = ResultMessage::from_bytes(&out.bytes).unwrap();
        assert_eq!(m.message_header.character_code_identifier, "1");
        assert_eq!(
            m.message_header.arbitrary_file_identifier.as_deref(),
            Some("HIS-1")
        );
        assert_eq!(m.message_body.qualification_validity.as_deref(), Some("1"));
        assert_eq!(
            m.message_body.result_list.unwrap().records[0].name,
            "山田　太郎"
        );
        // a name Shift_JIS cannot hold is an error result naming the field
        let f = render(&job.name, &result_for(&job, valid("𠮷田　花子"), &c), &c).unwrap_err();
        assert_eq!(f.id, "unrepresentable");
        assert!(
            f.detail.contains("「Name」") && f.detail.contains("U+20BB7"),
            "{f}"
        );
        let out = failure_file(&job.name, Some(&job.request), &f, &c);
        let m = ResultMessage::from_bytes(&out.bytes).unwrap();
        assert_eq!(m.segment(), "9");
        assert_eq!(m.message_header.error_code.as_deref(), Some("EOQS1201"));
    }

    #[test]
    fn encrypted_kind_refuses_plain_files_and_answers_in_a_zip() {
        let code: InstitutionCode = "1312345678".parse().unwrap();
        let pass: Result<CryptPass, _> = "Pass1234".parse();
        let c = ctx(&code, Some(&pass), true, CharacterCode::Utf8);
        let xml = request().to_bytes(CharacterCode::Utf8).unwrap();
        let plain: FileName = "OQSsiquc01req_A.xml".parse().unwrap();
        let f = read_request(&plain, &xml, &c).unwrap_err();
        assert_eq!(f.id, "not_encrypted");
        // the error is plain: the HIS may not share our password
        let out = failure_file(&plain, None, &f, &c);
        assert_eq!(out.name.to_string(), "OQSsiquc01res_A.xml");
        let zipped: FileName = "OQSsiquc01req_A.zip".parse().unwrap();
        let z = crypt::seal("OQSsiquc01req_A.xml", &xml, pass.as_ref().unwrap());
        let job = read_request(&zipped, &z, &c).unwrap();
        let out = render(
            &job.name,
            &result_for(&job, Answer::Registered(Default::default()), &c),
            &c,
        )
        .unwrap();
        assert_eq!(out.name.to_string(), "OQSsiquc01res_A.zip");
        let inner = crypt::open(
            "r",
            &out.bytes,
            "OQSsiquc01res_A.xml",
            pass.as_ref().unwrap(),
            1 << 24,
        );
        assert!(inner.is_ok());
        let wrong: Result<CryptPass, _> = "Other999".parse();
        let c2 = ctx(&code, Some(&wrong), true, CharacterCode::Utf8);
        assert_eq!(
            read_request(&zipped, &z, &c2).unwrap_err().id,
            "wrong_crypt_password"
        );
        let mut cut = z.clone();
        cut.truncate(z.len() - 30);
        assert_eq!(
            read_request(&zipped, &cut, &c).unwrap_err().id,
            "corrupt_archive"
        );
        let bad: Result<CryptPass, _> = "pass#word".parse();
        let c3 = ctx(&code, Some(&bad), false, CharacterCode::Utf8);
        let f = read_request(&plain, &xml, &c3).unwrap_err();
        assert_eq!(f.id, "crypt_pass_invalid");
        assert!(f.detail.contains("「#」"), "{f}");
    }

    #[test]
    fn bulk_failures_are_err_files_and_others_are_named() {
        let code: InstitutionCode = "1312345678".parse().unwrap();
        let c = ctx(&code, None, false, CharacterCode::Utf8);
        let bulk: FileName = "OQSmuquc02req_B.xml".parse().unwrap();
        let out = failure_file(&bulk, None, &Failure::new("reception_unknown", "x"), &c);
        assert_eq!(out.name.to_string(), "OQSmuquc02req_B.err");
        assert!(
            String::from_utf8(out.bytes)
                .unwrap()
                .starts_with("ErrorCode=EOQS2002")
        );
        let other: FileName = "YZKsiquc01req_1.xml".parse().unwrap();
        assert_eq!(
            read_request(&other, b"", &c).unwrap_err().id,
            "unsupported_kind"
        );
        let mut r = request();
        r.message_header.medical_institution_code = "2712345678".into();
        let bytes = r.to_bytes(CharacterCode::Utf8).unwrap();
        let name: FileName = "OQSsiquc01req_C.xml".parse().unwrap();
        assert_eq!(
            read_request(&name, &bytes, &c).unwrap_err().id,
            "institution_mismatch"
        );
    }
}
