//! マイナンバーカード as a sans-I/O APDU state machine [INTERFACES §3]: JPKI-AP with its token,
//! certificates, keys and PINs; 券面入力補助AP with the My Number and the basic 4 items behind
//! the PIN or 照合番号A/B; 券面AP with the card's face (photo included) behind 照合番号A/B.
//! Bytes in, bytes out: the in-process and vpcd transports only carry them.
//!
//! The files' layouts are [`oqs_proto::reader::kenmen`]'s, as real cards hold them. How the card
//! answers is what public clients were written against (OpenSC's jpki driver, jpki/myna,
//! jpki-rs, myna-card with traces of J-LIS test cards):
//! - VERIFY without data tells the tries left as `63 Cx`, also right after a correct PIN and
//!   when the key is blocked (`63 C0`); it never consumes a try. The wrong PIN that uses up the
//!   last try answers `63 C0`, every VERIFY after that `69 84`. OpenSC asks both JPKI PINs'
//!   status while binding and refuses the card ("Unsupported card") on anything but `63 xx`.
//! - READ BINARY returns at most what is left of the file with `90 00`; short and extended Le,
//!   and the short-EF-identifier form (`P1 = 80|SFI`); VERIFY also takes `P2 = 80|SFI`.
//! - Kit choices (\[K\]): tries of 照合番号A/B and of the birth-date key (not public): 10; the
//!   photo is a PNG (real cards hold JPEG 2000, for which no maintained pure-Rust encoder
//!   exists); the text images are test glyphs; the card's own 券面 key is its authentication
//!   key pair; the test J-LIS signs card faces with the test JPKI CA's key. Files the kit does
//!   not hold: the CV certificates (EF `0004` of both APs), the integrity record and the other
//!   files of 券面入力補助AP (`0003`, `0005`–`0007`), and 券面AP's age record (`0001`, the file
//!   its birth-date key `0011` opens: the key is there and opens nothing), `0003` and `0006`.

use super::apdu::{Command, response, sw};
use std::sync::Arc;

use super::face::{Face, Gray};
pub use oqs_proto::reader::FormFactor;
pub use oqs_proto::reader::jpki::{JPKI_AP, KENMEN_AP, KENMEN_HOJO_AP};
use oqs_proto::reader::kenmen::{self, Basic4};

/// Signs a DigestInfo with the card's private key (RSA-2048, PKCS#1 v1.5, no further hashing).
pub trait CardKey: Send + Sync {
    fn sign_digest_info(&self, digest_info: &[u8]) -> Option<Vec<u8>>;
    /// (exponent, modulus) of the public key, when there is one.
    fn public_parts(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        None
    }
}

impl CardKey for oqs_certs::jpki::RsaKey {
    fn sign_digest_info(&self, digest_info: &[u8]) -> Option<Vec<u8>> {
        oqs_certs::jpki::RsaKey::sign_digest_info(self, digest_info)
    }
    fn public_parts(&self) -> Option<(Vec<u8>, Vec<u8>)> {
        Some(oqs_certs::jpki::RsaKey::public_parts(self))
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
    /// As the insurance records code it: 1 male, 2 female, 3 unset (the card writes ISO 5218,
    /// see [`kenmen::iso5218`]).
    pub sex: String,
}

/// What the card's face shows besides the 4 items, and whose face is on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Surface {
    /// 有効期限 yyyyMMdd
    pub expiry: String,
    /// セキュリティコード: 4 digits printed on the face
    pub security_code: String,
    /// Whose photo the card carries: the seed of the holder's [`Face`] (test data).
    pub face_seed: u64,
}

impl Surface {
    /// 照合番号B as a face reader reads it off the printed face.
    pub fn code_b(&self, birthdate: &str) -> Option<String> {
        kenmen::code_b(birthdate, &self.expiry, &self.security_code)
    }
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
    pub surface: Surface,
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
            surface: Surface {
                expiry: "20350101".into(),
                security_code: "2285".into(),
                face_seed: 0,
            },
            biometric_passed: false,
        }
    }

    /// A card as issued by the test JPKI: both certificates and RSA-2048 keys, the holder's
    /// 券面事項, PINs.
    pub fn issued(
        form: FormFactor,
        holder: Holder,
        surface: Surface,
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
            surface,
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

/// The card's keys (PINs and 照合番号), one retry counter each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    /// JPKI-AP: 利用者証明用 PIN (4 digits)
    Auth,
    /// JPKI-AP: 署名用パスワード
    Sign,
    /// 券面入力補助AP: the 4-digit PIN
    HojoPin,
    /// 券面入力補助AP: 照合番号A (My Number)
    HojoA,
    /// 券面入力補助AP: 照合番号B
    HojoB,
    /// 券面入力補助AP `0012`: blocked as issued
    HojoBlocked,
    /// 券面AP: the birth date (era YYMMDD)
    SurfaceBirth,
    /// 券面AP: 照合番号A
    SurfaceA,
    /// 券面AP: 照合番号B
    SurfaceB,
}

const KEYS: usize = 9;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ef {
    Token,
    AuthCert,
    AuthCa,
    AuthKey,
    SignCert,
    SignCa,
    SignKey,
    Key(Key),
    MyNumber,
    Basic4,
    Face,
    MyNumberImage,
}

fn ef_of(df: Df, fid: [u8; 2]) -> Option<Ef> {
    use oqs_proto::reader::jpki::*;
    use oqs_proto::reader::kenmen::*;
    Some(match (df, fid) {
        (Df::Jpki, EF_TOKEN) => Ef::Token,
        (Df::Jpki, EF_AUTH_CERT) => Ef::AuthCert,
        (Df::Jpki, EF_AUTH_CA) => Ef::AuthCa,
        (Df::Jpki, EF_AUTH_KEY) => Ef::AuthKey,
        (Df::Jpki, EF_AUTH_PIN) => Ef::Key(Key::Auth),
        (Df::Jpki, EF_SIGN_CERT) => Ef::SignCert,
        (Df::Jpki, EF_SIGN_CA) => Ef::SignCa,
        (Df::Jpki, EF_SIGN_KEY) => Ef::SignKey,
        (Df::Jpki, EF_SIGN_PIN) => Ef::Key(Key::Sign),
        (Df::KenmenHojo, HOJO_KEY_PIN) => Ef::Key(Key::HojoPin),
        (Df::KenmenHojo, HOJO_KEY_A) => Ef::Key(Key::HojoA),
        (Df::KenmenHojo, HOJO_KEY_B) => Ef::Key(Key::HojoB),
        (Df::KenmenHojo, HOJO_KEY_BLOCKED) => Ef::Key(Key::HojoBlocked),
        (Df::KenmenHojo, HOJO_EF_MY_NUMBER) => Ef::MyNumber,
        (Df::KenmenHojo, HOJO_EF_BASIC4) => Ef::Basic4,
        (Df::Kenmen, SURFACE_KEY_BIRTH) => Ef::Key(Key::SurfaceBirth),
        (Df::Kenmen, SURFACE_KEY_A) => Ef::Key(Key::SurfaceA),
        (Df::Kenmen, SURFACE_KEY_B) => Ef::Key(Key::SurfaceB),
        (Df::Kenmen, SURFACE_EF_FACE) => Ef::Face,
        (Df::Kenmen, SURFACE_EF_MY_NUMBER) => Ef::MyNumberImage,
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

/// The 券面入力補助AP files and the token, made when the card is issued.
struct Files {
    token: Vec<u8>,
    my_number: Vec<u8>,
    basic4: Vec<u8>,
}

impl Files {
    fn new(c: &CardContents) -> Self {
        let h = &c.holder;
        Self {
            token: c.form.token().to_vec(),
            my_number: kenmen::my_number_file(&h.my_number),
            basic4: Basic4 {
                name: h.name.clone(),
                address: h.address.clone(),
                birth: h.birthdate.clone(),
                sex: kenmen::iso5218(&h.sex).into(),
            }
            .to_file(),
        }
    }
}

/// The 券面AP files: made the first time one is read (a photo, images and two RSA signatures
/// cost milliseconds, and most cards are never read there), then kept.
struct SurfaceFiles {
    face: Vec<u8>,
    my_number_image: Vec<u8>,
}

impl SurfaceFiles {
    fn new(c: &CardContents) -> Self {
        let h = &c.holder;
        let sha = |b: &[u8]| ring::digest::digest(&ring::digest::SHA256, b);
        // the test J-LIS signs the card's face
        let issuer = oqs_certs::jpki::RsaKey::pool(0);
        let sign = |content: &[u8]| {
            issuer
                .sign_digest_info(&oqs_certs::jpki::sha256_digest_info(content))
                .unwrap_or_default()
        };
        let public_key = c
            .auth_key
            .public_parts()
            .map(|(e, n)| kenmen::public_key(&e, &n))
            .unwrap_or_default();
        let mut face = kenmen::Face {
            birth: h.birthdate.clone(),
            sex: kenmen::iso5218(&h.sex).into(),
            public_key: public_key.clone(),
            name_image: Gray::text(&h.name).to_png(true),
            address_image: Gray::text(&h.address).to_png(true),
            photo: Face::of(c.surface.face_seed).photo().to_png(false),
            signature: Vec::new(),
            expiry: c.surface.expiry.clone(),
            security_code_image: Gray::text(&c.surface.security_code).to_png(true),
        };
        let digests: Vec<u8> = face
            .signed_parts()
            .iter()
            .flat_map(|p| sha(p).as_ref().to_vec())
            .collect();
        face.signature = sign(&digests);
        let image = Gray::text(&h.my_number).to_png(true);
        let mut image_tlv = Vec::new();
        kenmen::tlv(&[0xDF, 0x41], &image, &mut image_tlv);
        Self {
            face: face.to_file(),
            my_number_image: kenmen::my_number_image_file(&image, &public_key, &sign(&image_tlv)),
        }
    }
}

/// What a reset ends: the selection and the keys verified.
#[derive(Clone, Debug)]
pub struct Session {
    df: Option<Df>,
    ef: Option<Ef>,
    verified: Vec<Key>,
}

/// The card: contents plus what survives a reset (retry counters) and what does not
/// (selection and security status).
pub struct MyNumberCard {
    contents: CardContents,
    files: Files,
    surface_files: std::sync::OnceLock<SurfaceFiles>,
    pins: [Pin; KEYS],
    df: Option<Df>,
    ef: Option<Ef>,
    verified: Vec<Key>,
}

impl MyNumberCard {
    pub fn new(contents: CardContents) -> Self {
        let h = &contents.holder;
        let code_b = contents.surface.code_b(&h.birthdate).unwrap_or_default();
        let era_birth = kenmen::era_yymmdd(&h.birthdate).unwrap_or_default();
        // in the order of `Key`
        let pins = [
            Pin::new(&contents.auth_pin, 3),
            Pin::new(&contents.sign_pin.to_ascii_uppercase(), 5),
            Pin::new(&contents.kenmen_pin, 3),
            Pin::new(&h.my_number, 10),
            Pin::new(&code_b, 10),
            Pin {
                value: String::new(),
                max: 0,
                left: 0,
            },
            Pin::new(&era_birth, 10),
            Pin::new(&h.my_number, 10),
            Pin::new(&code_b, 10),
        ];
        Self {
            files: Files::new(&contents),
            surface_files: std::sync::OnceLock::new(),
            pins,
            contents,
            df: None,
            ef: None,
            verified: Vec::new(),
        }
    }

    pub fn contents(&self) -> &CardContents {
        &self.contents
    }

    /// The selection and security status, to put back after another party's exchange.
    pub fn session(&self) -> Session {
        Session {
            df: self.df,
            ef: self.ef,
            verified: self.verified.clone(),
        }
    }

    pub fn restore(&mut self, s: Session) {
        self.df = s.df;
        self.ef = s.ef;
        self.verified = s.verified;
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
        self.pins[Key::Auth as usize].left
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

    fn surface(&self) -> &SurfaceFiles {
        self.surface_files
            .get_or_init(|| SurfaceFiles::new(&self.contents))
    }

    /// The file `ef` names by a short identifier (`P1 = 80|SFI` of READ BINARY, `P2 = 80|SFI`
    /// of VERIFY): its file identifier is `00 SFI` in the selected DF.
    fn by_sfi(&self, sfi: u8) -> Option<Ef> {
        self.df.and_then(|df| ef_of(df, [0x00, sfi & 0x1F]))
    }

    fn file(&self, ef: Ef) -> Result<&[u8], u16> {
        let c = &self.contents;
        let need = |keys: &[Key]| {
            if keys.iter().any(|k| self.verified.contains(k)) {
                Ok(())
            } else {
                Err(sw::SECURITY_NOT_SATISFIED)
            }
        };
        Ok(match ef {
            Ef::Token => &self.files.token,
            Ef::AuthCert => &c.auth_cert,
            Ef::AuthCa => &c.auth_ca,
            Ef::SignCert => {
                need(&[Key::Sign])?;
                &c.sign_cert
            }
            Ef::SignCa => &c.sign_ca,
            Ef::MyNumber => {
                need(&[Key::HojoPin, Key::HojoA])?;
                &self.files.my_number
            }
            Ef::Basic4 => {
                need(&[Key::HojoPin, Key::HojoB])?;
                &self.files.basic4
            }
            Ef::Face => {
                need(&[Key::SurfaceA, Key::SurfaceB])?;
                &self.surface().face
            }
            Ef::MyNumberImage => {
                need(&[Key::SurfaceA])?;
                &self.surface().my_number_image
            }
            Ef::AuthKey | Ef::SignKey => return Err(sw::SECURITY_NOT_SATISFIED),
            Ef::Key(_) => return Err(sw::INCOMPATIBLE_FILE),
        })
    }

    fn read_binary(&mut self, c: &Command) -> (Vec<u8>, u16) {
        let (ef, offset) = if c.p1 & 0x80 != 0 {
            // short EF identifier in P1 (100xxxxx), an 8-bit offset in P2; the file becomes
            // the current one
            if c.p1 & 0xE0 != 0x80 {
                return (Vec::new(), sw::WRONG_P1P2);
            }
            match self.by_sfi(c.p1) {
                Some(ef) => {
                    self.ef = Some(ef);
                    (ef, usize::from(c.p2))
                }
                None => return (Vec::new(), sw::FILE_NOT_FOUND),
            }
        } else {
            let Some(ef) = self.ef else {
                return (Vec::new(), sw::NO_CURRENT_EF);
            };
            (ef, usize::from(c.p1) << 8 | usize::from(c.p2))
        };
        let data = match self.file(ef) {
            Ok(d) => d,
            Err(s) => return (Vec::new(), s),
        };
        if offset > data.len() {
            return (Vec::new(), sw::OFFSET_OUTSIDE);
        }
        let want = c.le.unwrap_or(256);
        let end = (offset + want).min(data.len());
        (data[offset..end].to_vec(), sw::OK)
    }

    fn verify(&mut self, c: &Command) -> u16 {
        // P2: 80 (the current key) or 100xxxxx (a key by short EF identifier)
        if c.p1 != 0x00 || c.p2 & 0xE0 != 0x80 {
            return sw::WRONG_P1P2;
        }
        let ef = if c.p2 == 0x80 {
            self.ef
        } else {
            self.by_sfi(c.p2)
        };
        let Some(Ef::Key(key)) = ef else {
            return sw::NO_CURRENT_EF;
        };
        let pin = &mut self.pins[key as usize];
        // the status query: never consumes a try, 63C0 once blocked
        if c.data.is_empty() {
            return sw::tries_left(pin.left);
        }
        if pin.left == 0 {
            return sw::BLOCKED;
        }
        let given = match key {
            Key::Sign => String::from_utf8_lossy(&c.data).to_ascii_uppercase(),
            _ => String::from_utf8_lossy(&c.data).into_owned(),
        };
        if given == pin.value {
            pin.left = pin.max;
            if !self.verified.contains(&key) {
                self.verified.push(key);
            }
            sw::OK
        } else {
            pin.left -= 1;
            let left = pin.left;
            self.verified.retain(|v| *v != key);
            // the try that blocks the key answers 63C0 like any wrong PIN
            sw::tries_left(left)
        }
    }

    fn sign(&mut self, c: &Command) -> (Vec<u8>, u16) {
        if c.p1 != 0x00 || c.p2 != 0x80 {
            return (Vec::new(), sw::WRONG_P1P2);
        }
        let (key, pin) = match self.ef {
            Some(Ef::AuthKey) => (self.contents.auth_key.clone(), Key::Auth),
            Some(Ef::SignKey) => (self.contents.sign_key.clone(), Key::Sign),
            Some(_) => return (Vec::new(), sw::INCOMPATIBLE_FILE),
            None => return (Vec::new(), sw::NO_CURRENT_EF),
        };
        let by_biometrics = pin == Key::Auth
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
            surface: Surface {
                expiry: "20350101".into(),
                security_code: "2285".into(),
                face_seed: 7,
            },
            biometric_passed: false,
        })
    }

    fn read_all(c: &mut MyNumberCard) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let off = out.len();
            let r = c.process(&[0x00, 0xB0, (off >> 8) as u8, off as u8, 0]);
            assert_eq!(sw_of(&r), sw::OK, "at {off}");
            out.extend_from_slice(&r[..r.len() - 2]);
            if r.len() - 2 < 256 {
                return out;
            }
        }
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
        // the try that blocks answers 63C0, later ones 6984 even with the right PIN; the status
        // query keeps answering 63C0 (what OpenSC needs to bind a blocked card)
        for expect in [0x63C2, 0x63C1, 0x63C0] {
            assert_eq!(sw_of(&c.process(&verify(b"9999"))), expect);
        }
        c.reset();
        c.process(&select_df(&JPKI_AP));
        c.process(&select_ef([0, 0x18]));
        assert_eq!(sw_of(&c.process(&verify(b"1234"))), 0x6984);
        assert_eq!(sw_of(&c.process(&verify(b""))), 0x63C0);
        assert_eq!(c.auth_pin_tries_left(), 0);
        // after a correct PIN the query still answers 63Cx, never 9000
        c.process(&select_ef([0, 0x1B]));
        assert_eq!(sw_of(&c.process(&verify(b"abc123"))), sw::OK);
        assert_eq!(sw_of(&c.process(&verify(b""))), 0x63C5);
        // P2 = 80|SFI names the key without selecting it
        assert_eq!(sw_of(&c.process(&[0x00, 0x20, 0x00, 0x98])), 0x63C0);
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
        // clients read 17 bytes: the TLV and two filler bytes
        let r = c.process(&[0, 0xB0, 0, 0, 17]);
        assert_eq!(r.len(), 17 + 2);
        assert_eq!(kenmen::parse_my_number(&r[..17]).unwrap(), "123456789018");
        c.process(&select_ef([0, 0x02]));
        let b = Basic4::parse(&read_all(&mut c)).unwrap();
        assert_eq!(
            (b.name.as_str(), b.birth.as_str(), b.sex.as_str()),
            ("山田　太郎", "19800101", "1")
        );
        // JPKI files are not in this AP
        assert_eq!(sw_of(&c.process(&select_ef([0, 0x0A]))), sw::FILE_NOT_FOUND);
        // key 0012 is blocked as issued
        c.process(&select_ef([0, 0x12]));
        assert_eq!(sw_of(&c.process(&verify(b""))), 0x63C0);
        assert_eq!(sw_of(&c.process(&verify(b"1234"))), 0x6984);
    }

    #[test]
    fn code_a_opens_the_my_number_and_code_b_the_basic_four_only() {
        let mut c = card(FormFactor::Card);
        c.process(&select_df(&KENMEN_HOJO_AP));
        c.process(&select_ef([0, 0x14]));
        assert_eq!(sw_of(&c.process(&verify(b"123456789018"))), sw::OK);
        c.process(&select_ef([0, 0x02]));
        assert_eq!(
            sw_of(&c.process(&[0, 0xB0, 0, 0, 0])),
            sw::SECURITY_NOT_SATISFIED
        );
        // 照合番号B: 昭和55年1月1日, 2035, 2285; READ BINARY by SFI and extended Le
        c.process(&select_df(&KENMEN_HOJO_AP));
        c.process(&select_ef([0, 0x15]));
        assert_eq!(sw_of(&c.process(&verify(b"55010120352285"))), sw::OK);
        let r = c.process(&[0x00, 0xB0, 0x82, 0x00, 0x00, 0x00, 0x00]);
        assert_eq!(sw_of(&r), sw::OK);
        assert_eq!(Basic4::parse(&r[..r.len() - 2]).unwrap().sex, "1");
        c.process(&select_ef([0, 0x01]));
        assert_eq!(
            sw_of(&c.process(&[0, 0xB0, 0, 0, 17])),
            sw::SECURITY_NOT_SATISFIED
        );
    }

    #[test]
    fn the_surface_holds_the_face_with_a_signature_the_issuer_made() {
        let mut c = card(FormFactor::Card);
        c.process(&select_df(&KENMEN_AP));
        c.process(&select_ef([0, 0x02]));
        assert_eq!(
            sw_of(&c.process(&[0, 0xB0, 0, 0, 7])),
            sw::SECURITY_NOT_SATISFIED
        );
        // the 4-digit PIN is not a key of this AP
        assert_eq!(sw_of(&c.process(&select_ef([0, 0x14]))), sw::FILE_NOT_FOUND);
        c.process(&select_ef([0, 0x12]));
        assert_eq!(sw_of(&c.process(&verify(b"55010120352285"))), sw::OK);
        c.process(&select_ef([0, 0x02]));
        let f = kenmen::Face::parse(&read_all(&mut c)).unwrap();
        assert_eq!(
            (f.birth.as_str(), f.expiry.as_str()),
            ("19800101", "20350101")
        );
        let photo = Gray::from_png(&f.photo).unwrap();
        assert_eq!(photo, Face::of(7).photo());
        // PIN-B does not open the My Number image; PIN-A does
        c.process(&select_ef([0, 0x05]));
        assert_eq!(
            sw_of(&c.process(&[0, 0xB0, 0, 0, 0])),
            sw::SECURITY_NOT_SATISFIED
        );
        c.process(&select_ef([0, 0x13]));
        assert_eq!(sw_of(&c.process(&verify(b"123456789018"))), sw::OK);
        c.process(&select_ef([0, 0x05]));
        let img = kenmen::parse_my_number_image(&read_all(&mut c)).unwrap();
        assert_eq!(&img[1..4], b"PNG");
        // the signature: the test J-LIS key over the three parts' SHA-256 values
        let sha = |b: &[u8]| {
            ring::digest::digest(&ring::digest::SHA256, b)
                .as_ref()
                .to_vec()
        };
        let content: Vec<u8> = f.signed_parts().iter().flat_map(|p| sha(p)).collect();
        let (e, n) = oqs_certs::jpki::RsaKey::pool(0).public_parts();
        let key = ring::signature::RsaPublicKeyComponents { n: &n, e: &e };
        key.verify(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            &content,
            &f.signature,
        )
        .expect("the face's signature verifies");
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
