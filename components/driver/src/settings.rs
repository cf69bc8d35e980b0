//! What the driver reads at start: the institution code and `OQS_CRYPT_PASS` from Credential
//! Manager (the entries of operation 12, shared with the linkage app), and where and how face
//! results are written (`UserDefinitionForFace.property`, `encrypt_face.conf`).

use oqs_host::{Host, WinPath};
use oqs_proto::institution::InstitutionCode;
use oqs_proto::linkage::config::{
    ConfigError, EncryptConf, FaceOutput, OQS_CRYPT_PASS, OQS_MEDICAL_INSTITUTION_CODE, Properties,
    USER_DEFINITION_FOR_FACE,
};
use oqs_proto::linkage::crypt::{CryptPass, CryptPassError};
use oqs_proto::profile::Profile;

pub const ENCRYPT_FACE_CONF: &str = "encrypt_face.conf";

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(
        "資格情報マネージャーの汎用資格情報に「{0}」がありません。操作12の表のとおり登録してください"
    )]
    MissingCredential(&'static str),
    #[error(
        "汎用資格情報「OQS_MEDICAL_INSTITUTION_CODE」のパスワード「{0}」は10桁の医療機関コードではありません"
    )]
    InstitutionCode(String),
    #[error("設定ファイルを読めません: {0}")]
    Config(#[from] ConfigError),
    #[error("「{0}」を読めません: {1}")]
    Io(String, std::io::Error),
}

#[derive(Clone, Debug)]
pub struct DriverSettings {
    pub institution: InstitutionCode,
    pub crypt: Option<Result<CryptPass, CryptPassError>>,
    pub face_output: FaceOutput,
    pub encrypt: EncryptConf,
}

impl DriverSettings {
    pub fn load(host: &dyn Host, profile: &Profile) -> Result<Self, SettingsError> {
        let creds = host.credentials();
        let read = |t: &'static str| {
            creds
                .read_generic(t)
                .map_err(|e| SettingsError::Io(t.into(), e))
        };
        let code = read(OQS_MEDICAL_INSTITUTION_CODE)?.ok_or(SettingsError::MissingCredential(
            OQS_MEDICAL_INSTITUTION_CODE,
        ))?;
        let institution = code
            .password
            .trim()
            .parse()
            .map_err(|_| SettingsError::InstitutionCode(code.password.clone()))?;
        let crypt = read(OQS_CRYPT_PASS)?.map(|c| c.password.parse::<CryptPass>());
        let l = &profile.linkage;
        let config = |name: &str| -> Result<Option<Vec<u8>>, SettingsError> {
            let p = WinPath::parse(&format!("{}\\{name}", l.config_dir)).map_err(|_| {
                SettingsError::Io(name.into(), std::io::ErrorKind::InvalidInput.into())
            })?;
            host.files()
                .read_if_exists(&p)
                .map_err(|e| SettingsError::Io(p.to_string(), e))
        };
        let props = match config(USER_DEFINITION_FOR_FACE)? {
            Some(b) => Properties::parse(USER_DEFINITION_FOR_FACE, &b)?,
            None => Properties::default(),
        };
        let encrypt = match config(ENCRYPT_FACE_CONF)? {
            Some(b) => EncryptConf::parse(ENCRYPT_FACE_CONF, &b)?,
            None => EncryptConf::default(),
        };
        Ok(Self {
            institution,
            crypt,
            face_output: FaceOutput::from_properties(&props, &l.face_dir)?,
            encrypt,
        })
    }
}
