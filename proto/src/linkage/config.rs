//! The linkage app's configuration files in `C:\ProgramData\OQS\OQSComApp\config\`
//! [INTERFACES §1 Settings, C]: `UserDefinition.property` and `UserDefinitionForFace.property`
//! (key=value, CP932 text), and `encrypt.conf` / `encrypt_face.conf` (one `<prefix>=e|n` line per
//! kind). Changes take effect after `OQSComAppRestart`, so the app reads them at start.

use super::encoding;

/// Credential Manager generic credentials the linkage app reads [000 op12]: user = the linkage
/// account (`R0……` clinic/dental, `R1……` pharmacy), password = its password. Required.
pub const OQS_LOGIN_KEY: &str = "OQS_LOGIN_KEY";
/// User `OQS_Admin`, password = the 10-digit institution code. Required.
pub const OQS_MEDICAL_INSTITUTION_CODE: &str = "OQS_MEDICAL_INSTITUTION_CODE";
/// User `OQS_Admin`, password = half-width alphanumerics, at most 12. Optional: enables
/// encrypted request and result files.
pub const OQS_CRYPT_PASS: &str = "OQS_CRYPT_PASS";
/// The share's user and password when the folders are on a NAS. Optional.
pub const OQS_NAS_LOGIN_KEY: &str = "OQS_NAS_LOGIN_KEY";
/// The user name of the code and crypt entries.
pub const OQS_ADMIN: &str = "OQS_Admin";
use crate::settings::CharacterCode;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{file}: {source}")]
    Encoding {
        file: String,
        source: encoding::EncodingError,
    },
    #[error("{file} の{line}行目「{text}」は「キー=値」の形式ではありません")]
    Syntax {
        file: String,
        line: usize,
        text: String,
    },
    #[error("{file} の「{key}={value}」: {rule}")]
    Value {
        file: String,
        key: String,
        value: String,
        rule: String,
    },
}

/// A `key=value` file. `#` and `!` start comment lines; keys keep their case; later lines win.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Properties {
    pub file: String,
    entries: BTreeMap<String, String>,
}

impl Properties {
    /// Parses CP932 bytes (plain ASCII is the same in both).
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self, ConfigError> {
        let text = encoding::decode(bytes, CharacterCode::ShiftJis).map_err(|source| {
            ConfigError::Encoding {
                file: file.into(),
                source,
            }
        })?;
        let mut entries = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            let (k, v) = line.split_once('=').ok_or_else(|| ConfigError::Syntax {
                file: file.into(),
                line: i + 1,
                text: raw.into(),
            })?;
            entries.insert(k.trim().to_owned(), v.trim().to_owned());
        }
        Ok(Self {
            file: file.into(),
            entries,
        })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.get(key).map(String::as_str)
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.entries.insert(key.into(), value.into());
    }

    /// CP932 bytes, CRLF line ends as Windows tools write them.
    pub fn to_bytes(&self) -> Result<Vec<u8>, encoding::EncodingError> {
        let text: String = self
            .entries
            .iter()
            .map(|(k, v)| format!("{k}={v}\r\n"))
            .collect();
        encoding::encode(&text, CharacterCode::ShiftJis)
    }

    fn value_error(&self, key: &str, value: &str, rule: &str) -> ConfigError {
        ConfigError::Value {
            file: self.file.clone(),
            key: key.into(),
            value: value.into(),
            rule: rule.into(),
        }
    }

    /// A whole number of minutes, or `default` when the key is absent.
    pub fn minutes(&self, key: &str, default: u32) -> Result<u32, ConfigError> {
        match self.get(key) {
            None | Some("") => Ok(default),
            Some(v) => v.parse::<u32>().ok().filter(|m| *m > 0).ok_or_else(|| {
                self.value_error(key, v, "1以上の分数（半角数字）を指定してください")
            }),
        }
    }

    /// `true` / `false` (case-insensitive), or `default` when absent.
    pub fn flag(&self, key: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(key).map(str::to_ascii_lowercase).as_deref() {
            None | Some("") => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(_) => Err(self.value_error(
                key,
                self.get(key).unwrap_or_default(),
                "true または false を指定してください",
            )),
        }
    }
}

/// Face results [INTERFACES §2]: where the reader software writes `OQSsiquc01res_face_…xml`
/// (`FaceDataDir`) and whether it writes them at all (`OutputFlg`), from
/// `UserDefinitionForFace.property`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaceOutput {
    pub dir: String,
    pub enabled: bool,
}

pub const USER_DEFINITION_FOR_FACE: &str = "UserDefinitionForFace.property";

impl FaceOutput {
    /// Reads the two keys; `default_dir` (the profile's `face_dir`) when `FaceDataDir` is absent,
    /// output on when `OutputFlg` is.
    pub fn from_properties(p: &Properties, default_dir: &str) -> Result<Self, ConfigError> {
        Ok(Self {
            dir: p
                .get("FaceDataDir")
                .filter(|d| !d.is_empty())
                .unwrap_or(default_dir)
                .to_owned(),
            enabled: p.flag("OutputFlg", true)?,
        })
    }
}

/// `encrypt.conf` / `encrypt_face.conf`: which kinds travel as password ZIPs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EncryptConf {
    /// kind prefix (`OQSsiquc01`) → encrypted
    kinds: BTreeMap<String, bool>,
}

impl EncryptConf {
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Self, ConfigError> {
        let props = Properties::parse(file, bytes)?;
        let mut kinds = BTreeMap::new();
        for (k, v) in &props.entries {
            let on = match v.as_str() {
                "e" | "E" => true,
                "n" | "N" => false,
                _ => {
                    return Err(props.value_error(
                        k,
                        v,
                        "e（暗号化する）または n（暗号化しない）を指定してください",
                    ));
                }
            };
            kinds.insert(k.clone(), on);
        }
        Ok(Self { kinds })
    }

    /// Whether files of the kind with `prefix` are encrypted (absent = plain).
    pub fn encrypts(&self, prefix: &str) -> bool {
        self.kinds.get(prefix).copied().unwrap_or(false)
    }

    pub fn set(&mut self, prefix: &str, encrypted: bool) {
        self.kinds.insert(prefix.into(), encrypted);
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.kinds
            .iter()
            .map(|(k, v)| format!("{k}={}\r\n", if *v { "e" } else { "n" }))
            .collect::<String>()
            .into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_read_cp932_and_typed_values() {
        let (bytes, _, _) =
            encoding_rs::SHIFT_JIS.encode("# 連携アプリ設定\r\nFaceDataDir=C:\\OQS\\face\r\nOutputFlg=TRUE\r\nResponseFileStayTime = 60\r\n");
        let p = Properties::parse("UserDefinition.property", &bytes).unwrap();
        assert_eq!(p.get("FaceDataDir"), Some(r"C:\OQS\face"));
        assert!(p.flag("OutputFlg", false).unwrap());
        assert_eq!(p.minutes("ResponseFileStayTime", 1440).unwrap(), 60);
        assert_eq!(p.minutes("Missing", 1440).unwrap(), 1440);
        let mut bad = p.clone();
        bad.set("ResponseFileStayTime", "一日");
        let e = bad.minutes("ResponseFileStayTime", 1440).unwrap_err();
        assert!(e.to_string().contains("ResponseFileStayTime=一日"), "{e}");
        let back = Properties::parse("x", &p.to_bytes().unwrap()).unwrap();
        assert_eq!(back.get("FaceDataDir"), p.get("FaceDataDir"));
        let e = Properties::parse("encrypt.conf", b"OQSsiquc01\r\n").unwrap_err();
        assert!(e.to_string().contains("1行目"), "{e}");
    }

    #[test]
    fn face_output_reads_its_two_keys() {
        let p = Properties::parse(
            USER_DEFINITION_FOR_FACE,
            b"FaceDataDir=D:\\face\r\nOutputFlg=false\r\n",
        )
        .unwrap();
        assert_eq!(
            FaceOutput::from_properties(&p, r"C:\OQS\face").unwrap(),
            FaceOutput {
                dir: r"D:\face".into(),
                enabled: false
            }
        );
        let empty = Properties::default();
        let d = FaceOutput::from_properties(&empty, r"C:\OQS\face").unwrap();
        assert!(d.enabled && d.dir == r"C:\OQS\face");
        let mut bad = p.clone();
        bad.set("OutputFlg", "yes");
        assert!(FaceOutput::from_properties(&bad, "x").is_err());
    }

    #[test]
    fn encrypt_conf_lists_kinds() {
        let c = EncryptConf::parse("encrypt.conf", b"OQSsiquc01=e\r\nOQSsiimm01=n\r\n").unwrap();
        assert!(c.encrypts("OQSsiquc01"));
        assert!(!c.encrypts("OQSsiimm01"));
        assert!(!c.encrypts("OQSmuquc01"));
        assert_eq!(EncryptConf::parse("e", &c.to_bytes()).unwrap(), c);
        let e = EncryptConf::parse("encrypt.conf", b"OQSsiquc01=yes\r\n").unwrap_err();
        assert!(e.to_string().contains("e（暗号化する）"), "{e}");
    }
}
