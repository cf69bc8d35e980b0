//! The driver through the real PC/SC stack: pcscd + vpcd with the virtual card, the `pcsc`
//! crate on the driver's side. Needs feature `pcsc` (libpcsclite) and a machine where pcscd
//! can be started (see `oqs_sim::reader::pcscd`); elsewhere it says why and passes.
#![cfg(feature = "pcsc")]

use oqs_driver::pcsc::{Device, PcscReaders};
use oqs_driver::{CheckRequest, Driver, Operator};
use oqs_host::readers::{FaceMatch, ReaderError, ReaderKind, Readers};
use oqs_proto::profile::Profile;
use oqs_proto::qualification::QualificationValidity;
use oqs_proto::reader::{FormFactor, IdentityMethod};
use oqs_sim::World;
use oqs_sim::provision::{self, LinkageTerminal};
use oqs_sim::reader::pcscd::{self, Pcscd};
use oqs_sim::reader::vpcd::{Removal, SharedCard};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_check_through_pcscd_and_a_card_pulled_mid_check() {
    if let Some(why) = pcscd::unavailable() {
        oqs_testkit::skip(&why);
        return;
    }
    let world = World::builder().seed(11).build().unwrap();
    let code = oqs_sim::world::DEFAULT_INSTITUTION.parse().unwrap();
    let t = provision::reader_terminal(&world, &LinkageTerminal::new("OQS-PC01", &code))
        .await
        .unwrap();
    let pcscd = Pcscd::start("oqs-kit Reader").unwrap();
    let name = pcscd.slot_name(0);
    let readers = Arc::new(
        PcscReaders::establish(
            vec![Device {
                reader_name: name.clone(),
                serial: "GR-PCSC-01".into(),
                kind: ReaderKind::Generic,
            }],
            Arc::new(|_: &str| FaceMatch::Matched),
        )
        .unwrap(),
    );
    let driver = Arc::new(Driver::new(
        Arc::new(t),
        readers.clone(),
        Profile::builtin().clone(),
    ));
    let req = CheckRequest {
        serial: "GR-PCSC-01".into(),
        method: IdentityMethod::Pin,
        pin: Some("1234".into()),
        operator: Some(Operator {
            user: provision::OPERATOR_USER.into(),
            password: provision::OPERATOR_PASSWORD.into(),
        }),
    };

    // no card yet
    let r2 = readers.clone();
    let n2 = name.clone();
    let e = tokio::task::spawn_blocking(move || r2.connect(&n2).err())
        .await
        .unwrap();
    assert_eq!(e, Some(ReaderError::NoCard));

    // a card pulled at the 4th APDU: the driver reports it, the server saw nothing
    let card: SharedCard = world.issue_card(0, FormFactor::Card, "1234");
    let inserted = pcscd
        .insert(0, card.clone(), Removal::DuringApdu(4))
        .await
        .unwrap();
    wait_for_card(&readers, &name).await;
    let e = driver.check(&req).await.unwrap_err();
    assert!(
        e.to_string().contains("取り外されました")
            || e.to_string().contains("カードが置かれていません"),
        "{e}"
    );
    assert_eq!(world.registry().cards.checks(), 0);
    drop(inserted);
    // pcscd learns that the card is gone only at vpcd's next 400 ms presence poll; a card put
    // back before that poll is never seen as removed (a real reader reports removal at once)
    tokio::time::sleep(Duration::from_millis(1000)).await;

    // put back: the check goes through, signed by the card's RSA key over real PC/SC
    let _inserted = pcscd.insert(0, card, Removal::OnRequest).await.unwrap();
    wait_for_card(&readers, &name).await;
    let out = driver.check(&req).await.unwrap();
    assert_eq!(
        out.answer.result.qualification_validity,
        QualificationValidity::Valid
    );
    assert_eq!(world.registry().cards.checks(), 1);
}

async fn wait_for_card(readers: &Arc<PcscReaders>, name: &str) {
    // vpcd polls every 400 ms
    for _ in 0..50 {
        let r = readers.clone();
        let n = name.to_owned();
        let ok = tokio::task::spawn_blocking(move || r.connect(&n).map(|_| ()))
            .await
            .unwrap();
        if ok.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no card in {name} after 5 s");
}
