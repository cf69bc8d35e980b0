//! What the linkage app asks of the server besides single checks: 照会番号登録 (reference
//! numbers a HIS registers against a person's insurance data, shown in later results) and the
//! bulk requests — upload, get a 受付番号, download the result once the server has processed it
//! (the profile's `bulk_processing_minutes` of the sim clock later).

use super::registry::{Refusal, Registry};
use oqs_proto::api::{
    BulkAccepted, BulkCheckDownload, BulkCheckItem, BulkRegistrationDownload, BulkRegistrationItem,
    ReferenceNumberRegistration,
};
use oqs_proto::institution::InstitutionCode;
use oqs_proto::profile::Profile;
use oqs_proto::qualification::{QualificationRecord, SearchInfo};
use time::{Duration, OffsetDateTime};

/// A person's insurance key: insurer, 記号, 番号, 枝番.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PersonKey(String, String, String, String);

impl PersonKey {
    pub fn of(r: &QualificationRecord) -> Self {
        Self(
            r.insurer_number.clone(),
            r.insured_card_symbol.clone(),
            r.insured_identification_number.clone(),
            r.insured_branch_number.clone(),
        )
    }
}

/// A bulk request waiting for download.
pub struct BulkJob {
    ready_at: OffsetDateTime,
    work: BulkWork,
}

enum BulkWork {
    Check(Vec<SearchInfo>),
    Registration(Vec<ReferenceNumberRegistration>),
}

impl Registry {
    /// 照会番号登録: remembers `reg.reference_number` for the person it names.
    pub fn register_reference(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        reg: ReferenceNumberRegistration,
        now: OffsetDateTime,
    ) -> Result<ReferenceNumberRegistration, Refusal> {
        self.who(code, token, false, now)?;
        self.register_one(code, reg)
    }

    fn register_one(
        &mut self,
        code: &InstitutionCode,
        mut reg: ReferenceNumberRegistration,
    ) -> Result<ReferenceNumberRegistration, Refusal> {
        let insurer = reg.insurer_number.trim();
        if !(insurer.len() == 6 || insurer.len() == 8)
            || !insurer.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(oqs_proto::qualification::SearchInfoError::InsurerNumber(
                reg.insurer_number,
            )
            .into());
        }
        reg.insurer_number = format!("{insurer:>8}");
        let n = reg.reference_number.trim();
        if n.is_empty() || n.chars().count() > 50 {
            return Err(Refusal::NoSuchInsured);
        }
        let found = self.insured.find(
            &reg.insurer_number,
            reg.insured_card_symbol.trim(),
            reg.insured_identification_number.trim(),
            reg.insured_branch_number.trim(),
        );
        let [record] = found.as_slice() else {
            return Err(Refusal::NoSuchInsured);
        };
        let key = PersonKey::of(record);
        self.site_mut(code)?.references.insert(key, n.to_owned());
        Ok(reg)
    }

    /// 受付番号: the time of acceptance (JST, to the second) and six random digits.
    fn reception_number(&mut self, now: OffsetDateTime) -> String {
        use rand::Rng;
        let t = now
            .to_offset(oqs_host::clock::JST)
            .format(time::macros::format_description!(
                "[year][month][day][hour][minute][second]"
            ))
            .unwrap_or_default();
        format!("{t}{:06}", self.rng.random_range(0..1_000_000u32))
    }

    fn accept(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        count: usize,
        work: BulkWork,
        now: OffsetDateTime,
    ) -> Result<BulkAccepted, Refusal> {
        self.who(code, token, false, now)?;
        if count == 0 {
            return Err(Refusal::EmptyBulk);
        }
        let reception_number = self.reception_number(now);
        let minutes = Profile::builtin().linkage.bulk_processing_minutes;
        self.site_mut(code)?.bulk.insert(
            reception_number.clone(),
            BulkJob {
                ready_at: now + Duration::minutes(minutes.into()),
                work,
            },
        );
        Ok(BulkAccepted {
            reception_number,
            count,
        })
    }

    /// 一括照会 upload.
    pub fn bulk_check_upload(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        searches: Vec<SearchInfo>,
        now: OffsetDateTime,
    ) -> Result<BulkAccepted, Refusal> {
        let n = searches.len();
        self.accept(code, token, n, BulkWork::Check(searches), now)
    }

    /// 一括照会番号登録 upload.
    pub fn bulk_registration_upload(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        regs: Vec<ReferenceNumberRegistration>,
        now: OffsetDateTime,
    ) -> Result<BulkAccepted, Refusal> {
        let n = regs.len();
        self.accept(code, token, n, BulkWork::Registration(regs), now)
    }

    /// The job of `reception`, if ready; `Ok(None)` while still processing.
    fn job(
        &self,
        code: &InstitutionCode,
        token: &str,
        reception: &str,
        now: OffsetDateTime,
    ) -> Result<Option<&BulkWork>, Refusal> {
        self.who(code, token, false, now)?;
        let job = self
            .site(code)
            .and_then(|s| s.bulk.get(reception))
            .ok_or_else(|| Refusal::UnknownReception(reception.into()))?;
        Ok((now >= job.ready_at).then_some(&job.work))
    }

    /// 一括照会 download.
    pub fn bulk_check_download(
        &self,
        code: &InstitutionCode,
        token: &str,
        reception: &str,
        now: OffsetDateTime,
    ) -> Result<BulkCheckDownload, Refusal> {
        let items = match self.job(code, token, reception, now)? {
            None => None,
            Some(BulkWork::Check(searches)) => Some(
                searches
                    .iter()
                    .map(|s| BulkCheckItem {
                        search: s.clone(),
                        result: self
                            .lookup(code, token, s.clone(), now)
                            .map_err(|e| e.to_api()),
                    })
                    .collect(),
            ),
            Some(BulkWork::Registration(_)) => {
                return Err(Refusal::UnknownReception(reception.into()));
            }
        };
        Ok(BulkCheckDownload {
            reception_number: reception.into(),
            ready: items.is_some(),
            items: items.unwrap_or_default(),
        })
    }

    /// 一括照会番号登録 download. Registrations take effect when the server processes them.
    pub fn bulk_registration_download(
        &mut self,
        code: &InstitutionCode,
        token: &str,
        reception: &str,
        now: OffsetDateTime,
    ) -> Result<BulkRegistrationDownload, Refusal> {
        let regs = match self.job(code, token, reception, now)? {
            None => None,
            Some(BulkWork::Registration(r)) => Some(r.clone()),
            Some(BulkWork::Check(_)) => return Err(Refusal::UnknownReception(reception.into())),
        };
        let items = regs.map(|regs| {
            regs.into_iter()
                .map(|r| match self.register_one(code, r.clone()) {
                    Ok(registration) => BulkRegistrationItem {
                        registration,
                        error: None,
                    },
                    Err(e) => BulkRegistrationItem {
                        registration: r,
                        error: Some(e.to_api()),
                    },
                })
                .collect::<Vec<_>>()
        });
        Ok(BulkRegistrationDownload {
            reception_number: reception.into(),
            ready: items.is_some(),
            items: items.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qualification::registry::SiteSpec;
    use oqs_proto::account::AccountKind;
    use oqs_proto::institution::InstitutionKind;
    use oqs_proto::qualification::QualificationValidity;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2025-04-01 09:00 +9);

    /// A registry with the default clinic and a logged-in linkage account.
    fn linked() -> (Registry, InstitutionCode, String) {
        let mut r = Registry::new(ChaCha8Rng::seed_from_u64(3), T0.date());
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
        let pw = "Renkei#2025abc";
        r.provision_account(&code, AccountKind::Linkage, "R0RENK01", pw, T0)
            .unwrap();
        let s = r.login(&code, "R0RENK01", pw, T0).unwrap().session;
        (r, code, s)
    }

    #[test]
    fn registered_reference_number_appears_in_later_checks() {
        let (mut r, code, s) = linked();
        let q = r.insured.example(QualificationValidity::Valid);
        let reg = ReferenceNumberRegistration {
            reference_number: "KARTE-0001".into(),
            insurer_number: q.insurer_number.trim().into(),
            insured_card_symbol: q.insured_card_symbol.clone(),
            insured_identification_number: q.insured_identification_number.clone(),
            insured_branch_number: q.insured_branch_number.clone(),
        };
        r.register_reference(&code, &s, reg.clone(), T0).unwrap();
        let res = r.lookup(&code, &s, q, T0).unwrap();
        assert_eq!(res.result_list[0].reference_number, "KARTE-0001");
        let mut nobody = reg;
        nobody.insured_identification_number = "99999999".into();
        assert_eq!(
            r.register_reference(&code, &s, nobody, T0).unwrap_err(),
            Refusal::NoSuchInsured
        );
    }

    #[test]
    fn bulk_result_is_ready_after_processing_time() {
        let (mut r, code, s) = linked();
        let searches: Vec<_> = oqs_proto::qualification::ALL_VALIDITIES
            .iter()
            .map(|v| r.insured.example(*v))
            .collect();
        let acc = r.bulk_check_upload(&code, &s, searches, T0).unwrap();
        assert_eq!(acc.count, 5);
        let early = r
            .bulk_check_download(&code, &s, &acc.reception_number, T0)
            .unwrap();
        assert!(!early.ready && early.items.is_empty());
        let later = T0 + Duration::minutes(1);
        let done = r
            .bulk_check_download(&code, &s, &acc.reception_number, later)
            .unwrap();
        assert!(done.ready);
        let v: Vec<_> = done
            .items
            .iter()
            .map(|i| i.result.as_ref().unwrap().qualification_validity)
            .collect();
        assert_eq!(v, oqs_proto::qualification::ALL_VALIDITIES.to_vec());
        assert_eq!(
            r.bulk_check_download(&code, &s, "0000", later).unwrap_err(),
            Refusal::UnknownReception("0000".into())
        );
        assert!(r.bulk_check_upload(&code, &s, vec![], T0).is_err());
    }

    #[test]
    fn changing_the_password_signs_other_sessions_out() {
        let (mut r, code, s) = linked();
        let pw = r
            .site(&code)
            .unwrap()
            .current_password("R0RENK01")
            .unwrap()
            .to_owned();
        let other = r.login(&code, "R0RENK01", &pw, T0).unwrap().session;
        let new = "Renkei#2026xyz";
        r.change_password(&code, &other, &pw, new, new, T0).unwrap();
        let q = r.insured.example(QualificationValidity::Valid);
        assert_eq!(
            r.lookup(&code, &s, q.clone(), T0).unwrap_err(),
            Refusal::NotLoggedIn
        );
        assert!(r.lookup(&code, &other, q, T0).is_ok());
    }
}
