//! The password policy of the qualification system, as the manual prints it on the
//! パスワード変更 screen [001 2-①]:
//!
//! - 8 文字以上20 文字以下.
//! - 数字、英字小文字、英字大文字、特殊文字をそれぞれひとつ以上; the special characters are
//!   `~!@#$%^&*_{}[]|;'<>,.?-()/` and nothing else may be used.
//! - A new password under 13 characters: not one of the last 5 passwords, and not sharing its
//!   first 5 characters with any of them (「staff123」→「staff456」 is refused).
//! - Expiry: under 13 characters 60 days; 13 or more never, except passwords set on or before
//!   2021-05-28 (60 days); face reader, linkage and WebAPI accounts never expire.

use crate::account::AccountKind;
use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime, macros::date};

pub const MIN_LEN: usize = 8;
pub const MAX_LEN: usize = 20;
/// From this length on, the history rules do not apply and the password does not expire.
pub const LONG_LEN: usize = 13;
/// 5 世代前まで: how many earlier passwords the history rules look at.
pub const HISTORY: usize = 5;
/// Length of the shared prefix that makes two passwords 類似.
pub const PREFIX_LEN: usize = 5;
pub const EXPIRY_DAYS: i64 = 60;
/// Passwords set on or before this day expire after 60 days whatever their length.
pub const LONG_PASSWORD_CUTOFF: Date = date!(2021 - 05 - 28);
/// The special characters the manual allows, in its own order.
pub const SPECIALS: &str = "~!@#$%^&*_{}[]|;'<>,.?-()/";

/// One rule a candidate password breaks, with the manual's words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Violation {
    Length { len: usize },
    NoDigit,
    NoLowercase,
    NoUppercase,
    NoSpecial,
    ForbiddenCharacter { ch: char },
    SameAsRecent,
    SimilarToRecent { prefix: String },
}

impl Violation {
    /// The sentence of the manual this violation breaks.
    pub fn message(&self) -> String {
        match self {
            Self::Length { len } => {
                format!("8 文字以上20 文字以下で設定してください（{len}文字です）")
            }
            Self::NoDigit => "数字をひとつ以上組み合わせてください".into(),
            Self::NoLowercase => "英字小文字をひとつ以上組み合わせてください".into(),
            Self::NoUppercase => "英字大文字をひとつ以上組み合わせてください".into(),
            Self::NoSpecial => {
                format!("特殊文字をひとつ以上組み合わせてください（使用できる記号: {SPECIALS}）")
            }
            Self::ForbiddenCharacter { ch } => {
                format!(
                    "「{ch}」は使用できません（特殊文字として使用できる記号は {SPECIALS} です）"
                )
            }
            Self::SameAsRecent => "5 世代前までのパスワードと同じパスワードは使用できません".into(),
            Self::SimilarToRecent { prefix } => format!(
                "5 世代前までのパスワードと先頭5 文字が同じになる類似のパスワードは使用できません（先頭「{prefix}」）"
            ),
        }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || SPECIALS.contains(c)
}

fn prefix(s: &str) -> &str {
    match s.char_indices().nth(PREFIX_LEN) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Checks a candidate password against every rule. `recent` holds the account's passwords,
/// newest first, including the current one; only the first [`HISTORY`] are looked at.
/// Returns every rule broken, so the person fixes them all at once.
pub fn check(candidate: &str, recent: &[String]) -> Result<(), Vec<Violation>> {
    let mut v = Vec::new();
    let len = candidate.chars().count();
    if !(MIN_LEN..=MAX_LEN).contains(&len) {
        v.push(Violation::Length { len });
    }
    if let Some(ch) = candidate.chars().find(|c| !allowed(*c)) {
        v.push(Violation::ForbiddenCharacter { ch });
    }
    if !candidate.chars().any(|c| c.is_ascii_digit()) {
        v.push(Violation::NoDigit);
    }
    if !candidate.chars().any(|c| c.is_ascii_lowercase()) {
        v.push(Violation::NoLowercase);
    }
    if !candidate.chars().any(|c| c.is_ascii_uppercase()) {
        v.push(Violation::NoUppercase);
    }
    if !candidate.chars().any(|c| SPECIALS.contains(c)) {
        v.push(Violation::NoSpecial);
    }
    if len < LONG_LEN {
        let recent = &recent[..recent.len().min(HISTORY)];
        if recent.iter().any(|p| p == candidate) {
            v.push(Violation::SameAsRecent);
        } else if recent.iter().any(|p| prefix(p) == prefix(candidate)) {
            v.push(Violation::SimilarToRecent {
                prefix: prefix(candidate).to_owned(),
            });
        }
    }
    if v.is_empty() { Ok(()) } else { Err(v) }
}

/// When a password set at `set_at` for an account of `kind` stops working, if ever.
pub fn expires_at(
    kind: AccountKind,
    password: &str,
    set_at: OffsetDateTime,
) -> Option<OffsetDateTime> {
    if kind.password_never_expires() {
        return None;
    }
    let long = password.chars().count() >= LONG_LEN;
    let set_on = set_at.to_offset(time::macros::offset!(+9)).date();
    if long && set_on > LONG_PASSWORD_CUTOFF {
        None
    } else {
        Some(set_at + Duration::days(EXPIRY_DAYS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    fn hist(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_manuals_example_is_refused_as_similar() {
        // staff123 → staff456: the prefix rule is among the reasons, whatever else is missing.
        let err = check("staff456", &hist(&["staff123"])).unwrap_err();
        assert!(
            err.contains(&Violation::SimilarToRecent {
                prefix: "staff".into()
            }),
            "{err:?}"
        );
        // The same idea with passwords that meet every other rule.
        let err = check("Staff#456", &hist(&["Staff#123"])).unwrap_err();
        assert_eq!(
            err,
            vec![Violation::SimilarToRecent {
                prefix: "Staff".into()
            }]
        );
        assert!(check("Staf#f456", &hist(&["Staff#123"])).is_ok());
    }

    #[test]
    fn length_boundaries() {
        assert_eq!(
            check("Ab1#567", &[]),
            Err(vec![Violation::Length { len: 7 }])
        );
        assert!(check("Ab1#5678", &[]).is_ok());
        assert!(check("Ab1#5678901234567890", &[]).is_ok());
        assert_eq!(
            check("Ab1#56789012345678901", &[]),
            Err(vec![Violation::Length { len: 21 }])
        );
    }

    #[test]
    fn history_is_five_generations() {
        let h = hist(&[
            "Aaaaa#11", "Bbbbb#11", "Ccccc#11", "Ddddd#11", "Eeeee#11", "Fffff#11",
        ]);
        assert_eq!(check("Eeeee#11", &h), Err(vec![Violation::SameAsRecent]));
        // the sixth generation back is forgotten
        assert!(check("Fffff#11", &h).is_ok());
        assert!(check("Fffff#22", &h).is_ok());
    }

    #[test]
    fn history_rules_stop_at_thirteen_characters() {
        let h = hist(&["Staff#123456", "Staff#1234567"]);
        assert_eq!(
            check("Staff#654321", &h),
            Err(vec![Violation::SimilarToRecent {
                prefix: "Staff".into()
            }])
        );
        assert!(check("Staff#1234567", &h).is_ok());
    }

    #[test]
    fn forbidden_characters_are_named() {
        for c in [' ', '+', '=', '"', ':', '\\', '`', 'Ａ', 'あ'] {
            let p = format!("Ab1#567{c}");
            let err = check(&p, &[]).unwrap_err();
            assert!(
                err.contains(&Violation::ForbiddenCharacter { ch: c }),
                "{p}: {err:?}"
            );
            assert!(err[0].message().contains(c));
        }
    }

    #[test]
    fn expiry_rules() {
        let after = datetime!(2024-04-01 09:00 +9);
        let before = datetime!(2021-05-28 23:59 +9);
        let day_after = datetime!(2021-05-29 00:00 +9);
        let short = "Staff#123";
        let long = "Staff#1234567";
        assert_eq!(
            expires_at(AccountKind::Admin, short, after),
            Some(after + Duration::days(60))
        );
        assert_eq!(expires_at(AccountKind::Admin, long, after), None);
        assert_eq!(
            expires_at(AccountKind::Master, long, before),
            Some(before + Duration::days(60))
        );
        assert_eq!(expires_at(AccountKind::Master, long, day_after), None);
        for k in [AccountKind::Face, AccountKind::Linkage, AccountKind::WebApi] {
            assert_eq!(expires_at(k, short, before), None);
        }
    }

    fn class() -> impl Strategy<Value = char> {
        prop_oneof![
            proptest::char::range('0', '9'),
            proptest::char::range('a', 'z'),
            proptest::char::range('A', 'Z'),
            proptest::sample::select(SPECIALS.chars().collect::<Vec<_>>()),
        ]
    }

    /// A password meeting the composition rules, of the given length range.
    fn good(len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
        proptest::collection::vec(class(), len).prop_map(|mut v| {
            let n = v.len();
            v[n - 4] = '7';
            v[n - 3] = 'q';
            v[n - 2] = 'Q';
            v[n - 1] = '#';
            v.into_iter().collect()
        })
    }

    proptest! {
        #[test]
        fn composed_passwords_of_allowed_length_pass(p in good(8..=20)) {
            prop_assert_eq!(check(&p, &[]), Ok(()));
        }

        #[test]
        fn length_outside_8_to_20_is_refused(p in prop_oneof![good(4..=7), good(21..=40)]) {
            let len = p.chars().count();
            prop_assert_eq!(check(&p, &[]), Err(vec![Violation::Length { len }]));
        }

        #[test]
        fn dropping_a_class_is_refused(p in good(12..=20), which in 0usize..4) {
            let (bad, filler, want): (fn(char) -> bool, char, Violation) = match which {
                0 => (|c| c.is_ascii_digit(), 'x', Violation::NoDigit),
                1 => (|c| c.is_ascii_lowercase(), 'X', Violation::NoLowercase),
                2 => (|c| c.is_ascii_uppercase(), 'x', Violation::NoUppercase),
                _ => (|c| SPECIALS.contains(c), 'x', Violation::NoSpecial),
            };
            let stripped: String = p.chars().map(|c| if bad(c) { filler } else { c }).collect();
            let err = check(&stripped, &[]).unwrap_err();
            prop_assert!(err.contains(&want), "{} -> {:?}", stripped, err);
        }

        #[test]
        fn short_password_sharing_a_prefix_with_recent_is_refused(
            old in good(8..=20), tail in good(8..=8), slot in 0usize..5,
        ) {
            let candidate: String = old.chars().take(5).chain(tail.chars().take(7)).collect();
            prop_assume!(candidate != old);
            let mut recent: Vec<String> = (0..5).map(|i| format!("Zz9#{i}zzzz")).collect();
            recent[slot] = old.clone();
            let err = check(&candidate, &recent).unwrap_err();
            let similar = err.iter().any(|v| matches!(v, Violation::SimilarToRecent { .. }));
            prop_assert!(similar, "{:?}", err);
        }

        #[test]
        fn long_passwords_ignore_history(p in good(13..=20)) {
            prop_assert_eq!(check(&p, std::slice::from_ref(&p)), Ok(()));
        }

        #[test]
        fn short_passwords_expire_in_sixty_days(p in good(8..=12), days in 0i64..4000) {
            let set = time::macros::datetime!(2021-06-01 00:00 +9) + Duration::days(days);
            prop_assert_eq!(expires_at(AccountKind::General, &p, set), Some(set + Duration::days(60)));
        }
    }
}
