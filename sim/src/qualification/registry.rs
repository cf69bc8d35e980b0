//! The qualification server's state and rules, with no I/O: sites (institutions), their
//! accounts, sessions and environment settings. The HTTP layer in [`super`] only translates.
//! Every method takes `now`, so tests move time by passing another instant.

use super::insured::InsuredRegistry;
use oqs_proto::account::{AccountKind, InvalidAccountId, reset_id_of};
use oqs_proto::api::{
    AccountSummary, ApiError, ChangeReason, InstitutionInfo, IssuedAccount, LoginResponse,
    NewAccount,
};
use oqs_proto::institution::{InstitutionCode, InstitutionKind};
use oqs_proto::password::{self, Violation};
use oqs_proto::profile::{Profile, ServerProfile};
use oqs_proto::qualification::{QualificationResult, SearchInfo, SearchInfoError};
use oqs_proto::settings::{EnvironmentSettings, Service, SettingsChange, Usage};
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, HashMap};
use time::OffsetDateTime;

/// Why the server refused; each carries the words a person acts on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "ユーザID又はパスワードに誤りがあります。入力したID、パスワードに間違いがないか確認してください"
    )]
    BadCredentials,
    #[error("ログインしていません。ログインし直してください")]
    NotLoggedIn,
    #[error("{}", .0.message())]
    PasswordChangeRequired(ChangeReason),
    #[error("パスワードが条件を満たしていません")]
    PasswordRules(Vec<Violation>),
    #[error("旧パスワードに誤りがあります")]
    OldPasswordWrong,
    #[error("新パスワードと新パスワード（確認）が一致しません")]
    ConfirmMismatch,
    #[error("この操作は{0}でのみ実施可能です")]
    NotPermitted(&'static str),
    #[error("ユーザID「{0}」は既に登録されています")]
    DuplicateUserId(String),
    #[error("{0}")]
    InvalidUserId(#[from] InvalidAccountId),
    #[error("マスタアカウントは利用申請により発行されます。登録できません")]
    MasterNotRegistrable,
    #[error(
        "救急時医療情報は、実施機関により救急時医療情報閲覧の権限を付与された「病院」である医療機関のみ設定が可能です"
    )]
    EmergencyNotAuthorized,
    #[error("マスタアカウントリセット用ID又は秘密の番号に誤りがあります")]
    BadResetSecret,
    #[error(
        "[kit] このアカウントはロックされています。パスワードを{attempts}回続けて誤ったため、{until}。マスタアカウント又は管理アカウントの「アカウント管理」でロックを解除できます"
    )]
    AccountLocked { attempts: u32, until: String },
    #[error("ユーザID「{0}」のアカウントはありません")]
    UnknownAccount(String),
    #[error(
        "[kit] マスタアカウントリセット用IDはロックされています。秘密の番号を{0}回続けて誤ったため、ヘルプデスクがロックを解除するまでリセットできません"
    )]
    ResetLocked(u32),
    #[error("医療機関コード「{0}」は利用登録されていません")]
    UnregisteredInstitution(String),
    #[error("{0}")]
    BadSearch(#[from] SearchInfoError),
    #[error("該当する被保険者が見つかりません。保険者番号・記号・番号・枝番を確認してください")]
    NoSuchInsured,
    #[error("受付番号「{0}」が見つかりません")]
    UnknownReception(String),
    #[error("一括要求に対象者がありません")]
    EmptyBulk,
    #[error("{0}")]
    CardCheck(String),
    #[error("アップロードは1分以上間隔を空けてください")]
    BulkTooSoon,
    #[error("登録処理が終わっていません。しばらくしてから「更新」をクリックしてください")]
    BulkNotReady,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadCredentials => "bad_credentials",
            Self::NotLoggedIn => "not_logged_in",
            Self::PasswordChangeRequired(_) => "password_change_required",
            Self::PasswordRules(_) => "password_policy",
            Self::OldPasswordWrong => "old_password_wrong",
            Self::ConfirmMismatch => "confirm_mismatch",
            Self::NotPermitted(_) => "not_permitted",
            Self::DuplicateUserId(_) => "duplicate_user_id",
            Self::InvalidUserId(_) => "invalid_user_id",
            Self::MasterNotRegistrable => "master_not_registrable",
            Self::EmergencyNotAuthorized => "emergency_not_authorized",
            Self::BadResetSecret => "bad_reset_secret",
            Self::AccountLocked { .. } => "account_locked",
            Self::UnknownAccount(_) => "unknown_account",
            Self::ResetLocked(_) => "reset_locked",
            Self::UnregisteredInstitution(_) => "unregistered_institution",
            Self::BadSearch(_) => "bad_search",
            Self::NoSuchInsured => "no_such_insured",
            Self::UnknownReception(_) => "unknown_reception",
            Self::EmptyBulk => "empty_bulk",
            Self::CardCheck(_) => "card_check",
            Self::BulkTooSoon => "bulk_too_soon",
            Self::BulkNotReady => "bulk_not_ready",
        }
    }

    /// The HTTP status the web API answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::BadCredentials | Self::NotLoggedIn | Self::BadResetSecret => 401,
            Self::PasswordChangeRequired(_)
            | Self::NotPermitted(_)
            | Self::EmergencyNotAuthorized
            | Self::AccountLocked { .. }
            | Self::ResetLocked(_)
            | Self::UnregisteredInstitution(_) => 403,
            Self::DuplicateUserId(_) => 409,
            Self::UnknownReception(_) | Self::UnknownAccount(_) => 404,
            _ => 400,
        }
    }

    pub fn to_api(&self) -> ApiError {
        ApiError {
            code: self.code().into(),
            message: self.to_string(),
            details: match self {
                Self::PasswordRules(v) => v.iter().map(Violation::message).collect(),
                _ => Vec::new(),
            },
        }
    }
}

#[derive(Clone, Debug)]
pub struct Account {
    pub user_id: String,
    pub kind: AccountKind,
    pub user_name: String,
    pub user_name_kana: String,
    /// Newest first; `history[0]` is the current password.
    history: Vec<String>,
    pub password_set_at: OffsetDateTime,
    /// An initial password (registration or reset) must be changed at first login.
    pub initial: bool,
    pub last_login: Option<OffsetDateTime>,
    /// Wrong passwords in a row, and when the account was locked for them.
    pub failed_logins: u32,
    pub locked_at: Option<OffsetDateTime>,
}

impl Account {
    fn new(
        user_id: &str,
        kind: AccountKind,
        name: &str,
        kana: &str,
        pw: String,
        now: OffsetDateTime,
    ) -> Self {
        Self {
            user_id: user_id.into(),
            kind,
            user_name: name.into(),
            user_name_kana: kana.into(),
            history: vec![pw],
            password_set_at: now,
            initial: true,
            last_login: None,
            failed_logins: 0,
            locked_at: None,
        }
    }

    pub fn password_expires_at(&self) -> Option<OffsetDateTime> {
        password::expires_at(self.kind, &self.history[0], self.password_set_at)
    }

    fn set_password(&mut self, pw: String, now: OffsetDateTime, initial: bool) {
        self.history.insert(0, pw);
        self.history.truncate(password::HISTORY + 1);
        self.password_set_at = now;
        self.initial = initial;
    }
}

/// A registered 医療機関等.
pub struct Site {
    pub info: InstitutionInfo,
    /// 救急時医療情報閲覧の権限 (hospitals only).
    pub emergency_authorized: bool,
    pub settings: EnvironmentSettings,
    pub master_id: String,
    /// 秘密の番号 of the master reset ID.
    pub secret_number: String,
    /// Wrong 秘密の番号 in a row; at the profile's limit the reset ID is locked.
    pub reset_failures: u32,
    pub reset_locked: bool,
    accounts: BTreeMap<String, Account>,
    /// 照会番号 registered per person (see `reception`).
    pub(super) references: BTreeMap<super::reception::PersonKey, String>,
    /// Bulk requests by 受付番号.
    pub(super) bulk: BTreeMap<String, super::reception::BulkJob>,
    /// アカウント一括登録 uploads by 受付番号.
    pub(super) account_bulk: BTreeMap<String, super::account_bulk::AccountBulkJob>,
}

impl Site {
    pub fn account(&self, user_id: &str) -> Option<&Account> {
        self.accounts.get(user_id)
    }
    pub fn accounts(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }
    /// The current password of an account, as the usage application letter or PDF shows it.
    pub fn current_password(&self, user_id: &str) -> Option<&str> {
        self.accounts.get(user_id).map(|a| a.history[0].as_str())
    }
}

/// An account as the list of アカウント管理 and the API show it.
fn summary(a: &Account) -> AccountSummary {
    AccountSummary {
        user_id: a.user_id.clone(),
        kind: a.kind,
        user_name: a.user_name.clone(),
        password_expires_at: a.password_expires_at().and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        }),
    }
}

/// Why an account may do nothing but change its password at `now`, if it must.
fn restriction(acc: &Account, now: OffsetDateTime) -> Option<ChangeReason> {
    if acc.initial {
        Some(ChangeReason::InitialPassword)
    } else if acc.password_expires_at().is_some_and(|t| t <= now) {
        Some(ChangeReason::Expired)
    } else {
        None
    }
}

struct Session {
    code: InstitutionCode,
    user_id: String,
    restricted: Option<ChangeReason>,
    /// Opened with the master reset ID and 秘密の番号: it may only reset the master password.
    reset: bool,
    /// The reset-ID session has reset the master password (it may still download the PDF).
    reset_used: bool,
    memo: ScreenMemo,
}

/// What the portal's screens keep for a session between two screens: the account it last
/// issued (登録完了, the パスワード screen and its PDF) and a file chosen for アカウント一括登録
/// awaiting 登録確認's OK.
#[derive(Default)]
pub struct ScreenMemo {
    pub issued: Option<IssuedAccount>,
    pub upload: Option<Vec<u8>>,
}

/// One account on アカウント管理(更新)'s detail screen.
#[derive(Clone, Debug)]
pub struct AccountDetail {
    pub user_id: String,
    pub kind: AccountKind,
    pub user_name: String,
    pub user_name_kana: String,
    pub password_expires_at: Option<OffsetDateTime>,
    pub locked: bool,
}

/// What a new site starts with.
#[derive(Clone, Debug)]
pub struct SiteSpec {
    pub code: InstitutionCode,
    pub name: String,
    pub kind: InstitutionKind,
    pub emergency_authorized: bool,
}

pub struct Registry {
    sites: BTreeMap<InstitutionCode, Site>,
    sessions: HashMap<String, Session>,
    pub(super) rng: ChaCha8Rng,
    pub insured: InsuredRegistry,
    /// Issued My Number Cards and open challenges (see `cards`).
    pub cards: super::cards::CardBook,
    /// 資格確認 queries answered or refused so far: tests count the calls a client made.
    pub qualification_queries: u64,
    /// Lockout and reset-attempt limits (the profile's `[server]`, or the World's own).
    limits: ServerProfile,
}

const PW_CLASSES: [&str; 4] = [
    "abcdefghijkmnpqrstuvwxyz",
    "ABCDEFGHJKLMNPQRSTUVWXYZ",
    "23456789",
    "#$%&*-_",
];

impl Registry {
    pub fn new(mut rng: ChaCha8Rng, today: time::Date) -> Self {
        let insured = InsuredRegistry::seeded(&mut rng, today, 40);
        Self {
            sites: BTreeMap::new(),
            sessions: HashMap::new(),
            rng,
            insured,
            cards: Default::default(),
            qualification_queries: 0,
            limits: Profile::builtin().server.clone(),
        }
    }

    /// A password that meets the policy, 12 characters (so it expires like a person's would).
    fn initial_password(&mut self) -> String {
        let mut v: Vec<char> = (0..12)
            .map(|i| {
                let class = PW_CLASSES[i % 4].as_bytes();
                *class.choose(&mut self.rng).expect("non-empty") as char
            })
            .collect();
        // shuffle without moving the class guarantee out of the string
        for i in (1..v.len()).rev() {
            let j = self.rng.random_range(0..=i);
            v.swap(i, j);
        }
        v.into_iter().collect()
    }

    /// Registers a site as the usage application does: a master account `H`+7 digits with its
    /// password and a 4-digit 秘密の番号 for the reset ID.
    pub fn register_site(&mut self, spec: SiteSpec, now: OffsetDateTime) -> &Site {
        let master_id = format!("H{:07}", self.rng.random_range(0..10_000_000u32));
        let secret_number = format!("{:04}", self.rng.random_range(0..10_000u32));
        let pw = self.initial_password();
        let mut master = Account::new(
            &master_id,
            AccountKind::Master,
            "マスタアカウント",
            "ﾏｽﾀｱｶｳﾝﾄ",
            pw,
            now,
        );
        // The application letter's password is a working one: the manual makes changing it optional.
        master.initial = false;
        let site = Site {
            info: InstitutionInfo {
                code: spec.code.to_string(),
                name: spec.name,
                kind: spec.kind,
            },
            emergency_authorized: spec.emergency_authorized
                && spec.kind == InstitutionKind::Hospital,
            settings: EnvironmentSettings::default(),
            master_id: master_id.clone(),
            secret_number,
            reset_failures: 0,
            reset_locked: false,
            accounts: BTreeMap::from([(master_id, master)]),
            references: BTreeMap::new(),
            bulk: BTreeMap::new(),
            account_bulk: BTreeMap::new(),
        };
        self.sites.insert(spec.code.clone(), site);
        &self.sites[&spec.code]
    }

    /// 医療機関コードの変更 \[001\]: the institution gets `new` (a site with the same name, kind
    /// and settings; a new master account as the usage application gives). With
    /// `carry_accounts`, its other accounts come along with their passwords; without, only the
    /// master exists and the installer re-registers them (supplement of step 9).
    pub fn change_institution_code(
        &mut self,
        old: &InstitutionCode,
        new: &InstitutionCode,
        carry_accounts: bool,
        now: OffsetDateTime,
    ) -> Result<(), Refusal> {
        let (name, kind, emergency, settings, accounts) = {
            let o = self.site_mut(old)?;
            let accounts: Vec<Account> = o
                .accounts
                .values()
                .filter(|a| a.kind != AccountKind::Master)
                .cloned()
                .collect();
            (
                o.info.name.clone(),
                o.info.kind,
                o.emergency_authorized,
                o.settings.clone(),
                accounts,
            )
        };
        self.register_site(
            SiteSpec {
                code: new.clone(),
                name,
                kind,
                emergency_authorized: emergency,
            },
            now,
        );
        let site = self.site_mut(new)?;
        site.settings = settings;
        if carry_accounts {
            for a in accounts {
                site.accounts.insert(a.user_id.clone(), a);
            }
        }
        Ok(())
    }

    pub fn site(&self, code: &InstitutionCode) -> Option<&Site> {
        self.sites.get(code)
    }

    pub fn is_registered(&self, code: &InstitutionCode) -> bool {
        self.sites.contains_key(code)
    }

    pub(super) fn site_mut(&mut self, code: &InstitutionCode) -> Result<&mut Site, Refusal> {
        self.sites
            .get_mut(code)
            .ok_or_else(|| Refusal::UnregisteredInstitution(code.to_string()))
    }

    pub fn login(
        &mut self,
        code: &InstitutionCode,
        user_id: &str,
        pw: &str,
        now: OffsetDateTime,
    ) -> Result<LoginResponse, Refusal> {
        let limits = self.limits.clone();
        let site = self.site_mut(code)?;
        let acc = site
            .accounts
            .get_mut(user_id)
            .ok_or(Refusal::BadCredentials)?;
        let locked = |at: OffsetDateTime| Refusal::AccountLocked {
            attempts: limits.login_attempts,
            until: if limits.lockout_minutes == 0 {
                "ロックが解除されるまでログインできません".into()
            } else {
                let until = at + time::Duration::minutes(limits.lockout_minutes.into());
                let jst = until.to_offset(time::macros::offset!(+9));
                format!(
                    "{:02}:{:02}（{}分後）までログインできません",
                    jst.hour(),
                    jst.minute(),
                    limits.lockout_minutes
                )
            },
        };
        if let Some(at) = acc.locked_at {
            let over = limits.lockout_minutes != 0
                && now >= at + time::Duration::minutes(limits.lockout_minutes.into());
            if !over {
                return Err(locked(at));
            }
            acc.locked_at = None;
            acc.failed_logins = 0;
        }
        if acc.history[0] != pw {
            acc.failed_logins += 1;
            if acc.failed_logins >= limits.login_attempts {
                acc.locked_at = Some(now);
                return Err(locked(now));
            }
            return Err(Refusal::BadCredentials);
        }
        acc.failed_logins = 0;
        let restricted = restriction(acc, now);
        acc.last_login = Some(now);
        let kind = acc.kind;
        let token = self.open_session(code, user_id, restricted, false);
        Ok(LoginResponse {
            session: token,
            user_id: user_id.into(),
            kind,
            password_change_required: restricted,
        })
    }

    fn open_session(
        &mut self,
        code: &InstitutionCode,
        user_id: &str,
        restricted: Option<ChangeReason>,
        reset: bool,
    ) -> String {
        let token: String = (0..32)
            .map(|_| format!("{:x}", self.rng.random_range(0..16u8)))
            .collect();
        self.sessions.insert(
            token.clone(),
            Session {
                code: code.clone(),
                user_id: user_id.into(),
                restricted,
                reset,
                reset_used: false,
                memo: ScreenMemo::default(),
            },
        );
        token
    }

    /// The portal's memo of a session of `code` (none for an unknown session).
    pub fn memo(&mut self, code: &InstitutionCode, token: &str) -> Option<&mut ScreenMemo> {
        self.sessions
            .get_mut(token)
            .filter(|s| &s.code == code)
            .map(|s| &mut s.memo)
    }

    /// Logs in with the master reset ID and its 秘密の番号 [001 supplement 1-①]: the session
    /// may see the master account and reset its password, nothing else. Wrong numbers count
    /// towards the reset ID's lock as [`Self::reset_master`]'s do.
    pub fn reset_login(
        &mut self,
        code: &InstitutionCode,
        reset_id: &str,
        secret: &str,
    ) -> Result<String, Refusal> {
        self.check_reset_secret(code, reset_id, secret)?;
        Ok(self.open_session(code, reset_id, None, true))
    }

    /// Whether `token` is a reset-ID session of `code`.
    pub fn is_reset_session(&self, code: &InstitutionCode, token: &str) -> bool {
        self.sessions
            .get(token)
            .is_some_and(|s| s.reset && !s.reset_used && &s.code == code)
    }

    /// パスワード初期化 of the master account by a reset-ID session.
    pub fn reset_master_by_session(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<IssuedAccount, Refusal> {
        if !self.is_reset_session(code, token) {
            return Err(Refusal::NotLoggedIn);
        }
        // one 秘密の番号, one new password: the session ends with it (the PDF stays)
        let issued = self.reissue_master(code, now)?;
        if let Some(s) = self.sessions.get_mut(token) {
            s.reset_used = true;
        }
        Ok(issued)
    }

    /// One account as アカウント管理(更新) shows it: for the master or an admin account, any
    /// account of the site; for a reset-ID session, the master account only.
    pub fn account_detail(
        &self,
        code: &InstitutionCode,
        token: &str,
        user_id: &str,
        now: OffsetDateTime,
    ) -> Result<AccountDetail, Refusal> {
        let code = if self.is_reset_session(code, token) {
            if self.sites.get(code).map(|s| s.master_id.as_str()) != Some(user_id) {
                return Err(Refusal::NotPermitted("マスタアカウント又は管理アカウント"));
            }
            code.clone()
        } else {
            self.admin_session(code, token, now)?
        };
        let a = self.sites[&code]
            .accounts
            .get(user_id)
            .ok_or_else(|| Refusal::UnknownAccount(user_id.into()))?;
        Ok(AccountDetail {
            user_id: a.user_id.clone(),
            kind: a.kind,
            user_name: a.user_name.clone(),
            user_name_kana: a.user_name_kana.clone(),
            password_expires_at: a.password_expires_at(),
            locked: a.locked_at.is_some(),
        })
    }

    pub fn logout(&mut self, token: &str) {
        self.sessions.remove(token);
    }

    /// The session's site and account; `allow_restricted` for the one thing a restricted
    /// session may do (change the password). A password that expires while its session is
    /// open restricts the session from then on.
    /// The session's institution, when it is the master or an admin account's (アカウント管理,
    /// アカウント一括登録).
    pub(super) fn admin_session(
        &self,
        code: &InstitutionCode,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<InstitutionCode, Refusal> {
        let (code, _, by) = self.who(code, token, false, now)?;
        if !matches!(by, AccountKind::Master | AccountKind::Admin) {
            return Err(Refusal::NotPermitted("マスタアカウント又は管理アカウント"));
        }
        Ok(code)
    }

    pub(super) fn who(
        &self,
        code: &InstitutionCode,
        token: &str,
        allow_restricted: bool,
        now: OffsetDateTime,
    ) -> Result<(InstitutionCode, String, AccountKind), Refusal> {
        let s = self.sessions.get(token).ok_or(Refusal::NotLoggedIn)?;
        // A session belongs to the terminal certificate it was opened with; a reset-ID
        // session is no account's.
        if &s.code != code || s.reset {
            return Err(Refusal::NotLoggedIn);
        }
        let acc = self
            .sites
            .get(&s.code)
            .and_then(|site| site.accounts.get(&s.user_id))
            .ok_or(Refusal::NotLoggedIn)?;
        if let (Some(r), false) = (s.restricted.or(restriction(acc, now)), allow_restricted) {
            return Err(Refusal::PasswordChangeRequired(r));
        }
        Ok((s.code.clone(), s.user_id.clone(), acc.kind))
    }

    pub fn change_password(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        old: &str,
        new: &str,
        confirm: &str,
        now: OffsetDateTime,
    ) -> Result<(), Refusal> {
        let (code, user, _) = self.who(code, token, true, now)?;
        let acc = self
            .site_mut(&code)?
            .accounts
            .get_mut(&user)
            .ok_or(Refusal::NotLoggedIn)?;
        if acc.history[0] != old {
            return Err(Refusal::OldPasswordWrong);
        }
        if new != confirm {
            return Err(Refusal::ConfirmMismatch);
        }
        password::check(new, &acc.history).map_err(Refusal::PasswordRules)?;
        acc.set_password(new.into(), now, false);
        // A new password signs the account out everywhere else (a terminal app still holding
        // the old one must log in again, and fails) [003].
        let master = self.sites.get(&code).map(|s| s.master_id.clone());
        self.sessions.retain(|t, s| {
            t == token
                || !(s.code == code
                    && (s.user_id == user || (s.reset && master.as_deref() == Some(&*user))))
        });
        if let Some(s) = self.sessions.get_mut(token) {
            s.restricted = None;
        }
        Ok(())
    }

    /// アカウント管理（登録）: master and admin accounts register the others.
    pub fn register_account(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        new: NewAccount,
        now: OffsetDateTime,
    ) -> Result<IssuedAccount, Refusal> {
        let code = self.admin_session(code, token, now)?;
        if new.kind == AccountKind::Master {
            return Err(Refusal::MasterNotRegistrable);
        }
        let site_kind = self.sites[&code].info.kind;
        new.kind.check_id(&new.user_id, site_kind)?;
        if self.sites[&code].accounts.contains_key(&new.user_id) {
            return Err(Refusal::DuplicateUserId(new.user_id));
        }
        let pw = self.initial_password();
        let acc = Account::new(
            &new.user_id,
            new.kind,
            &new.user_name,
            &new.user_name_kana,
            pw.clone(),
            now,
        );
        self.site_mut(&code)?
            .accounts
            .insert(new.user_id.clone(), acc);
        Ok(IssuedAccount {
            user_id: new.user_id,
            kind: new.kind,
            initial_password: pw,
        })
    }

    pub fn accounts(
        &self,
        code: &InstitutionCode,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<AccountSummary>, Refusal> {
        let code = self.admin_session(code, token, now)?;
        Ok(self.sites[&code].accounts.values().map(summary).collect())
    }

    /// アカウント管理(更新)'s 検索: every account for the master or an admin account; the master
    /// account alone for a reset-ID session (as [`Self::account_detail`] opens it alone).
    pub fn searchable_accounts(
        &self,
        code: &InstitutionCode,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<AccountSummary>, Refusal> {
        if !self.is_reset_session(code, token) {
            return self.accounts(code, token, now);
        }
        Ok(self
            .sites
            .get(code)
            .and_then(|s| s.accounts.get(&s.master_id))
            .map(summary)
            .into_iter()
            .collect())
    }

    /// Resets the master password with the reset ID and 秘密の番号; the new password is an
    /// initial one (the PDF), to be changed at first login.
    pub fn reset_master(
        &mut self,
        code: &InstitutionCode,
        reset_id: &str,
        secret: &str,
        now: OffsetDateTime,
    ) -> Result<IssuedAccount, Refusal> {
        self.check_reset_secret(code, reset_id, secret)?;
        self.reissue_master(code, now)
    }

    /// The reset ID and 秘密の番号, counted towards the reset ID's lock.
    fn check_reset_secret(
        &mut self,
        code: &InstitutionCode,
        reset_id: &str,
        secret: &str,
    ) -> Result<(), Refusal> {
        let limit = self.limits.reset_attempts;
        let site = self.site_mut(code)?;
        if site.reset_locked {
            return Err(Refusal::ResetLocked(limit));
        }
        if reset_id != reset_id_of(&site.master_id) || secret != site.secret_number {
            site.reset_failures += 1;
            if site.reset_failures >= limit {
                site.reset_locked = true;
                return Err(Refusal::ResetLocked(limit));
            }
            return Err(Refusal::BadResetSecret);
        }
        site.reset_failures = 0;
        Ok(())
    }

    /// A new initial password for the master account (to be changed at first login).
    fn reissue_master(
        &mut self,
        code: &InstitutionCode,
        now: OffsetDateTime,
    ) -> Result<IssuedAccount, Refusal> {
        let pw = self.initial_password();
        let site = self.site_mut(code)?;
        let master_id = site.master_id.clone();
        let acc = site
            .accounts
            .get_mut(&master_id)
            .ok_or(Refusal::BadResetSecret)?;
        acc.set_password(pw.clone(), now, true);
        // a new password ends a lock from wrong passwords
        acc.failed_logins = 0;
        acc.locked_at = None;
        Ok(IssuedAccount {
            user_id: master_id,
            kind: AccountKind::Master,
            initial_password: pw,
        })
    }

    /// The lockout and reset-attempt limits from now on.
    pub fn set_limits(&mut self, limits: ServerProfile) {
        self.limits = limits;
    }

    /// アカウント管理's unlock, by the master or an admin account of the same institution.
    pub fn unlock_account(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        user_id: &str,
        now: OffsetDateTime,
    ) -> Result<(), Refusal> {
        let code = self.admin_session(code, token, now)?;
        let acc = self
            .site_mut(&code)?
            .accounts
            .get_mut(user_id)
            .ok_or_else(|| Refusal::UnknownAccount(user_id.into()))?;
        acc.failed_logins = 0;
        acc.locked_at = None;
        Ok(())
    }

    /// The help desk unlocks a site's master reset ID (a verb of the World: no API reaches it).
    pub fn help_desk_unlock_reset(&mut self, code: &InstitutionCode) -> bool {
        match self.sites.get_mut(code) {
            Some(s) => {
                s.reset_failures = 0;
                s.reset_locked = false;
                true
            }
            None => false,
        }
    }

    /// Arranges a scenario's precondition "this password was set on that day" for a day the
    /// World cannot reach over TLS (before the test certificates' validity). Only the date of
    /// the current password moves; its value and history stay.
    pub fn backdate_password(
        &mut self,
        code: &InstitutionCode,
        user_id: &str,
        set_at: OffsetDateTime,
    ) -> bool {
        match self
            .sites
            .get_mut(code)
            .and_then(|s| s.accounts.get_mut(user_id))
        {
            Some(a) => {
                a.password_set_at = set_at;
                true
            }
            None => false,
        }
    }

    /// Registers a site after the World started (a second institution in one scenario).
    pub fn ensure_site(&mut self, spec: SiteSpec, now: OffsetDateTime) {
        if !self.sites.contains_key(&spec.code) {
            self.register_site(spec, now);
        }
    }

    pub fn settings(
        &self,
        code: &InstitutionCode,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<EnvironmentSettings, Refusal> {
        let (code, _, _) = self.who(code, token, false, now)?;
        Ok(self.sites[&code].settings.clone())
    }

    /// An account as it is after registration and its first login: `password` is its own,
    /// not an initial one. For setting up a World quickly (the scenarios of operation 8 go
    /// through the web API instead).
    pub fn provision_account(
        &mut self,
        code: &InstitutionCode,
        kind: AccountKind,
        user_id: &str,
        password: &str,
        now: OffsetDateTime,
    ) -> Result<(), Refusal> {
        let site_kind = self.site_mut(code)?.info.kind;
        kind.check_id(user_id, site_kind)?;
        password::check(password, &[]).map_err(Refusal::PasswordRules)?;
        let mut acc = Account::new(user_id, kind, kind.label(), "", password.into(), now);
        acc.initial = false;
        self.site_mut(code)?.accounts.insert(user_id.into(), acc);
        Ok(())
    }

    /// Sets one of the site's services directly (tools and tests; scenarios use 環境設定).
    pub fn set_service(
        &mut self,
        code: &InstitutionCode,
        service: Service,
        usage: Usage,
    ) -> Result<(), Refusal> {
        self.site_mut(code)?
            .settings
            .services
            .insert(service, usage);
        Ok(())
    }

    /// Sets the site's 文字コード directly (tools and tests; scenarios use 環境設定 as admin).
    pub fn set_character_code(
        &mut self,
        code: &InstitutionCode,
        cc: oqs_proto::settings::CharacterCode,
    ) -> Result<(), Refusal> {
        self.site_mut(code)?.settings.character_code = cc;
        Ok(())
    }

    /// 環境設定: admin only [000 op9].
    pub fn change_settings(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        change: SettingsChange,
        now: OffsetDateTime,
    ) -> Result<EnvironmentSettings, Refusal> {
        let (code, _, by) = self.who(code, token, false, now)?;
        if by != AccountKind::Admin {
            return Err(Refusal::NotPermitted("管理アカウント"));
        }
        let site = self.site_mut(&code)?;
        if change.services.get(&Service::EmergencyInfo) == Some(&Usage::Use)
            && !site.emergency_authorized
        {
            return Err(Refusal::EmergencyNotAuthorized);
        }
        if let Some(c) = change.character_code {
            site.settings.character_code = c;
        }
        site.settings.services.extend(change.services);
        Ok(site.settings.clone())
    }

    /// 資格確認 by insurance data.
    pub fn lookup(
        &self,
        code: &InstitutionCode,
        token: &str,
        q: SearchInfo,
        now: OffsetDateTime,
    ) -> Result<QualificationResult, Refusal> {
        self.who(code, token, false, now)?;
        let q = q.normalized()?;
        let mut result = self
            .insured
            .lookup(&q, now.to_offset(oqs_host::clock::JST).date());
        if let Some(site) = self.sites.get(code) {
            for r in &mut result.result_list {
                if let Some(n) = site.references.get(&super::reception::PersonKey::of(r)) {
                    r.reference_number = n.clone();
                }
            }
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use time::Duration;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2025-04-01 09:00 +9);

    fn registry() -> (Registry, InstitutionCode) {
        let mut r = Registry::new(ChaCha8Rng::seed_from_u64(1), T0.date());
        let code: InstitutionCode = "1312345678".parse().unwrap();
        r.register_site(
            SiteSpec {
                code: code.clone(),
                name: "テスト診療所".into(),
                kind: InstitutionKind::Clinic,
                emergency_authorized: false,
            },
            T0,
        );
        (r, code)
    }

    fn master(r: &Registry, code: &InstitutionCode) -> (String, String) {
        let s = r.site(code).unwrap();
        (
            s.master_id.clone(),
            s.current_password(&s.master_id).unwrap().to_owned(),
        )
    }

    /// The master logs in and registers an account; the master's session and what was issued.
    fn master_registers(
        r: &mut Registry,
        code: &InstitutionCode,
        kind: AccountKind,
        user_id: &str,
        name: &str,
    ) -> (String, IssuedAccount) {
        let (id, pw) = master(r, code);
        let s = r.login(code, &id, &pw, T0).unwrap().session;
        let account = NewAccount {
            kind,
            user_id: user_id.into(),
            user_name: name.into(),
            user_name_kana: String::new(),
        };
        let issued = r.register_account(code, &s, account, T0).unwrap();
        (s, issued)
    }

    #[test]
    fn master_unused_for_sixty_days_must_change_password() {
        let (mut r, code) = registry();
        let (id, pw) = master(&r, &code);
        let ok = r.login(&code, &id, &pw, T0 + Duration::days(59)).unwrap();
        assert_eq!(ok.password_change_required, None);
        let late = r.login(&code, &id, &pw, T0 + Duration::days(60)).unwrap();
        assert_eq!(late.password_change_required, Some(ChangeReason::Expired));
        // nothing but a password change is allowed
        assert_eq!(
            r.settings(&code, &late.session, T0 + Duration::days(60))
                .unwrap_err(),
            Refusal::PasswordChangeRequired(ChangeReason::Expired)
        );
        r.change_password(
            &code,
            &late.session,
            &pw,
            "Kaze#2025abc",
            "Kaze#2025abc",
            T0 + Duration::days(60),
        )
        .unwrap();
        assert!(
            r.settings(&code, &late.session, T0 + Duration::days(60))
                .is_ok()
        );
    }

    #[test]
    fn registered_accounts_start_with_a_forced_change_except_nothing_else() {
        let (mut r, code) = registry();
        let (_, issued) = master_registers(&mut r, &code, AccountKind::Linkage, "R0RENK01", "連携");
        let l = r
            .login(&code, "R0RENK01", &issued.initial_password, T0)
            .unwrap();
        assert_eq!(
            l.password_change_required,
            Some(ChangeReason::InitialPassword)
        );
        r.change_password(
            &code,
            &l.session,
            &issued.initial_password,
            "Renk#0001",
            "Renk#0001",
            T0,
        )
        .unwrap();
        // linkage passwords never expire
        let later = r
            .login(&code, "R0RENK01", "Renk#0001", T0 + Duration::days(3650))
            .unwrap();
        assert_eq!(later.password_change_required, None);
    }

    #[test]
    fn an_open_session_is_restricted_once_its_password_expires() {
        let (mut r, code) = registry();
        let (id, pw) = master(&r, &code);
        let s = r.login(&code, &id, &pw, T0).unwrap().session;
        assert!(r.settings(&code, &s, T0 + Duration::days(59)).is_ok());
        assert_eq!(
            r.settings(&code, &s, T0 + Duration::days(60)).unwrap_err(),
            Refusal::PasswordChangeRequired(ChangeReason::Expired)
        );
    }

    #[test]
    fn sessions_do_not_cross_institutions() {
        let (mut r, code) = registry();
        let (id, pw) = master(&r, &code);
        let s = r.login(&code, &id, &pw, T0).unwrap().session;
        let other: InstitutionCode = "2712345678".parse().unwrap();
        assert_eq!(
            r.settings(&other, &s, T0).unwrap_err(),
            Refusal::NotLoggedIn
        );
    }

    #[test]
    fn wrong_passwords_lock_the_account_until_the_time_passes_or_an_admin_unlocks() {
        let (mut r, code) = registry();
        let (s, issued) = master_registers(&mut r, &code, AccountKind::Admin, "H0KANRI1", "管理");
        let admin = issued.user_id;
        let limit = Profile::builtin().server.login_attempts;
        for i in 1..limit {
            assert_eq!(
                r.login(&code, &admin, "wrong", T0).unwrap_err(),
                Refusal::BadCredentials,
                "attempt {i}"
            );
        }
        let locked = r.login(&code, &admin, "wrong", T0).unwrap_err();
        assert_eq!(locked.code(), "account_locked");
        assert!(
            locked.to_string().contains("ロックを解除できます"),
            "{locked}"
        );
        // the right password does not open a locked account
        let right = issued.initial_password;
        assert_eq!(
            r.login(&code, &admin, &right, T0).unwrap_err().code(),
            "account_locked"
        );
        // the master unlocks it
        r.unlock_account(&code, &s, &admin, T0).unwrap();
        assert!(r.login(&code, &admin, &right, T0).is_ok());
        // or the lockout time passes (the World's clock)
        for _ in 0..limit {
            let _ = r.login(&code, &admin, "wrong", T0);
        }
        let minutes = Profile::builtin().server.lockout_minutes;
        let almost = T0 + Duration::minutes(i64::from(minutes)) - Duration::seconds(1);
        assert!(r.login(&code, &admin, &right, almost).is_err());
        let later = T0 + Duration::minutes(i64::from(minutes));
        assert!(r.login(&code, &admin, &right, later).is_ok());
        // only the master or an admin may unlock
        assert_eq!(
            r.unlock_account(&code, "no-session", &admin, later)
                .unwrap_err(),
            Refusal::NotLoggedIn
        );
    }

    #[test]
    fn the_reset_secret_cannot_be_guessed_within_its_attempt_limit() {
        let (mut r, code) = registry();
        let (master_id, _) = master(&r, &code);
        let reset_id = reset_id_of(&master_id);
        let secret = r.site(&code).unwrap().secret_number.clone();
        let limit = Profile::builtin().server.reset_attempts;
        // a brute force from 0000 upward, skipping the real secret until the lock
        let mut tries = 0;
        let mut refusals = Vec::new();
        for n in 0..10_000u32 {
            let guess = format!("{n:04}");
            if guess == secret {
                continue;
            }
            tries += 1;
            let e = r.reset_master(&code, &reset_id, &guess, T0).unwrap_err();
            let locked = e.code() == "reset_locked";
            refusals.push(e);
            if locked {
                break;
            }
        }
        assert_eq!(tries, limit, "locked at the profile's limit");
        assert!(
            refusals[..refusals.len() - 1]
                .iter()
                .all(|e| *e == Refusal::BadResetSecret)
        );
        // now even the right secret is refused, and the answer holds no password
        let e = r.reset_master(&code, &reset_id, &secret, T0).unwrap_err();
        assert_eq!(e, Refusal::ResetLocked(limit));
        assert!(e.to_string().contains("ヘルプデスク"), "{e}");
        assert!(r.help_desk_unlock_reset(&code));
        let issued = r.reset_master(&code, &reset_id, &secret, T0).unwrap();
        assert_eq!(issued.user_id, master_id);
    }

    #[test]
    fn initial_passwords_meet_the_policy() {
        let (mut r, _) = registry();
        for _ in 0..500 {
            let p = r.initial_password();
            assert_eq!(password::check(&p, &[]), Ok(()), "{p}");
        }
    }
}
