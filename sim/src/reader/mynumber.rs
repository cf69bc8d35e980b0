//! マイナンバーカード as a sans-I/O APDU state machine [INTERFACES §3]: JPKI-AP with its token,
//! certificates, keys and PINs, and 券面入力補助AP with the My Number and the basic 4 items
//! behind its PIN. Bytes in, bytes out: the in-process and vpcd transports only carry them.
//!
//! Layouts no public source fixes are the kit's ([K]): the My Number EF is `FF 10 0C` + 12
//! ASCII digits; the basic 4 items EF is `FF 20 len` + `DF 22` name, `DF 23` address,
//! `DF 24` birth date (yyyyMMdd), `DF 25` sex (1/2/3), each `tag len value`, as the public
//! client libraries read it [I].

use super::apdu::{Command, response, sw};
use std::sync::Arc;

pub use oqs_proto::reader::FormFactor;
pub use oqs_proto::reader::jpki::{JPKI_AP, KENMEN_AP, KENMEN_HOJO_AP};

/// Signs a DigestInfo with the card's private key (RSA-2048, PKCS#1 v1.5, no further hashing).
pub trait CardKey: Send + Sync {
    fn sign_digest_info(&self, digest_info: &[u8]) -> Option<Vec<u8>>;
}

impl CardKey for oqs_certs::jpki::RsaKey {
    fn sign_digest_info(&self, digest_info: &[u8]) -> Option<Vec<u8>> {
        oqs_certs::jpki::RsaKey::sign_digest_info(self, digest_info)
    }
}

/// 券面事項: what 券面入力補助AP gives after its PIN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    /// 12 digits
    pub my_number: String,
    pub name: String,
    pub address: String,
    /// yyyyMMdd
    pub birthdate: String,
    /// 1 male, 2 female, 3 unset
    pub sex: String,
}

/// A 12-digit individual number (個人番号) from an 11-digit base and its check digit
/// (the ministry ordinance's weights: 2–7 then 2–6 from the right, modulus 11).
pub fn my_number(base: u64) -> String {
    let digits = format!("{:011}", base % 100_000_000_000);
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let n = i as u32 + 1;
            let q = if n <= 6 { n + 1 } else { n - 5 };
            u32::from(d - b'0') * q
        })
        .sum();
    let r = sum % 11;
    let check = if r <= 1 { 0 } else { 11 - r };
    format!("{digits}{check}")
}

/// Everything a card holds, as issued.
#[derive(Clone)]
pub struct CardContents {
    pub form: FormFactor,
    pub holder: Holder,
    /// 利用者証明用電子証明書 and its CA (DER).
    pub auth_cert: Vec<u8>,
    pub auth_ca: Vec<u8>,
    pub auth_key: Arc<dyn CardKey>,
    /// 署名用電子証明書 and its CA (DER).
    pub sign_cert: Vec<u8>,
    pub sign_ca: Vec<u8>,
    pub sign_key: Arc<dyn CardKey>,
    /// 4 digits
    pub auth_pin: String,
    /// 6–16 alphanumerics, compared upper-cased
    pub sign_pin: String,
    /// 4 digits
    pub kenmen_pin: String,
    /// iPhone only: the holder passed the phone's biometrics (Face ID / Touch ID) before
    /// holding it to the reader, which stands in for the authentication PIN.
    pub biometric_passed: bool,
}

/// A key that cannot sign (COMPUTE DIGITAL SIGNATURE answers 6A80).
pub struct NoKey;

impl CardKey for NoKey {
    fn sign_digest_info(&self, _: &[u8]) -> Option<Vec<u8>> {
        None
    }
}

impl CardContents {
    /// A card for transport tests: a fixed holder, PINs 1234 / ABC123 / 5678, placeholder
    /// certificates and keys that cannot sign (the test JPKI CA and its RSA keys come later).
    pub fn transport_sample(form: FormFactor) -> Self {
        Self {
            form,
            holder: Holder {
                my_number: "123456789018".into(),
                name: "山田　太郎".into(),
                address: "東京都".into(),
                birthdate: "19800101".into(),
                sex: "1".into(),
            },
            auth_cert: vec![0x30, 0x00],
            auth_ca: vec![0x30, 0x00],
            auth_key: Arc::new(NoKey),
            sign_cert: vec![0x30, 0x00],
            sign_ca: vec![0x30, 0x00],
            sign_key: Arc::new(NoKey),
            auth_pin: "1234".into(),
            sign_pin: "ABC123".into(),
            kenmen_pin: "5678".into(),
            biometric_passed: false,
        }
    }

    /// A card as issued by the test JPKI: both certificates and RSA-2048 keys, the holder's
    /// 券面事項, PINs.
    pub fn issued(
        form: FormFactor,
        holder: Holder,
        certs: oqs_certs::jpki::CardCertificates,
        auth_pin: &str,
    ) -> Self {
        Self {
            form,
            holder,
            auth_cert: certs.auth_cert,
            auth_ca: certs.auth_ca,
            auth_key: certs.auth_key,
            sign_cert: certs.sign_cert,
            sign_ca: certs.sign_ca,
            sign_key: certs.sign_key,
            auth_pin: auth_pin.into(),
            sign_pin: "ABC123".into(),
            kenmen_pin: auth_pin.into(),
            biometric_passed: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Df {
    Jpki,
    KenmenHojo,
    Kenmen,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PinId {
    Auth,
    Sign,
    Kenmen,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ef {
    Token,
    AuthCert,
    AuthCa,
    AuthKey,
    SignCert,
    SignCa,
    SignKey,
    Pin(PinId),
    MyNumber,
    Basic4,
}

fn ef_of(df: Df, fid: [u8; 2]) -> Option<Ef> {
    Some(match (df, fid) {
        (Df::Jpki, [0x00, 0x06]) => Ef::Token,
        (Df::Jpki, [0x00, 0x0A]) => Ef::AuthCert,
        (Df::Jpki, [0x00, 0x0B]) => Ef::AuthCa,
        (Df::Jpki, [0x00, 0x17]) => Ef::AuthKey,
        (Df::Jpki, [0x00, 0x18]) => Ef::Pin(PinId::Auth),
        (Df::Jpki, [0x00, 0x01]) => Ef::SignCert,
        (Df::Jpki, [0x00, 0x02]) => Ef::SignCa,
        (Df::Jpki, [0x00, 0x1A]) => Ef::SignKey,
        (Df::Jpki, [0x00, 0x1B]) => Ef::Pin(PinId::Sign),
        (Df::KenmenHojo, [0x00, 0x11]) => Ef::Pin(PinId::Kenmen),
        (Df::KenmenHojo, [0x00, 0x01]) => Ef::MyNumber,
        (Df::KenmenHojo, [0x00, 0x02]) => Ef::Basic4,
        _ => return None,
    })
}

/// A PIN and its retry counter.
#[derive(Clone, Debug)]
struct Pin {
    value: String,
    max: u8,
    left: u8,
}

impl Pin {
    fn new(value: &str, max: u8) -> Self {
        Self {
            value: value.into(),
            max,
            left: max,
        }
    }
}

/// The card: contents plus what survives a reset (retry counters) and what does not
/// (selection and security status).
pub struct MyNumberCard {
    contents: CardContents,
    auth: Pin,
    sign: Pin,
    kenmen: Pin,
    df: Option<Df>,
    ef: Option<Ef>,
    verified: Vec<PinId>,
}

impl MyNumberCard {
    pub fn new(contents: CardContents) -> Self {
        Self {
            auth: Pin::new(&contents.auth_pin, 3),
            sign: Pin::new(&contents.sign_pin.to_ascii_uppercase(), 5),
            kenmen: Pin::new(&contents.kenmen_pin, 3),
            contents,
            df: None,
            ef: None,
            verified: Vec::new(),
        }
    }

    pub fn contents(&self) -> &CardContents {
        &self.contents
    }

    /// Power-on reset: nothing selected, no PIN verified. Retry counters stay.
    pub fn reset(&mut self) {
        self.df = None;
        self.ef = None;
        self.verified.clear();
    }

    /// iPhone: the holder passed (or not) the phone's biometrics before holding it up.
    pub fn set_biometric_passed(&mut self, passed: bool) {
        self.contents.biometric_passed = passed;
    }

    /// Tries left of the authentication PIN (what VERIFY without data tells).
    pub fn auth_pin_tries_left(&self) -> u8 {
        self.auth.left
    }

    fn pin(&mut self, id: PinId) -> &mut Pin {
        match id {
            PinId::Auth => &mut self.auth,
            PinId::Sign => &mut self.sign,
            PinId::Kenmen => &mut self.kenmen,
        }
    }

    /// One command APDU in, its response (data + status word) out. Never panics on input.
    pub fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        let cmd = match Command::parse(apdu) {
            Ok(c) => c,
            Err(s) => return response(&[], s),
        };
        let (data, status) = match (cmd.cla, cmd.ins) {
            (0x00, 0xA4) => (Vec::new(), self.select(&cmd)),
            (0x00, 0xB0) => self.read_binary(&cmd),
            (0x00, 0x20) => (Vec::new(), self.verify(&cmd)),
            (0x80, 0x2A) => self.sign(&cmd),
            (0x00 | 0x80, _) => (Vec::new(), sw::INS_NOT_SUPPORTED),
            _ => (Vec::new(), sw::CLA_NOT_SUPPORTED),
        };
        response(&data, status)
    }

    fn select(&mut self, c: &Command) -> u16 {
        match (c.p1, c.p2) {
            // SELECT DF by AID
            (0x04, 0x0C) => {
                let df = match c.data.as_slice() {
                    d if d == JPKI_AP => Df::Jpki,
                    d if d == KENMEN_HOJO_AP => Df::KenmenHojo,
                    d if d == KENMEN_AP => Df::Kenmen,
                    _ => return sw::FILE_NOT_FOUND,
                };
                // a new selection ends the security status of the previous one
                self.df = Some(df);
                self.ef = None;
                self.verified.clear();
                sw::OK
            }
            // SELECT EF by file identifier
            (0x02, 0x0C) => {
                let Ok(fid) = <[u8; 2]>::try_from(c.data.as_slice()) else {
                    return sw::WRONG_LENGTH;
                };
                match self.df.and_then(|df| ef_of(df, fid)) {
                    Some(ef) => {
                        self.ef = Some(ef);
                        sw::OK
                    }
                    None => sw::FILE_NOT_FOUND,
                }
            }
            _ => sw::WRONG_P1P2,
        }
    }

    fn file(&self, ef: Ef) -> Result<Vec<u8>, u16> {
        let c = &self.contents;
        let need = |id: PinId| {
            if self.verified.contains(&id) {
                Ok(())
            } else {
                Err(sw::SECURITY_NOT_SATISFIED)
            }
        };
        Ok(match ef {
            Ef::Token => c.form.token().to_vec(),
            Ef::AuthCert => c.auth_cert.clone(),
            Ef::AuthCa => c.auth_ca.clone(),
            Ef::SignCert => {
                need(PinId::Sign)?;
                c.sign_cert.clone()
            }
            Ef::SignCa => c.sign_ca.clone(),
            Ef::MyNumber => {
                need(PinId::Kenmen)?;
                let mut v = vec![0xFF, 0x10, 0x0C];
                v.extend_from_slice(c.holder.my_number.as_bytes());
                v
            }
            Ef::Basic4 => {
                need(PinId::Kenmen)?;
                basic4(&c.holder)
            }
            Ef::AuthKey | Ef::SignKey => return Err(sw::SECURITY_NOT_SATISFIED),
            Ef::Pin(_) => return Err(sw::INCOMPATIBLE_FILE),
        })
    }

    fn read_binary(&mut self, c: &Command) -> (Vec<u8>, u16) {
        if c.p1 & 0x80 != 0 {
            // short EF identifiers are not offered
            return (Vec::new(), sw::WRONG_P1P2);
        }
        let Some(ef) = self.ef else {
            return (Vec::new(), sw::NO_CURRENT_EF);
        };
        let data = match self.file(ef) {
            Ok(d) => d,
            Err(s) => return (Vec::new(), s),
        };
        let offset = usize::from(c.p1) << 8 | usize::from(c.p2);
        if offset > data.len() {
            return (Vec::new(), sw::OFFSET_OUTSIDE);
        }
        let want = c.le.unwrap_or(256);
        let end = (offset + want).min(data.len());
        (data[offset..end].to_vec(), sw::OK)
    }

    fn verify(&mut self, c: &Command) -> u16 {
        if c.p1 != 0x00 || c.p2 != 0x80 {
            return sw::WRONG_P1P2;
        }
        let Some(Ef::Pin(id)) = self.ef else {
            return sw::NO_CURRENT_EF;
        };
        let pin = self.pin(id);
        if pin.left == 0 {
            return sw::BLOCKED;
        }
        if c.data.is_empty() {
            return sw::tries_left(pin.left);
        }
        let given = match id {
            PinId::Sign => String::from_utf8_lossy(&c.data).to_ascii_uppercase(),
            _ => String::from_utf8_lossy(&c.data).into_owned(),
        };
        if given == pin.value {
            pin.left = pin.max;
            if !self.verified.contains(&id) {
                self.verified.push(id);
            }
            sw::OK
        } else {
            pin.left -= 1;
            let left = pin.left;
            self.verified.retain(|v| *v != id);
            if left == 0 {
                sw::BLOCKED
            } else {
                sw::tries_left(left)
            }
        }
    }

    fn sign(&mut self, c: &Command) -> (Vec<u8>, u16) {
        if c.p1 != 0x00 || c.p2 != 0x80 {
            return (Vec::new(), sw::WRONG_P1P2);
        }
        let (key, pin) = match self.ef {
            Some(Ef::AuthKey) => (self.contents.auth_key.clone(), PinId::Auth),
            Some(Ef::SignKey) => (self.contents.sign_key.clone(), PinId::Sign),
            Some(_) => return (Vec::new(), sw::INCOMPATIBLE_FILE),
            None => return (Vec::new(), sw::NO_CURRENT_EF),
        };
        let by_biometrics = pin == PinId::Auth
            && self.contents.form == FormFactor::IPhone
            && self.contents.biometric_passed;
        if !self.verified.contains(&pin) && !by_biometrics {
            return (Vec::new(), sw::SECURITY_NOT_SATISFIED);
        }
        if c.data.is_empty() {
            return (Vec::new(), sw::WRONG_LENGTH);
        }
        match key.sign_digest_info(&c.data) {
            Some(sig) => (sig, sw::OK),
            None => (Vec::new(), sw::WRONG_DATA),
        }
    }
}

/// BER length: short form below 128, else `81 xx` or `82 xxxx`.
fn ber_len(n: usize, out: &mut Vec<u8>) {
    match n {
        0..0x80 => out.push(n as u8),
        0x80..0x100 => out.extend_from_slice(&[0x81, n as u8]),
        _ => {
            out.push(0x82);
            out.extend_from_slice(&(n.min(0xFFFF) as u16).to_be_bytes());
        }
    }
}

fn tlv(tag: [u8; 2], value: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&tag);
    ber_len(value.len(), out);
    out.extend_from_slice(value);
}

/// The basic 4 items EF (kit layout, see the module docs).
fn basic4(h: &Holder) -> Vec<u8> {
    let mut body = Vec::new();
    tlv([0xDF, 0x22], h.name.as_bytes(), &mut body);
    tlv([0xDF, 0x23], h.address.as_bytes(), &mut body);
    tlv([0xDF, 0x24], h.birthdate.as_bytes(), &mut body);
    tlv([0xDF, 0x25], h.sex.as_bytes(), &mut body);
    let mut out = vec![0xFF, 0x20];
    ber_len(body.len(), &mut out);
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A stand-in key for the state machine's tests: the RSA key arrives with the test JPKI CA.
    struct EchoKey(u8);
    impl CardKey for EchoKey {
        fn sign_digest_info(&self, d: &[u8]) -> Option<Vec<u8>> {
            Some(d.iter().map(|b| b ^ self.0).collect())
        }
    }

    fn card(form: FormFactor) -> MyNumberCard {
        MyNumberCard::new(CardContents {
            form,
            holder: Holder {
                my_number: "123456789018".into(),
                name: "山田　太郎".into(),
                address: "東京都千代田区霞が関１－２－２".into(),
                birthdate: "19800101".into(),
                sex: "1".into(),
            },
            auth_cert: vec![0x30, 0x82, 0x01, 0x00]
                .into_iter()
                .chain(vec![7; 256])
                .collect(),
            auth_ca: vec![0x30, 0x03, 1, 2, 3],
            auth_key: Arc::new(EchoKey(0x55)),
            sign_cert: vec![0x30, 0x02, 9, 9],
            sign_ca: vec![0x30, 0x01, 8],
            sign_key: Arc::new(EchoKey(0xAA)),
            auth_pin: "1234".into(),
            sign_pin: "abc123".into(),
            kenmen_pin: "5678".into(),
            biometric_passed: false,
        })
    }

    fn select_df(aid: &[u8]) -> Vec<u8> {
        [&[0x00, 0xA4, 0x04, 0x0C, aid.len() as u8][..], aid].concat()
    }
    fn select_ef(fid: [u8; 2]) -> Vec<u8> {
        vec![0x00, 0xA4, 0x02, 0x0C, 0x02, fid[0], fid[1]]
    }
    fn verify(pin: &[u8]) -> Vec<u8> {
        [&[0x00, 0x20, 0x00, 0x80, pin.len() as u8][..], pin].concat()
    }
    fn sw_of(r: &[u8]) -> u16 {
        u16::from_be_bytes([r[r.len() - 2], r[r.len() - 1]])
    }

    #[test]
    fn my_numbers_carry_their_check_digit() {
        // the example of the ordinance's explanation: 12345678901 → check digit 8
        assert_eq!(my_number(12_345_678_901), "123456789018");
        assert_eq!(my_number(0).len(), 12);
    }

    #[test]
    fn iphone_biometrics_stand_in_for_the_auth_pin_only_on_iphones() {
        for (form, ok) in [(FormFactor::IPhone, true), (FormFactor::Android, false)] {
            let mut c = card(form);
            c.contents.biometric_passed = true;
            c.process(&select_df(&JPKI_AP));
            c.process(&select_ef([0, 0x17]));
            let r = c.process(&[0x80, 0x2A, 0x00, 0x80, 2, 0x30, 0x00, 0]);
            assert_eq!(sw_of(&r) == sw::OK, ok, "{form:?}");
        }
    }

    #[test]
    fn token_tells_card_from_smartphones() {
        for (form, token) in [
            (FormFactor::Card, "JPKIAPICCTOKEN2"),
            (FormFactor::Android, "JPKIAPGPSETOKEN"),
            (FormFactor::IPhone, "JPKIAPIOSTOKEN"),
        ] {
            let mut c = card(form);
            assert_eq!(sw_of(&c.process(&select_df(&JPKI_AP))), sw::OK);
            assert_eq!(sw_of(&c.process(&select_ef([0, 6]))), sw::OK);
            let r = c.process(&[0x00, 0xB0, 0, 0, 0x20]);
            assert_eq!(sw_of(&r), sw::OK);
            assert_eq!(String::from_utf8_lossy(&r[..32]).trim_end(), token);
        }
    }

    #[test]
    fn certificate_is_read_in_chunks_and_signing_needs_the_pin() {
        let mut c = card(FormFactor::Card);
        c.process(&select_df(&JPKI_AP));
        c.process(&select_ef([0, 0x0A]));
        let head = c.process(&[0x00, 0xB0, 0, 0, 4]);
        assert_eq!(&head[..4], &[0x30, 0x82, 0x01, 0x00]);
        let len = 4 + 0x100;
        let mut der = Vec::new();
        while der.len() < len {
            let off = der.len();
            let r = c.process(&[0x00, 0xB0, (off >> 8) as u8, off as u8, 0]);
            assert_eq!(sw_of(&r), sw::OK);
            der.extend_from_slice(&r[..r.len() - 2]);
        }
        assert_eq!(der, c.contents().auth_cert);
        // sign before VERIFY: refused; after: signed by the auth key
        c.process(&select_ef([0, 0x17]));
        let di = [0x30, 0x31, 1, 2, 3];
        let sign = [&[0x80, 0x2A, 0x00, 0x80, di.len() as u8][..], &di, &[0]].concat();
        assert_eq!(sw_of(&c.process(&sign)), sw::SECURITY_NOT_SATISFIED);
        c.process(&select_ef([0, 0x18]));
        assert_eq!(sw_of(&c.process(&verify(b"1234"))), sw::OK);
        c.process(&select_ef([0, 0x17]));
        let r = c.process(&sign);
        assert_eq!(sw_of(&r), sw::OK);
        assert_eq!(
            &r[..5],
            &[0x30 ^ 0x55, 0x31 ^ 0x55, 1 ^ 0x55, 2 ^ 0x55, 3 ^ 0x55]
        );
        // security status ends with a re-select and with a reset
        c.process(&select_df(&JPKI_AP));
        c.process(&select_ef([0, 0x17]));
        assert_eq!(sw_of(&c.process(&sign)), sw::SECURITY_NOT_SATISFIED);
        c.process(&select_ef([0, 0x18]));
        assert_eq!(sw_of(&c.process(&verify(b"1234"))), sw::OK);
        c.reset();
        assert_eq!(sw_of(&c.process(&sign)), sw::NO_CURRENT_EF);
        c.process(&select_df(&JPKI_AP));
        c.process(&select_ef([0, 0x17]));
        assert_eq!(sw_of(&c.process(&sign)), sw::SECURITY_NOT_SATISFIED);
    }

    #[test]
    fn wrong_pins_count_down_to_a_block_that_survives_reset() {
        let mut c = card(FormFactor::Card);
        c.process(&select_df(&JPKI_AP));
        c.process(&select_ef([0, 0x18]));
        assert_eq!(sw_of(&c.process(&verify(b""))), 0x63C3);
        assert_eq!(sw_of(&c.process(&verify(b"0000"))), 0x63C2);
        assert_eq!(sw_of(&c.process(&verify(b"0000"))), 0x63C1);
        // the right PIN restores the counter
        assert_eq!(sw_of(&c.process(&verify(b"1234"))), sw::OK);
        assert_eq!(sw_of(&c.process(&verify(b""))), 0x63C3);
        for expect in [0x63C2, 0x63C1, sw::BLOCKED] {
            assert_eq!(sw_of(&c.process(&verify(b"9999"))), expect);
        }
        c.reset();
        c.process(&select_df(&JPKI_AP));
        c.process(&select_ef([0, 0x18]));
        assert_eq!(sw_of(&c.process(&verify(b"1234"))), sw::BLOCKED);
        assert_eq!(sw_of(&c.process(&verify(b""))), sw::BLOCKED);
        assert_eq!(c.auth_pin_tries_left(), 0);
        // the signing PIN has 5 tries and ignores case
        c.process(&select_ef([0, 0x1B]));
        assert_eq!(sw_of(&c.process(&verify(b""))), 0x63C5);
        assert_eq!(sw_of(&c.process(&verify(b"ABC123"))), sw::OK);
    }

    #[test]
    fn my_number_and_basic_four_are_behind_the_kenmen_pin() {
        let mut c = card(FormFactor::Card);
        c.process(&select_df(&KENMEN_HOJO_AP));
        c.process(&select_ef([0, 0x01]));
        assert_eq!(
            sw_of(&c.process(&[0, 0xB0, 0, 0, 0])),
            sw::SECURITY_NOT_SATISFIED
        );
        c.process(&select_ef([0, 0x11]));
        assert_eq!(sw_of(&c.process(&verify(b"5678"))), sw::OK);
        c.process(&select_ef([0, 0x01]));
        let r = c.process(&[0, 0xB0, 0, 0, 0]);
        assert_eq!(&r[3..15], b"123456789018");
        c.process(&select_ef([0, 0x02]));
        let r = c.process(&[0, 0xB0, 0, 0, 0]);
        assert_eq!(sw_of(&r), sw::OK);
        let text = String::from_utf8_lossy(&r);
        assert!(text.contains("山田　太郎") && text.contains("19800101"));
        // JPKI files are not in this AP
        assert_eq!(sw_of(&c.process(&select_ef([0, 0x0A]))), sw::FILE_NOT_FOUND);
    }

    #[test]
    fn commands_out_of_place_get_iso_status_words() {
        let mut c = card(FormFactor::Card);
        assert_eq!(sw_of(&c.process(&[0, 0xB0, 0, 0, 0])), sw::NO_CURRENT_EF);
        assert_eq!(sw_of(&c.process(&select_ef([0, 6]))), sw::FILE_NOT_FOUND);
        assert_eq!(
            sw_of(&c.process(&select_df(&[1, 2, 3]))),
            sw::FILE_NOT_FOUND
        );
        c.process(&select_df(&JPKI_AP));
        c.process(&select_ef([0, 0x17]));
        assert_eq!(
            sw_of(&c.process(&[0, 0xB0, 0, 0, 0])),
            sw::SECURITY_NOT_SATISFIED
        );
        c.process(&select_ef([0, 0x06]));
        assert_eq!(
            sw_of(&c.process(&[0, 0xB0, 0x10, 0, 1])),
            sw::OFFSET_OUTSIDE
        );
        assert_eq!(sw_of(&c.process(&verify(b"1234"))), sw::NO_CURRENT_EF);
        assert_eq!(
            sw_of(&c.process(&[0, 0xCA, 0, 0, 0])),
            sw::INS_NOT_SUPPORTED
        );
        assert_eq!(
            sw_of(&c.process(&[0xFF, 0xA4, 0, 0])),
            sw::CLA_NOT_SUPPORTED
        );
        assert_eq!(sw_of(&c.process(&[0])), sw::WRONG_LENGTH);
    }

    proptest! {
        /// Any bytes, in any order: a response with a status word, never a panic.
        #[test]
        fn malformed_apdus_never_panic(cmds in proptest::collection::vec(
            proptest::collection::vec(any::<u8>(), 0..40), 1..20)
        ) {
            let mut c = card(FormFactor::Android);
            for cmd in cmds {
                let r = c.process(&cmd);
                prop_assert!(r.len() >= 2);
            }
        }
    }
}
