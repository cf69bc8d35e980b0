//! Encrypted request and result files: a password ZIP with the same base name
//! (`OQSsiquc01req_X.zip`) holding one entry `<basename>.xml`, AES-256 (WinZip AE-2), password =
//! `OQS_CRYPT_PASS` [INTERFACES §1, I/K]. 7-Zip opens what [`seal`] writes, and [`open`] reads
//! what `7z a -tzip -mem=AES256` writes.
//!
//! WinZip AES authenticates the encrypted data (HMAC-SHA1) and checks the password with a
//! 2-byte verifier; on top of that [`open`] insists on exactly one AES-256 entry with the
//! expected name, so a wrong password, a truncated or altered archive and a plain file where an
//! encrypted one is expected are all errors, each with its own words.

use std::io::{Cursor, Read, Write};
use std::str::FromStr;
use zip::AesMode;
use zip::result::ZipError;
use zip::write::SimpleFileOptions;

/// The most characters `OQS_CRYPT_PASS` may have [000 op12].
pub const MAX_CRYPT_PASS: usize = 12;

/// A valid `OQS_CRYPT_PASS`: 1–12 half-width alphanumerics.
#[derive(Clone, PartialEq, Eq)]
pub struct CryptPass(String);

impl std::fmt::Debug for CryptPass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CryptPass(***)")
    }
}

/// Why a password is not usable; the manual: 「半角英数字12文字以内」, anything else makes
/// linkage checks fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptPassError {
    #[error("OQS_CRYPT_PASS のパスワードが空です。半角英数字12文字以内で設定してください")]
    Empty,
    #[error("OQS_CRYPT_PASS のパスワードが{0}文字あります。半角英数字12文字以内で設定してください")]
    TooLong(usize),
    #[error(
        "OQS_CRYPT_PASS のパスワードに使えない文字「{0}」があります。半角英数字（0-9, A-Z, a-z）12文字以内で設定してください"
    )]
    NotAlphanumeric(char),
}

impl FromStr for CryptPass {
    type Err = CryptPassError;
    fn from_str(s: &str) -> Result<Self, CryptPassError> {
        if s.is_empty() {
            return Err(CryptPassError::Empty);
        }
        if let Some(c) = s.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(CryptPassError::NotAlphanumeric(c));
        }
        if s.len() > MAX_CRYPT_PASS {
            return Err(CryptPassError::TooLong(s.len()));
        }
        Ok(Self(s.to_owned()))
    }
}

impl CryptPass {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptError {
    #[error(
        "暗号化する設定のファイル「{0}」がZIP形式ではありません。HIS側で暗号化（パスワード付きZIP）してから置いてください"
    )]
    NotAnArchive(String),
    #[error(
        "暗号化ファイル「{0}」を復号できません: パスワードが違います。資格情報マネージャーの OQS_CRYPT_PASS とHIS側の暗号化パスワードを一致させてください"
    )]
    WrongPassword(String),
    #[error(
        "暗号化ファイル「{file}」が壊れています（途中で切れているか、内容が変更されています）: {detail}。HIS側で作り直してください"
    )]
    Corrupt { file: String, detail: String },
    #[error(
        "暗号化ファイル「{file}」の中身「{entry}」は AES-256 で暗号化されていません。AES-256（WinZip AES）で暗号化してください"
    )]
    NotAes256 { file: String, entry: String },
    #[error(
        "暗号化ファイル「{file}」には「{expected}」1つだけを入れてください（入っているもの: {found}）"
    )]
    Entries {
        file: String,
        expected: String,
        found: String,
    },
    #[error(
        "暗号化ファイル「{file}」の中身が{limit}バイトを超えます（上限はプロファイルの max_request_xml_bytes）。要求を分けて作り直してください"
    )]
    TooLarge { file: String, limit: u64 },
}

/// A ZIP archive holding `entry` (= `<basename>.xml`), AES-256 encrypted with `pass`.
pub fn seal(entry: &str, data: &[u8], pass: &CryptPass) -> Vec<u8> {
    // The streaming writer keeps the WinZip AE-2 form (no plaintext CRC) for any size.
    let mut zip = zip::ZipWriter::new_stream(Vec::with_capacity(data.len() / 2 + 256));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .with_aes_encryption(AesMode::Aes256, pass.as_str());
    // Writing into memory cannot fail; an error would be a bug in the writer.
    zip.start_file(entry, options).expect("zip entry starts");
    zip.write_all(data).expect("zip entry written");
    zip.finish().expect("zip archive finished").into_inner()
}

/// The content of `entry` inside the archive `file` (its name, for messages), at most `max`
/// bytes: decompression stops there, so a small archive that expands without end (a "ZIP
/// bomb") costs at most `max` bytes of memory.
pub fn open(
    file: &str,
    archive: &[u8],
    entry: &str,
    pass: &CryptPass,
    max: u64,
) -> Result<Vec<u8>, CryptError> {
    if !archive.starts_with(b"PK\x03\x04") {
        return Err(CryptError::NotAnArchive(file.into()));
    }
    let corrupt = |e: &dyn std::fmt::Display| CryptError::Corrupt {
        file: file.into(),
        detail: e.to_string(),
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(archive)).map_err(|e| corrupt(&e))?;
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| corrupt(&e))?;
    if names.len() != 1 || names[0] != entry {
        return Err(CryptError::Entries {
            file: file.into(),
            expected: entry.into(),
            found: if names.is_empty() {
                "なし".into()
            } else {
                names.join(", ")
            },
        });
    }
    match zip.get_aes_verification_key_and_salt(0) {
        Ok(Some(info)) if info.aes_mode == AesMode::Aes256 => {}
        Ok(_) => {
            return Err(CryptError::NotAes256 {
                file: file.into(),
                entry: entry.into(),
            });
        }
        Err(e) => return Err(corrupt(&e)),
    }
    let mut f = match zip.by_index_decrypt(0, pass.as_str().as_bytes()) {
        Ok(f) => f,
        Err(ZipError::InvalidPassword) => return Err(CryptError::WrongPassword(file.into())),
        Err(e) => return Err(corrupt(&e)),
    };
    let too_large = || CryptError::TooLarge {
        file: file.into(),
        limit: max,
    };
    if f.size() > max {
        return Err(too_large());
    }
    let mut out = Vec::with_capacity(f.size().min(max).min(1 << 20) as usize);
    // The authentication code is checked at the end of the data: a read error here is either
    // an altered archive or (1 in 65,536) a wrong password that passed the verifier. The size
    // in the header may lie: the read itself stops one byte past the limit.
    (&mut f)
        .take(max.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| corrupt(&e))?;
    if out.len() as u64 > max {
        return Err(too_large());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MAX: u64 = 1 << 24;

    fn pass(s: &str) -> CryptPass {
        s.parse().unwrap()
    }

    #[test]
    fn crypt_pass_rules_are_the_manuals() {
        assert!("Abc123".parse::<CryptPass>().is_ok());
        assert!("abcdefghijkl".parse::<CryptPass>().is_ok());
        assert_eq!(
            "abcdefghijklm".parse::<CryptPass>().unwrap_err(),
            CryptPassError::TooLong(13)
        );
        assert_eq!(
            "pass#1".parse::<CryptPass>().unwrap_err(),
            CryptPassError::NotAlphanumeric('#')
        );
        assert_eq!(
            "ｐａｓｓ".parse::<CryptPass>().unwrap_err(),
            CryptPassError::NotAlphanumeric('ｐ')
        );
        assert_eq!("".parse::<CryptPass>().unwrap_err(), CryptPassError::Empty);
        assert!(
            CryptPassError::NotAlphanumeric('#')
                .to_string()
                .contains("半角英数字")
        );
    }

    #[test]
    fn an_archive_that_expands_past_the_limit_is_refused_not_read() {
        let p = pass("Pass1234");
        let z = seal("a.xml", &vec![b' '; 4 << 20], &p);
        assert!(z.len() < 64 << 10, "{}", z.len());
        let e = open("a.zip", &z, "a.xml", &p, 1 << 20).unwrap_err();
        assert_eq!(
            e,
            CryptError::TooLarge {
                file: "a.zip".into(),
                limit: 1 << 20
            }
        );
        assert!(e.to_string().contains("max_request_xml_bytes"), "{e}");
        assert_eq!(
            open("a.zip", &z, "a.xml", &p, 4 << 20).unwrap().len(),
            4 << 20
        );
    }

    #[test]
    fn sealed_archive_is_ae2_aes256_with_one_entry() {
        let z = seal("OQSsiquc01res_A.xml", b"<XmlMsg/>", &pass("Pass1234"));
        let mut a = zip::ZipArchive::new(Cursor::new(&z)).unwrap();
        assert_eq!(a.len(), 1);
        let info = a.get_aes_verification_key_and_salt(0).unwrap().unwrap();
        assert_eq!(info.aes_mode, AesMode::Aes256);
        // AE-2: vendor version 2 in the 0x9901 extra field, and no plaintext CRC
        let at = z.windows(2).position(|w| w == [0x01, 0x99]).unwrap();
        assert_eq!(&z[at + 4..at + 6], &[2, 0]);
        assert_eq!(a.by_index_raw(0).unwrap().crc32(), 0);
    }

    #[test]
    fn plain_file_wrong_entry_and_zipcrypto_are_refused() {
        let p = pass("Pass1234");
        let e = open(
            "x.zip",
            b"<?xml version=\"1.0\"?><XmlMsg/>",
            "x.xml",
            &p,
            MAX,
        )
        .unwrap_err();
        assert!(matches!(e, CryptError::NotAnArchive(_)));
        let z = seal("other.xml", b"data", &p);
        let e = open("x.zip", &z, "x.xml", &p, MAX).unwrap_err();
        assert!(e.to_string().contains("other.xml"), "{e}");
        // an unencrypted ZIP
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("x.xml", SimpleFileOptions::default()).unwrap();
        w.write_all(b"data").unwrap();
        let plain = w.finish().unwrap().into_inner();
        let e = open("x.zip", &plain, "x.xml", &p, MAX).unwrap_err();
        assert!(matches!(e, CryptError::NotAes256 { .. }), "{e}");
    }

    fn valid_pass() -> impl Strategy<Value = CryptPass> {
        "[0-9A-Za-z]{1,12}".prop_map(|s| pass(&s))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn round_trip_for_any_valid_password_and_payload(
            p in valid_pass(),
            data in proptest::collection::vec(any::<u8>(), 0..3000),
        ) {
            let z = seal("OQSsiquc01req_A.xml", &data, &p);
            prop_assert_eq!(open("a.zip", &z, "OQSsiquc01req_A.xml", &p, MAX).unwrap(), data);
        }

        #[test]
        fn any_other_password_is_rejected(
            p in valid_pass(),
            q in valid_pass(),
            data in proptest::collection::vec(any::<u8>(), 1..500),
        ) {
            prop_assume!(p != q);
            let z = seal("e.xml", &data, &p);
            let e = open("a.zip", &z, "e.xml", &q, MAX).unwrap_err();
            prop_assert!(matches!(e, CryptError::WrongPassword(_) | CryptError::Corrupt { .. }), "{e}");
        }

        /// Changing any single byte never yields different content: the archive is either
        /// refused or (for bytes no reader looks at, like a timestamp) still gives the original.
        #[test]
        fn a_changed_byte_never_passes_as_other_content(
            data in proptest::collection::vec(any::<u8>(), 1..400),
            pos in any::<prop::sample::Index>(),
            delta in 1u8..=255,
        ) {
            let p = pass("Pass1234");
            let mut z = seal("e.xml", &data, &p);
            let i = pos.index(z.len());
            z[i] = z[i].wrapping_add(delta);
            if let Ok(back) = open("a.zip", &z, "e.xml", &p, MAX) {
                prop_assert_eq!(back, data);
            }
        }

        /// Any byte of the encrypted entry itself (salt, verifier, data, authentication code),
        /// and any truncation, is always refused.
        #[test]
        fn changes_to_the_encrypted_entry_are_always_detected(
            data in proptest::collection::vec(any::<u8>(), 1..400),
            pos in any::<prop::sample::Index>(),
            delta in 1u8..=255,
            cut in any::<prop::sample::Index>(),
        ) {
            let p = pass("Pass1234");
            let z = seal("e.xml", &data, &p);
            let (start, len) = {
                let mut a = zip::ZipArchive::new(Cursor::new(&z)).unwrap();
                let f = a.by_index_raw(0).unwrap();
                (f.data_start().unwrap() as usize, f.compressed_size() as usize)
            };
            let mut changed = z.clone();
            let i = start + pos.index(len);
            changed[i] = changed[i].wrapping_add(delta);
            prop_assert!(open("a.zip", &changed, "e.xml", &p, MAX).is_err());
            let truncated = &z[..cut.index(z.len())];
            prop_assert!(open("a.zip", truncated, "e.xml", &p, MAX).is_err());
        }
    }
}
