//! What the linkage app reads when it starts (changes take effect after `OQSComAppRestart`):
//! the Credential Manager entries of operation 12, the configuration files in
//! `C:\ProgramData\OQS\OQSComApp\config\`, and the kit's profile for what no source fixes.

use oqs_host::{Host, WinPath};
use oqs_proto::institution::InstitutionCode;
use oqs_proto::linkage::config::{ConfigError, EncryptConf, Properties};
use oqs_proto::linkage::crypt::{CryptPass, CryptPassError};
use oqs_proto::profile::Profile;

pub use oqs_proto::linkage::config::{
    OQS_CRYPT_PASS, OQS_LOGIN_KEY, OQS_MEDICAL_INSTITUTION_CODE, OQS_NAS_LOGIN_KEY,
};

pub const USER_DEFINITION: &str = "UserDefinition.property";
pub const ENCRYPT_CONF: &str = "encrypt.conf";
pub const RESPONSE_FILE_STAY_TIME: &str = "ResponseFileStayTime";

/// Why the app cannot start; each names what to fix.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "資格情報マネージャーの汎用資格情報に「{0}」がありません。操作12の表のとおり登録し、OQSComAppRestart を実行してください"
    )]
    MissingCredential(&'static str),
    #[error("汎用資格情報「{target}」の{field}が空です。操作12の表のとおり登録してください")]
    EmptyCredential {
        target: &'static str,
        field: &'static str,
    },
    #[error(
        "汎用資格情報「OQS_MEDICAL_INSTITUTION_CODE」のパスワード「{0}」は10桁の医療機関コードではありません"
    )]
    InstitutionCode(String),
    #[error("設定ファイルを読めません: {0}")]
    Config(#[from] ConfigError),
    #[error("{what}「{path}」: {source}")]
    Io {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("フォルダの指定「{0}」が正しくありません")]
    Path(String),
    #[error(
        "連携アプリケーションは既に起動しています（作業フォルダ「{0}」を使用中）。同じ端末で2つ起動することはできません。タスクマネージャーで OQSComApp を確認してください"
    )]
    AlreadyRunning(String),
}

/// The linkage account of `OQS_LOGIN_KEY` (user `R0……` clinic/dental, `R1……` pharmacy).
#[derive(Clone)]
pub struct LoginKey {
    pub user: String,
    pub password: String,
}

impl LoginKey {
    /// The account the app's client logs in with.
    pub fn account(&self) -> oqs_client::Account {
        oqs_client::Account {
            user: self.user.clone(),
            password: self.password.clone(),
            what: "連携用アカウント",
            remedy: "汎用資格情報 OQS_LOGIN_KEY のユーザー名・パスワードを確認してください（連携用アカウントのパスワードは変更しないでください）",
        }
    }
}

impl std::fmt::Debug for LoginKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LoginKey({}, ***)", self.user)
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub login: LoginKey,
    pub institution: InstitutionCode,
    /// `OQS_CRYPT_PASS`: absent, or present and valid, or present and against the rule (then
    /// every check fails with the rule, as the manual warns).
    pub crypt: Option<Result<CryptPass, CryptPassError>>,
    /// `OQS_NAS_LOGIN_KEY` user, when the folders are on a NAS share (not used by the kit's
    /// folders, which are local).
    pub nas_user: Option<String>,
    pub request_dir: WinPath,
    pub result_dir: WinPath,
    pub work_dir: WinPath,
    pub config_dir: WinPath,
    pub encrypt: EncryptConf,
    /// Forgotten-file deletion age.
    pub response_file_stay_minutes: u32,
    pub profile: Profile,
}

fn win(p: &str) -> Result<WinPath, SetupError> {
    WinPath::parse(p).map_err(|_| SetupError::Path(p.into()))
}

/// Reads `file` in the config folder; a missing file is an empty one (the installer's defaults).
fn read_config(host: &dyn Host, dir: &WinPath, file: &str) -> Result<Option<Vec<u8>>, SetupError> {
    let path = dir
        .join(file)
        .map_err(|_| SetupError::Path(format!("{dir}\\{file}")))?;
    let io = |source| SetupError::Io {
        what: "設定ファイル",
        path: path.to_string(),
        source,
    };
    host.files().read_if_exists(&path).map_err(io)
}

impl Settings {
    /// The `req`, `res` and work folders on this host, created if missing.
    pub fn folders(&self, host: &dyn Host) -> Result<crate::folders::Folders, SetupError> {
        let io = |path: &WinPath| {
            let path = path.to_string();
            move |source| SetupError::Io {
                what: "フォルダ",
                path,
                source,
            }
        };
        let resolve = |p: &WinPath| host.files().resolve(p).map_err(io(p));
        crate::folders::Folders::new(
            resolve(&self.request_dir)?,
            resolve(&self.result_dir)?,
            resolve(&self.work_dir)?,
        )
        .map_err(io(&self.work_dir))
    }

    pub fn load(host: &dyn Host, profile: &Profile) -> Result<Self, SetupError> {
        let creds = host.credentials();
        let read = |target: &'static str| {
            creds.read_generic(target).map_err(|source| SetupError::Io {
                what: "資格情報マネージャー",
                path: target.into(),
                source,
            })
        };
        let login = read(OQS_LOGIN_KEY)?.ok_or(SetupError::MissingCredential(OQS_LOGIN_KEY))?;
        if login.user.trim().is_empty() {
            return Err(SetupError::EmptyCredential {
                target: OQS_LOGIN_KEY,
                field: "ユーザー名",
            });
        }
        if login.password.is_empty() {
            return Err(SetupError::EmptyCredential {
                target: OQS_LOGIN_KEY,
                field: "パスワード",
            });
        }
        let code = read(OQS_MEDICAL_INSTITUTION_CODE)?
            .ok_or(SetupError::MissingCredential(OQS_MEDICAL_INSTITUTION_CODE))?;
        let institution: InstitutionCode = code
            .password
            .trim()
            .parse()
            .map_err(|_| SetupError::InstitutionCode(code.password.clone()))?;
        let crypt = read(OQS_CRYPT_PASS)?.map(|c| c.password.parse::<CryptPass>());
        let nas_user = read(OQS_NAS_LOGIN_KEY)?.map(|c| c.user);

        let l = &profile.linkage;
        let config_dir = win(&l.config_dir)?;
        let props = match read_config(host, &config_dir, USER_DEFINITION)? {
            Some(b) => Properties::parse(USER_DEFINITION, &b)?,
            None => Properties::default(),
        };
        let encrypt = match read_config(host, &config_dir, ENCRYPT_CONF)? {
            Some(b) => EncryptConf::parse(ENCRYPT_CONF, &b)?,
            None => EncryptConf::default(),
        };
        Ok(Self {
            login: LoginKey {
                user: login.user.trim().to_owned(),
                password: login.password,
            },
            institution,
            crypt,
            nas_user,
            request_dir: win(props.get(&l.request_dir_key).unwrap_or(&l.request_dir))?,
            result_dir: win(props.get(&l.result_dir_key).unwrap_or(&l.result_dir))?,
            work_dir: win(&l.work_dir)?,
            config_dir,
            encrypt,
            response_file_stay_minutes: props
                .minutes(RESPONSE_FILE_STAY_TIME, l.response_file_stay_time)?,
            profile: profile.clone(),
        })
    }
}
