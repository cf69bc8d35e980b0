//! Card readers on the terminal: how a person proves who they are at a reader
//! ([`IdentityMethod`]), the face reader's operating modes ([`ReaderMode`]), the face library's
//! binding of readers to face accounts (`C:\ProgramData\OQS-Auth\ReaderInfo.ini`,
//! [`ReaderInfo`]), and the name of the face result file.
//!
//! ReaderInfo.ini's layout is not public [INTERFACES §2]; the kit's (\[K\]) is one section per
//! reader serial, UTF-8:
//!
//! ```text
//! [FJ24000001]
//! LoginName=F0FACE01
//! Password=…
//! Mode=無人運転
//! ```

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub mod apdu;
pub mod kenmen;

/// The card applications and files of INTERFACES §3, shared by the virtual card and the driver.
pub mod jpki {
    pub const JPKI_AP: [u8; 10] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
    pub const KENMEN_HOJO_AP: [u8; 10] =
        [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08];
    pub const KENMEN_AP: [u8; 10] = [0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02];
    /// JPKI-AP files.
    pub const EF_TOKEN: [u8; 2] = [0x00, 0x06];
    pub const EF_AUTH_CERT: [u8; 2] = [0x00, 0x0A];
    pub const EF_AUTH_CA: [u8; 2] = [0x00, 0x0B];
    pub const EF_AUTH_KEY: [u8; 2] = [0x00, 0x17];
    pub const EF_AUTH_PIN: [u8; 2] = [0x00, 0x18];
    pub const EF_SIGN_CERT: [u8; 2] = [0x00, 0x01];
    pub const EF_SIGN_CA: [u8; 2] = [0x00, 0x02];
    pub const EF_SIGN_KEY: [u8; 2] = [0x00, 0x1A];
    pub const EF_SIGN_PIN: [u8; 2] = [0x00, 0x1B];
    /// 券面入力補助AP files.
    pub const EF_KENMEN_PIN: [u8; 2] = [0x00, 0x11];
    pub const EF_MY_NUMBER: [u8; 2] = [0x00, 0x01];
    pub const EF_BASIC4: [u8; 2] = [0x00, 0x02];

    /// DigestInfo of a SHA-256 hash (RFC 8017 §9.2 note 1): what a client sends to COMPUTE
    /// DIGITAL SIGNATURE, followed by the 32-byte hash.
    pub const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
}

/// What carries the card's JPKI-AP: the card itself, or a smartphone. Told apart by the
/// token EF `0006`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FormFactor {
    Card,
    Android,
    IPhone,
}

impl FormFactor {
    fn token_text(self) -> &'static [u8] {
        match self {
            Self::Card => b"JPKIAPICCTOKEN2",
            Self::Android => b"JPKIAPGPSETOKEN",
            Self::IPhone => b"JPKIAPIOSTOKEN",
        }
    }

    /// The token EF: 32 bytes of ASCII, space padded.
    pub fn token(self) -> [u8; 32] {
        let t = self.token_text();
        let mut out = [b' '; 32];
        out[..t.len()].copy_from_slice(t);
        out
    }

    /// What a token EF's content says; `None` for anything else.
    pub fn from_token(bytes: &[u8]) -> Option<Self> {
        let text = bytes.trim_ascii_end();
        [Self::Card, Self::Android, Self::IPhone]
            .into_iter()
            .find(|f| f.token_text() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Card => "マイナンバーカード",
            Self::Android => "Android",
            Self::IPhone => "iPhone",
        }
    }
}

/// 本人確認の方法.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityMethod {
    /// 顔認証 at a face reader (no PIN)
    Face,
    /// 暗証番号: the 4-digit 利用者証明用電子証明書 PIN
    Pin,
    /// 目視確認: staff compare the card's photo with the person
    Visual,
    /// iPhone carrying the card, after biometrics on the phone
    IPhone,
    /// Android carrying the card, with the 4-digit PIN
    Android,
}

impl IdentityMethod {
    pub fn label(self) -> &'static str {
        match self {
            Self::Face => "顔認証",
            Self::Pin => "暗証番号",
            Self::Visual => "目視確認",
            Self::IPhone => "iPhone",
            Self::Android => "Android",
        }
    }

    pub fn from_label(s: &str) -> Option<Self> {
        [
            Self::Face,
            Self::Pin,
            Self::Visual,
            Self::IPhone,
            Self::Android,
        ]
        .into_iter()
        .find(|m| m.label() == s)
    }

    /// Smartphone checks need 「スマホによる本人確認（カードリーダー使用）」 = 利用する.
    pub fn is_smartphone(self) -> bool {
        matches!(self, Self::IPhone | Self::Android)
    }

    /// Methods where the card proves possession by signing the server's challenge.
    pub fn signs_challenge(self) -> bool {
        matches!(self, Self::Pin | Self::IPhone | Self::Android)
    }
}

/// 運転モード of a face reader.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReaderMode {
    /// 無人運転: the person chooses face or PIN at the reader (required setting)
    #[default]
    Unattended,
    /// 目視確認: staff check the face against the card
    Visual,
    /// 暗証番号認証固定: PIN only
    PinFixed,
}

impl ReaderMode {
    pub fn label(self) -> &'static str {
        match self {
            Self::Unattended => "無人運転",
            Self::Visual => "目視確認",
            Self::PinFixed => "暗証番号認証固定",
        }
    }

    pub fn from_label(s: &str) -> Option<Self> {
        [Self::Unattended, Self::Visual, Self::PinFixed]
            .into_iter()
            .find(|m| m.label() == s)
    }
}

/// One reader's binding to a face account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReaderBinding {
    pub login_name: String,
    pub password: String,
    pub mode: ReaderMode,
}

/// `ReaderInfo.ini`: reader serial → binding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReaderInfo {
    pub readers: BTreeMap<String, ReaderBinding>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "ReaderInfo.ini の {line} 行目が読めません: {reason}。ログイン名管理ツールで登録し直してください"
)]
pub struct ReaderInfoError {
    pub line: usize,
    pub reason: String,
}

impl ReaderInfo {
    pub const FILE: &'static str = r"C:\ProgramData\OQS-Auth\ReaderInfo.ini";

    pub fn parse(bytes: &[u8]) -> Result<Self, ReaderInfoError> {
        let text = std::str::from_utf8(bytes).map_err(|e| ReaderInfoError {
            line: bytes[..e.valid_up_to()]
                .iter()
                .filter(|b| **b == b'\n')
                .count()
                + 1,
            reason: "UTF-8 ではありません".into(),
        })?;
        // Notepad writes a BOM
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut readers = BTreeMap::new();
        // the open section: serial, the line of its header (where its errors point), its keys
        type Section = (String, usize, BTreeMap<String, String>);
        let mut current: Option<Section> = None;
        let finish = |cur: Option<Section>,
                      readers: &mut BTreeMap<String, ReaderBinding>|
         -> Result<(), ReaderInfoError> {
            let Some((serial, line, mut keys)) = cur else {
                return Ok(());
            };
            let err = |reason: String| ReaderInfoError { line, reason };
            if readers.contains_key(&serial) {
                return Err(err(format!("[{serial}] が2回あります")));
            }
            let login_name = keys
                .remove("LoginName")
                .filter(|v| !v.is_empty())
                .ok_or_else(|| err(format!("[{serial}] に LoginName がありません")))?;
            let password = keys.remove("Password").unwrap_or_default();
            let mode = match keys.remove("Mode") {
                None => ReaderMode::default(),
                Some(m) => ReaderMode::from_label(&m)
                    .ok_or_else(|| err(format!("[{serial}] の運転モード「{m}」は不明です")))?,
            };
            readers.insert(
                serial,
                ReaderBinding {
                    login_name,
                    password,
                    mode,
                },
            );
            Ok(())
        };
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with(';') {
                continue;
            }
            if let Some(serial) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                finish(current.take(), &mut readers)?;
                current = Some((serial.trim().to_owned(), n, BTreeMap::new()));
            } else if let Some((k, v)) = line.split_once('=') {
                let Some((_, _, keys)) = current.as_mut() else {
                    return Err(ReaderInfoError {
                        line: n,
                        reason: "セクション [シリアル番号] の前に値があります".into(),
                    });
                };
                keys.insert(k.trim().to_owned(), v.trim().to_owned());
            } else {
                return Err(ReaderInfoError {
                    line: n,
                    reason: format!("「{line}」は キー=値 ではありません"),
                });
            }
        }
        finish(current, &mut readers)?;
        Ok(Self { readers })
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = String::from("; oqs-kit ReaderInfo.ini (layout: the kit's profile)\r\n");
        for (serial, b) in &self.readers {
            out.push_str(&format!(
                "[{serial}]\r\nLoginName={}\r\nPassword={}\r\nMode={}\r\n",
                b.login_name,
                b.password,
                b.mode.label()
            ));
        }
        out.into_bytes()
    }
}

/// The face result file name: `OQSsiquc01res_face_<institution code>_<reader serial>_<yyyyMMddHHmmss>.xml`
/// (\[I\] middle part: the code and an id; the kit uses the reader's serial).
pub fn face_result_file_name(institution: &str, serial: &str, stamp: &str, zip: bool) -> String {
    let ext = if zip { "zip" } else { "xml" };
    format!("OQSsiquc01res_face_{institution}_{serial}_{stamp}.{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_info_round_trips_and_names_bad_lines() {
        let mut info = ReaderInfo::default();
        info.readers.insert(
            "FJ24000001".into(),
            ReaderBinding {
                login_name: "F0FACE01".into(),
                password: "Face#Kit2025a".into(),
                mode: ReaderMode::PinFixed,
            },
        );
        let again = ReaderInfo::parse(&info.to_bytes()).unwrap();
        assert_eq!(again, info);
        let e = ReaderInfo::parse(b"[A1]\r\nPassword=x\r\n").unwrap_err();
        assert!(e.to_string().contains("LoginName"), "{e}");
        let e = ReaderInfo::parse("[A1]\nLoginName=F0X\nMode=自動\n".as_bytes()).unwrap_err();
        assert!(e.to_string().contains("自動"), "{e}");
        let e = ReaderInfo::parse(b"LoginName=F0X\n").unwrap_err();
        assert_eq!(e.line, 1);
        // errors point at the reader's own section; a BOM is fine; a serial twice is not
        let e = ReaderInfo::parse(b"[A1]\nLoginName=F0A\n[B2]\nPassword=x\n[C3]\nLoginName=F0C\n")
            .unwrap_err();
        assert_eq!(e.line, 3, "{e}");
        let bom = [&[0xEF, 0xBB, 0xBF][..], &info.to_bytes()].concat();
        assert_eq!(ReaderInfo::parse(&bom).unwrap(), info);
        assert!(ReaderInfo::parse(b"[A1]\nLoginName=F0A\n[A1]\nLoginName=F0B\n").is_err());
        assert!(ReaderInfo::parse(b"[A1]\n\xff\n").is_err());
    }

    #[test]
    fn tokens_tell_the_carrier() {
        for f in [FormFactor::Card, FormFactor::Android, FormFactor::IPhone] {
            assert_eq!(FormFactor::from_token(&f.token()), Some(f));
        }
        assert_eq!(FormFactor::from_token(b"JPKIAPICCTOKEN"), None);
    }

    #[test]
    fn labels_round_trip() {
        for m in [
            ReaderMode::Unattended,
            ReaderMode::Visual,
            ReaderMode::PinFixed,
        ] {
            assert_eq!(ReaderMode::from_label(m.label()), Some(m));
        }
        assert_eq!(
            IdentityMethod::from_label("Android"),
            Some(IdentityMethod::Android)
        );
        assert!(IdentityMethod::IPhone.is_smartphone() && IdentityMethod::Pin.signs_challenge());
        assert!(!IdentityMethod::Face.signs_challenge());
    }
}
