//! 資格確認 with a My Number Card. The server knows which card belongs to whom by the card's
//! 利用者証明用電子証明書 (J-LIS's part, played here by the test JPKI): it checks the certificate
//! was issued by the test JPKI CA and is registered to an insured person, and — for PIN and
//! smartphone checks — that the card signed a one-time challenge with the certificate's key.
//! Smartphone checks need 「スマホによる本人確認（カードリーダー使用）」= 利用する.

use super::registry::{Refusal, Registry};
use oqs_certs::jpki::{JpkiCa, issued_by, verify_card_signature};
use oqs_proto::account::AccountKind;
use oqs_proto::api::{CardChallenge, CardCheck, CardCheckResult, hex, unhex};
use oqs_proto::institution::InstitutionCode;
use oqs_proto::reader::IdentityMethod;
use oqs_proto::settings::{Service, Usage};
use rand::Rng;
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};

/// How long a challenge may be answered.
pub const CHALLENGE_LIFETIME: Duration = Duration::minutes(5);

/// Issued cards (auth certificate DER → person) and open challenges.
#[derive(Default)]
pub struct CardBook {
    holders: HashMap<Vec<u8>, usize>,
    revoked: Vec<Vec<u8>>,
    /// challenge → (institution, session, issued at): only the session that asked may answer
    challenges: HashMap<String, (InstitutionCode, String, OffsetDateTime)>,
    /// Card check requests received, answered or refused (scenarios assert that nothing was
    /// sent after a failure at the reader, and nothing twice).
    checks: usize,
    /// 資格情報照会 (マイナンバーカード) screens waiting for a card, by institution.
    desks: HashMap<InstitutionCode, Desk>,
}

/// What one institution's 資格情報照会 screen asked for (by which session, when), and what
/// the reader's check answered. One terminal's screen waits at a time \[kit\]: a second ask
/// replaces the first.
struct Desk {
    asked: Option<IdentityMethod>,
    by: String,
    at: OffsetDateTime,
    answer: Option<DeskAnswer>,
}

/// \[kit\] How long a 資格情報照会 screen waits for the reader's check (sim clock).
pub const DESK_WAIT: Duration = Duration::seconds(60);

/// What the waiting screen learns.
pub enum DeskState {
    /// The reader's check has not come yet.
    Waiting(IdentityMethod),
    /// The server answered the check (shown once).
    Answered(DeskAnswer),
    /// Nothing asked by this session, or the wait is over.
    Idle,
}

/// The answer the 資格情報確認 screen shows: the server's result, or the refusal's words.
pub type DeskAnswer = Result<oqs_proto::qualification::QualificationResult, String>;

impl CardBook {
    /// Records that the card with `auth_cert` belongs to insured person `person`.
    pub fn register(&mut self, auth_cert: &[u8], person: usize) {
        self.holders.insert(auth_cert.to_vec(), person);
    }

    /// How many card check requests the server has received.
    pub fn checks(&self) -> usize {
        self.checks
    }

    /// 失効: the certificate no longer proves anything.
    pub fn revoke(&mut self, auth_cert: &[u8]) {
        self.revoked.push(auth_cert.to_vec());
    }
}

impl Registry {
    /// A fresh one-time challenge (32 random bytes, hex) for the session's next card check.
    pub fn card_challenge(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<CardChallenge, Refusal> {
        self.who(code, token, false, now)?;
        let bytes: [u8; 32] = self.rng.random();
        let challenge = hex(&bytes);
        self.cards
            .challenges
            .retain(|_, (_, _, at)| now - *at <= CHALLENGE_LIFETIME);
        self.cards
            .challenges
            .insert(challenge.clone(), (code.clone(), token.into(), now));
        Ok(CardChallenge { challenge })
    }

    /// The 資格情報照会 screen asks for a check by `method`: the terminal's reader software
    /// (played by the simulator) starts the reader's check that way, and the answer of the next
    /// card check of the institution is the screen's.
    pub fn ask_card_check(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        method: IdentityMethod,
        now: OffsetDateTime,
    ) -> Result<(), Refusal> {
        self.who(code, token, false, now)?;
        self.cards.desks.insert(
            code.clone(),
            Desk {
                asked: Some(method),
                by: token.into(),
                at: now,
                answer: None,
            },
        );
        Ok(())
    }

    /// The session opened 資格情報照会 afresh: what it asked before is no longer awaited.
    pub fn cancel_card_check(&mut self, code: &InstitutionCode, token: &str) {
        if self.cards.desks.get(code).is_some_and(|d| d.by == token) {
            self.cards.desks.remove(code);
        }
    }

    /// The method the institution's 資格情報照会 screen is waiting with, if one is.
    pub fn asked_card_method(&self, code: &InstitutionCode) -> Option<IdentityMethod> {
        self.cards.desks.get(code).and_then(|d| d.asked)
    }

    /// What the session's waiting screen shows now: an answer is handed over once, and only
    /// to the session that asked.
    pub fn card_answer(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<DeskState, Refusal> {
        self.who(code, token, false, now)?;
        let Some(d) = self.cards.desks.get_mut(code).filter(|d| d.by == token) else {
            return Ok(DeskState::Idle);
        };
        if let Some(a) = d.answer.take() {
            return Ok(DeskState::Answered(a));
        }
        match d.asked {
            Some(m) if now - d.at <= DESK_WAIT => Ok(DeskState::Waiting(m)),
            _ => {
                self.cards.desks.remove(code);
                Ok(DeskState::Idle)
            }
        }
    }

    /// 資格確認 by card.
    pub fn card_check(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        check: CardCheck,
        now: OffsetDateTime,
    ) -> Result<CardCheckResult, Refusal> {
        let method = check.method;
        let logged_in = self.who(code, token, false, now).is_ok();
        let r = self.card_check_once(code, token, check, now);
        // the waiting screen takes the answer of the check it asked for (a check of another
        // kind, or one the server could not attribute, is not its)
        if let Some(d) = self.cards.desks.get_mut(code)
            && logged_in
            && d.asked == Some(method)
        {
            d.asked = None;
            d.answer = Some(match &r {
                Ok(c) => Ok(c.result.clone()),
                Err(e) => Err(e.to_api().message),
            });
        }
        r
    }

    fn card_check_once(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        check: CardCheck,
        now: OffsetDateTime,
    ) -> Result<CardCheckResult, Refusal> {
        self.cards.checks += 1;
        let (_, _, kind) = self.who(code, token, false, now)?;
        if check.method == IdentityMethod::Face && kind != AccountKind::Face {
            return Err(Refusal::CardCheck(
                "顔認証による資格確認は、顔認証付きカードリーダーに設定した顔認証用アカウント（F0…）でのみ実施できます".into(),
            ));
        }
        if check.method.is_smartphone() {
            let usage = self
                .site(code)
                .map(|s| s.settings.usage(Service::SmartphoneIdentity))
                .unwrap_or_default();
            if usage != Usage::Use {
                return Err(Refusal::CardCheck(
                    "スマホによる本人確認（カードリーダー使用）が「利用しない」に設定されています。管理者アカウントの環境設定情報で「利用する」に変更してください".into(),
                ));
            }
        }
        let cert = unhex(&check.certificate).ok_or_else(|| {
            Refusal::CardCheck("利用者証明用電子証明書の形式が正しくありません".into())
        })?;
        let unknown = || {
            Refusal::CardCheck(
                "利用者証明用電子証明書を確認できません。有効なマイナンバーカードか確認してください"
                    .into(),
            )
        };
        if !issued_by(&cert, JpkiCa::shared().auth_ca_der()) {
            return Err(unknown());
        }
        if self.cards.revoked.contains(&cert) {
            return Err(Refusal::CardCheck(
                "利用者証明用電子証明書が失効しています。市区町村窓口で電子証明書の再発行を受けてください".into(),
            ));
        }
        let person = *self.cards.holders.get(&cert).ok_or_else(unknown)?;
        if check.method.signs_challenge() {
            let (Some(ch), Some(sig)) = (&check.challenge, &check.signature) else {
                return Err(Refusal::CardCheck(
                    "暗証番号による本人確認の署名がありません".into(),
                ));
            };
            // one use only, and only while fresh
            let issued = self.cards.challenges.remove(ch);
            let fresh = issued.is_some_and(|(c, t, at)| {
                &c == code && t == token && now - at <= CHALLENGE_LIFETIME
            });
            let ok = fresh
                && unhex(sig).is_some_and(|s| verify_card_signature(&cert, ch.as_bytes(), &s));
            if !ok {
                return Err(Refusal::CardCheck(
                    "本人確認の署名を検証できませんでした。もう一度カードを置いてやり直してください"
                        .into(),
                ));
            }
        }
        let today = now.to_offset(oqs_host::clock::JST).date();
        let result = self.insured.by_person(person, today);
        let afi: String = (0..16)
            .map(|_| {
                let n = self.rng.random_range(0..36u8);
                char::from_digit(u32::from(n), 36)
                    .expect("base 36")
                    .to_ascii_uppercase()
            })
            .collect();
        Ok(CardCheckResult {
            arbitrary_file_identifier: afi,
            result,
        })
    }
}
