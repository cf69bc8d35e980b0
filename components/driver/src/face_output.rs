//! The face result file: after a card check, `OQSsiquc01res_face_<code>_<serial>_<stamp>.xml`
//! in `FaceDataDir` with the qualification result layout, `ReferenceClassification`=1 and the
//! server's `ArbitraryFileIdentifier` [INTERFACES §2]; a password ZIP instead when
//! `encrypt_face.conf` says `OQSsiquc01=e`. Written under a temporary name and renamed, so a
//! HIS never reads half a file.

use crate::settings::DriverSettings;
use oqs_host::{Host, WinPath};
use oqs_proto::api::CardCheckResult;
use oqs_proto::linkage::crypt::{self, CryptPassError};
use oqs_proto::linkage::encoding::EncodingError;
use oqs_proto::linkage::message::{ResultBody, ResultHeader, ResultMessage, Segment, stamp};
use oqs_proto::reader::face_result_file_name;
use oqs_proto::settings::CharacterCode;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum FaceOutputError {
    #[error(
        "資格確認結果を FaceDataDir「{dir}」に書き出せません: {source}。UserDefinitionForFace.property の FaceDataDir を確認してください"
    )]
    Write { dir: String, source: std::io::Error },
    #[error("資格確認結果を文字コード {code:?} で書き出せません: {source}")]
    Encoding {
        code: CharacterCode,
        source: EncodingError,
    },
    #[error(
        "encrypt_face.conf で暗号化する設定ですが、汎用資格情報 OQS_CRYPT_PASS がありません。操作12の表のとおり登録してください"
    )]
    NoCryptPass,
    #[error("汎用資格情報 OQS_CRYPT_PASS が規則に合いません: {0}")]
    CryptPass(CryptPassError),
}

pub const KIND: &str = "OQSsiquc01";

/// What can be known before a check starts: with `OutputFlg=true`, the folder can be made and
/// an encrypted kind has its password. Checked first, so a check the server answered is never
/// left without its file for a reason known beforehand.
pub fn preflight(host: &dyn Host, s: &DriverSettings) -> Result<(), FaceOutputError> {
    if !s.face_output.enabled {
        return Ok(());
    }
    password(s)?;
    folder(host, s).map(|_| ())
}

/// The `OQS_CRYPT_PASS` to seal with, when encrypt_face.conf encrypts face results.
fn password(s: &DriverSettings) -> Result<Option<&crypt::CryptPass>, FaceOutputError> {
    if !s.encrypt.encrypts(KIND) {
        return Ok(None);
    }
    match &s.crypt {
        None => Err(FaceOutputError::NoCryptPass),
        Some(Err(e)) => Err(FaceOutputError::CryptPass(e.clone())),
        Some(Ok(p)) => Ok(Some(p)),
    }
}

/// `FaceDataDir` on this machine, made if missing.
fn folder(host: &dyn Host, s: &DriverSettings) -> Result<PathBuf, FaceOutputError> {
    let err = |source| FaceOutputError::Write {
        dir: s.face_output.dir.clone(),
        source,
    };
    let dir = WinPath::parse(&s.face_output.dir)
        .map_err(|_| err(std::io::ErrorKind::InvalidInput.into()))?;
    let local = host.files().resolve(&dir).map_err(err)?;
    std::fs::create_dir_all(&local).map_err(err)?;
    Ok(local)
}

/// Writes the file when `OutputFlg=true`; returns where.
pub fn write(
    host: &dyn Host,
    s: &DriverSettings,
    serial: &str,
    code: CharacterCode,
    answer: &CardCheckResult,
) -> Result<Option<PathBuf>, FaceOutputError> {
    if !s.face_output.enabled {
        return Ok(None);
    }
    let now = host.clock().now();
    let m = ResultMessage {
        message_header: ResultHeader {
            process_execution_time: stamp(now),
            medical_institution_code: s.institution.to_string(),
            arbitrary_file_identifier: Some(answer.arbitrary_file_identifier.clone()),
            reference_classification: Some("1".into()),
            segment_of_result: Segment::Normal.code().into(),
            character_code_identifier: code.identifier().to_string(),
            ..Default::default()
        },
        message_body: ResultBody::qualification(answer.result.clone()),
    };
    let xml = m
        .to_bytes(code)
        .map_err(|source| FaceOutputError::Encoding { code, source })?;
    let pass = password(s)?;
    let encrypted = pass.is_some();
    let inst = s.institution.to_string();
    let xml_name = face_result_file_name(&inst, serial, &stamp(now), false);
    let (name, bytes) = match pass {
        Some(pass) => (
            face_result_file_name(&inst, serial, &stamp(now), true),
            crypt::seal(&xml_name, &xml, pass),
        ),
        None => (xml_name, xml),
    };
    let err = |source| FaceOutputError::Write {
        dir: s.face_output.dir.clone(),
        source,
    };
    let local = folder(host, s)?;
    let path = local.join(&name);
    // never over an earlier result of the same second: a HIS may not have taken it yet
    let path = (1..)
        .map(|n: u32| match n {
            1 => path.clone(),
            n => local.join(format!(
                "{}-{n}.{}",
                name.rsplit_once('.').map_or(name.as_str(), |x| x.0),
                if encrypted { "zip" } else { "xml" }
            )),
        })
        .find(|p| !p.exists())
        .expect("a free name");
    let tmp = local.join(format!(".{name}.part"));
    {
        // on disk before it gets its name: a HIS never finds a file that a power cut empties
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp).map_err(err)?;
        f.write_all(&bytes).map_err(err)?;
        f.sync_all().map_err(err)?;
    }
    std::fs::rename(&tmp, &path).map_err(err)?;
    Ok(Some(path))
}
