//! The virtual My Number Card read by a public JPKI client written by others: the `jpki` crate
//! (jpki-rs, crates.io), used only here. It parses the 券面入力補助AP files (My Number, basic 4
//! items), the 券面AP (the card face with its photo) and the JPKI-AP certificates, signs, and
//! reads PIN status — through the in-process reader, and through pcscd + vpcd with the driver's
//! PC/SC backend (feature `pcsc`). The kit's own parsers are not used to check what the client
//! read: it is compared with what the card was issued with.

use jpki::ap::crypto::CertType;
use jpki::ap::support::Sex;
use jpki::ap::surface::Pin;
use jpki::ap::{CryptoAp, SupportAp, SurfaceAp};
use jpki::nfc::{HandleError, HandlerInCtx};
use oqs_driver::jpki::sha256_digest_info;
use oqs_host::readers::{CardChannel, ReaderKind, Readers};
use oqs_proto::reader::FormFactor;
use oqs_sim::World;
use oqs_sim::reader::face::{Face, Gray};
use oqs_sim::reader::mynumber::CardContents;
use std::rc::Rc;
use std::sync::Mutex;

/// jpki's transport: our reader channel. jpki retries a command with a larger buffer when the
/// answer does not fit; the answer already given is handed out again instead of sending the
/// command twice (a VERIFY sent twice would count twice).
struct Delegate {
    ch: Mutex<Box<dyn CardChannel>>,
    last: Mutex<Option<(Vec<u8>, Vec<u8>)>>,
}

impl HandlerInCtx<()> for Delegate {
    fn handle_in_ctx(&self, _: (), command: &[u8], response: &mut [u8]) -> jpki::nfc::Result {
        let mut last = self.last.lock().unwrap();
        let answer = match last.take() {
            Some((c, r)) if c == command => r,
            _ => self
                .ch
                .lock()
                .unwrap()
                .transmit(command)
                .map_err(|e| HandleError::Nfc(Box::new(e.to_string())))?,
        };
        if answer.len() > response.len() {
            let n = answer.len();
            *last = Some((command.to_vec(), answer));
            return Err(HandleError::NotEnoughBuffer(n));
        }
        response[..answer.len()].copy_from_slice(&answer);
        Ok(answer.len())
    }
}

/// Everything a public client reads, checked against what the card was issued with.
// Longer than 80 lines: one check per file of the card, in the order the client reads them.
fn read_with_jpki_rs(ch: Box<dyn CardChannel>, issued: &CardContents) {
    let card = Rc::new(jpki::Card::new(Box::new(Delegate {
        ch: Mutex::new(ch),
        last: Mutex::new(None),
    })));
    let h = &issued.holder;
    let pin = issued.kenmen_pin.as_bytes().to_vec();

    // 券面入力補助AP: My Number and the basic 4 items behind the 4-digit PIN
    let support = SupportAp::open((), card.clone()).unwrap();
    assert_eq!(support.pin_status(()).unwrap(), 3);
    assert_eq!(
        support.read_my_number((), pin.clone()).unwrap(),
        h.my_number
    );
    let a = support.read_attributes((), pin).unwrap();
    assert_eq!(
        (
            a.name.as_str(),
            a.address.as_str(),
            a.date_of_birth.as_str()
        ),
        (h.name.as_str(), h.address.as_str(), h.birthdate.as_str())
    );
    let sex_ok = match (h.sex.as_str(), &a.sex) {
        ("1", Sex::Male) | ("2", Sex::Female) => true,
        (_, Sex::NotApplicable) => !matches!(h.sex.as_str(), "1" | "2"),
        _ => false,
    };
    assert!(sex_ok, "sex {} read as {:?}", h.sex, a.sex);

    // 券面AP: the card face with 照合番号B off the printed face, and with 照合番号A
    let surface = SurfaceAp::open((), card.clone()).unwrap();
    let code_b = issued.surface.code_b(&h.birthdate).unwrap();
    let s = surface
        .read_surface((), Pin::B(code_b.into_bytes()))
        .unwrap();
    assert_eq!(s.date_of_birth, h.birthdate.as_bytes());
    assert_eq!(s.expiry_date, issued.surface.expiry.as_bytes());
    let photo = Gray::from_png(&s.photo).expect("the photo is a grey PNG");
    assert_eq!(photo, Face::of(issued.surface.face_seed).photo());
    for image in [&s.name, &s.address, &s.code] {
        assert_eq!(&image[..8], b"\x89PNG\r\n\x1a\n");
    }
    let surface = SurfaceAp::open((), card.clone()).unwrap();
    let s = surface
        .read_surface((), Pin::A(h.my_number.as_bytes().to_vec()))
        .unwrap();
    assert_eq!(s.date_of_birth, h.birthdate.as_bytes());

    // JPKI-AP: the certificates, and signatures that verify with them
    let crypto = CryptoAp::open((), card.clone()).unwrap();
    assert_eq!(crypto.auth_pin_status(()).unwrap(), 3);
    let auth = crypto
        .read_certificate((), CertType::Auth, Vec::new())
        .unwrap();
    assert_eq!(auth, issued.auth_cert);
    let message = b"challenge from oqs-kit";
    let sig = crypto
        .auth(
            (),
            issued.auth_pin.as_bytes().to_vec(),
            sha256_digest_info(message),
        )
        .unwrap();
    assert!(oqs_sim::certs::jpki::verify_card_signature(
        &auth, message, &sig
    ));
    let sign_cert = crypto
        .read_certificate((), CertType::Sign, issued.sign_pin.as_bytes().to_vec())
        .unwrap();
    assert_eq!(sign_cert, issued.sign_cert);
    let sig = crypto
        .sign(
            (),
            issued.sign_pin.as_bytes().to_vec(),
            sha256_digest_info(message),
        )
        .unwrap();
    assert!(oqs_sim::certs::jpki::verify_card_signature(
        &sign_cert, message, &sig
    ));

    // a blocked authentication PIN: the client reads 0 tries left, cannot sign, and still reads
    // the certificate
    for _ in 0..3 {
        assert!(crypto.auth((), b"0000".to_vec(), vec![0; 51]).is_err());
    }
    assert_eq!(crypto.auth_pin_status(()).unwrap(), 0);
    assert!(
        crypto
            .auth(
                (),
                issued.auth_pin.as_bytes().to_vec(),
                sha256_digest_info(message)
            )
            .is_err()
    );
    assert_eq!(
        crypto
            .read_certificate((), CertType::Auth, Vec::new())
            .unwrap(),
        issued.auth_cert
    );
}

#[test]
fn jpki_rs_reads_the_card_through_the_in_process_reader() {
    let world = World::builder().seed(21).build().unwrap();
    let card = world.issue_card(2, FormFactor::Card, "4321");
    let issued = card.lock().unwrap().contents().clone();
    let readers = world.readers().clone();
    let r = readers.attach(ReaderKind::Generic, "PUBLIC-1");
    r.insert(card);
    read_with_jpki_rs(readers.connect(&r.entry().name).unwrap(), &issued);
}

#[cfg(feature = "pcsc")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jpki_rs_reads_the_card_through_pcscd_and_vpcd() {
    use oqs_driver::pcsc::{Device, PcscReaders};
    use oqs_host::readers::FaceMatch;
    use oqs_sim::reader::pcscd::{self, Pcscd};
    use oqs_sim::reader::vpcd::{Removal, SharedCard};
    use std::sync::Arc;
    if let Some(why) = pcscd::unavailable() {
        oqs_testkit::skip(&why);
        return;
    }
    let world = World::builder().seed(22).build().unwrap();
    let card = world.issue_card(1, FormFactor::Card, "2580");
    let issued = card.lock().unwrap().contents().clone();
    let pcscd = Pcscd::start("oqs-kit Public").unwrap();
    let name = pcscd.slot_name(0);
    let shared: SharedCard = card;
    let _inserted = pcscd.insert(0, shared, Removal::OnRequest).await.unwrap();
    let readers = PcscReaders::establish(
        vec![Device {
            reader_name: name.clone(),
            serial: "PUBLIC-PCSC".into(),
            kind: ReaderKind::Generic,
        }],
        Arc::new(|_: &str| FaceMatch::NotMatched),
    )
    .unwrap();
    // vpcd takes a card at pcscd's presence poll
    let ch = tokio::task::spawn_blocking(move || {
        for _ in 0..50 {
            if let Ok(ch) = readers.connect(&name) {
                return Some(ch);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        None
    })
    .await
    .unwrap()
    .expect("pcscd detects the card within 5 s");
    tokio::task::spawn_blocking(move || read_with_jpki_rs(ch, &issued))
        .await
        .unwrap();
}
