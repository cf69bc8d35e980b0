//! The readers on a simulated terminal: face readers (顔認証付きカードリーダー, with a camera
//! before which someone stands, see [`Camera`], and an idle screen showing the institution
//! name) and
//! generic readers (汎用カードリーダー). Cards are placed, taken away, or pulled in the middle
//! of a command. [`SimReaders`] is the in-process PC/SC the driver uses by default; the same
//! card can instead sit behind pcscd through [`super::vpcd`].

use super::face::{self, Gray, Scene, Verdict};
use super::vpcd::{Card, SharedCard};
use oqs_host::readers::{CardChannel, FaceMatch, ReaderEntry, ReaderError, ReaderKind, Readers};
use oqs_proto::reader::apdu::{Command, split_response, sw};
use oqs_proto::reader::kenmen;
use std::sync::{Arc, Mutex, MutexGuard};

/// Who stands before a face reader's camera.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Camera {
    /// The holder of the card in the reader: someone checking in with their own card.
    #[default]
    Holder,
    /// Anyone or anything else: another person, nobody, a photograph held up.
    Sees(Scene),
}

/// What a face reader decides, and why.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// The camera's picture compared with the card's photo.
    Compared(Verdict),
    /// The card's photo could not be read (not a My Number Card, 照合番号B refused).
    NoPhoto(String),
}

impl Decision {
    pub fn face_match(&self) -> FaceMatch {
        match self {
            Self::Compared(Verdict::Matched(_)) => FaceMatch::Matched,
            _ => FaceMatch::NotMatched,
        }
    }

    /// What the reader's screen says of it (\[kit\] words: the manuals give only the outcome).
    pub fn screen(&self) -> String {
        match self {
            Self::Compared(Verdict::Matched(_)) => "[kit] 顔認証に成功しました".into(),
            Self::Compared(Verdict::Different(_)) => {
                "[kit] カードの顔写真と一致しませんでした".into()
            }
            Self::Compared(Verdict::NoFace) => {
                "[kit] 顔が検出できませんでした。カメラの正面に立ってください".into()
            }
            Self::Compared(Verdict::NotLive) => "[kit] 写真や画面では顔認証できません".into(),
            Self::NoPhoto(why) => format!("[kit] カードの顔写真を読み取れません: {why}"),
        }
    }
}

/// A face reader's camera and the decisions of the device behind it (the same for a reader
/// in process and one behind pcscd): who stands before it is the person's doing
/// ([`FaceCamera::stand`]); the device decides when a driver asks.
#[derive(Default)]
pub struct FaceCamera {
    state: Mutex<CameraState>,
}

#[derive(Default)]
struct CameraState {
    camera: Camera,
    /// The card on the reader, as the device's own IC reader sees it.
    card: Option<SharedCard>,
    /// Shots taken so far (each differs a little).
    shots: u64,
    last: Option<Decision>,
}

impl FaceCamera {
    fn state(&self) -> MutexGuard<'_, CameraState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Someone (or no one, or a photograph) is before the camera from now on.
    pub fn stand(&self, camera: Camera) {
        self.state().camera = camera;
    }

    /// A card is put on the reader (`None`: taken away).
    pub fn place(&self, card: Option<SharedCard>) {
        self.state().card = card;
    }

    /// The device's decision for the card on it and who stands before the camera, kept as
    /// the last one; `None` when no card is on the reader.
    pub fn decide(&self) -> Option<Decision> {
        let (card, camera, shot) = {
            let mut s = self.state();
            s.shots += 1;
            (s.card.clone()?, s.camera.clone(), s.shots)
        };
        let d = decide(&card, &camera, shot);
        self.state().last = Some(d.clone());
        Some(d)
    }

    /// The last decision, handed over once (its screen after one face check).
    pub fn take_last(&self) -> Option<Decision> {
        self.state().last.take()
    }
}

/// A face reader's decision for `card` with `camera` before it, as the device makes it: it
/// reads 照合番号B off the card's printed face, opens the card's 券面AP with it, takes the
/// photo, and compares the camera's shot number `shot` with it ([`face::compare`]).
fn decide(card: &SharedCard, camera: &Camera, shot: u64) -> Decision {
    let mut c = card.lock().unwrap_or_else(|e| e.into_inner());
    let Some(printed) = c.printed() else {
        return Decision::NoPhoto("マイナンバーカードではありません".into());
    };
    let mut photo = Err(String::new());
    c.aside(&mut |card| photo = card_photo(card, &printed));
    let photo = match photo {
        Ok(p) => p,
        Err(why) => return Decision::NoPhoto(why),
    };
    let scene = match camera {
        Camera::Holder => Scene::Person(printed.holder_face),
        Camera::Sees(s) => s.clone(),
    };
    Decision::Compared(face::compare(&photo, &face::capture(&scene, shot)))
}

/// The photo out of the card's 券面AP, through APDUs as the device sends them.
fn card_photo(c: &mut dyn Card, printed: &super::vpcd::Printed) -> Result<Gray, String> {
    let code = kenmen::code_b(&printed.birthdate, &printed.expiry, &printed.security_code)
        .ok_or("券面の生年月日・有効期限が読み取れません")?;
    let mut send = |command: Command, step: &str| -> Result<Vec<u8>, String> {
        match split_response(c.transmit(&command.to_bytes())) {
            (data, sw::OK) => Ok(data),
            (_, status) => Err(format!("{step}: ステータス {status:04X}")),
        }
    };
    send(
        Command::select_df(&oqs_proto::reader::jpki::KENMEN_AP),
        "券面AP",
    )?;
    send(Command::select_ef(kenmen::SURFACE_KEY_B), "照合番号B")?;
    send(Command::verify(Some(code.as_bytes())), "照合番号B")?;
    send(Command::select_ef(kenmen::SURFACE_EF_FACE), "券面事項")?;
    let file = send(Command::read_binary_whole(), "券面事項")?;
    let face = kenmen::Face::parse(&file).map_err(|e| e.to_string())?;
    Gray::from_png(&face.photo).ok_or_else(|| "顔写真の画像が読めません".into())
}

struct Slot {
    plugged: bool,
    card: Option<SharedCard>,
    /// Bumped on every insert and removal: a channel opened to an earlier card is stale.
    generation: u64,
    /// The card has been powered (reset) since it was put in: a second connection shares it
    /// as it is, as PC/SC's shared mode does, without wiping a PIN verified on the first.
    powered: bool,
    /// The card goes when this many more APDUs have been answered and the next one starts.
    pull_after: Option<usize>,
    idle_screen: String,
}

/// One reader device.
pub struct SimReader {
    entry: ReaderEntry,
    slot: Mutex<Slot>,
    camera: Arc<FaceCamera>,
}

impl SimReader {
    pub fn new(kind: ReaderKind, serial: &str, name: &str) -> Arc<Self> {
        Arc::new(Self {
            entry: ReaderEntry {
                name: name.into(),
                serial: serial.into(),
                kind,
            },
            camera: Arc::default(),
            slot: Mutex::new(Slot {
                plugged: true,
                card: None,
                generation: 0,
                powered: false,
                pull_after: None,
                idle_screen: String::new(),
            }),
        })
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn entry(&self) -> &ReaderEntry {
        &self.entry
    }

    pub fn serial(&self) -> &str {
        &self.entry.serial
    }

    /// マイナンバーカードを置く (or hold a smartphone over it).
    pub fn insert(&self, card: SharedCard) {
        self.camera.place(Some(card.clone()));
        let mut s = self.slot();
        s.card = Some(card);
        s.generation += 1;
        s.pull_after = None;
        s.powered = false;
    }

    /// カードを取り外す.
    pub fn remove(&self) -> Option<SharedCard> {
        self.camera.place(None);
        let mut s = self.slot();
        s.generation += 1;
        s.card.take()
    }

    /// The card will be pulled once `n` more APDUs have been answered, as the next one arrives.
    pub fn pull_during_apdu(&self, n: usize) {
        self.slot().pull_after = Some(n);
    }

    pub fn has_card(&self) -> bool {
        self.slot().card.is_some()
    }

    /// Face readers: the camera (generic readers have one that no driver asks).
    pub fn camera(&self) -> &Arc<FaceCamera> {
        &self.camera
    }

    /// Plugs the USB cable in or out.
    pub fn set_plugged(&self, on: bool) {
        let mut s = self.slot();
        s.plugged = on;
        if !on {
            s.generation += 1;
        }
    }

    pub fn is_plugged(&self) -> bool {
        self.slot().plugged
    }

    /// The institution name on the idle screen, set in the reader's settings tool; it stays
    /// with the device across unplugging (a succession changes it by hand \[001\]).
    pub fn set_idle_screen(&self, institution_name: &str) {
        self.slot().idle_screen = institution_name.into();
    }

    /// What the idle screen shows: the institution name, or the prompt to set one.
    pub fn idle_screen(&self) -> String {
        let s = self.slot();
        if !s.plugged {
            return String::new();
        }
        if s.idle_screen.is_empty() {
            "医療機関名が設定されていません（カードリーダーの設定ツールで設定してください）".into()
        } else {
            format!("{}\nマイナンバーカードを置いてください", s.idle_screen)
        }
    }
}

struct InProcessChannel {
    reader: Arc<SimReader>,
    card: SharedCard,
    generation: u64,
    atr: Vec<u8>,
}

impl CardChannel for InProcessChannel {
    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, ReaderError> {
        {
            let mut s = self.reader.slot();
            if !s.plugged {
                return Err(ReaderError::NoReader(self.reader.entry.name.clone()));
            }
            if s.generation != self.generation || s.card.is_none() {
                return Err(ReaderError::Removed);
            }
            match s.pull_after {
                Some(0) => {
                    s.card = None;
                    s.pull_after = None;
                    s.generation += 1;
                    return Err(ReaderError::Removed);
                }
                Some(n) => s.pull_after = Some(n - 1),
                None => {}
            }
        }
        Ok(self
            .card
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .transmit(apdu))
    }
}

/// The terminal's readers, in process.
#[derive(Clone, Default)]
pub struct SimReaders {
    readers: Arc<Mutex<Vec<Arc<SimReader>>>>,
}

impl SimReaders {
    /// Connects a new reader; its PC/SC name is numbered like pcscd's.
    pub fn attach(&self, kind: ReaderKind, serial: &str) -> Arc<SimReader> {
        let mut all = self.readers.lock().unwrap_or_else(|e| e.into_inner());
        let label = match kind {
            ReaderKind::Face => "oqs-kit Face Reader",
            ReaderKind::Generic => "oqs-kit Reader",
        };
        let r = SimReader::new(kind, serial, &format!("{label} {:02} 00", all.len()));
        all.push(r.clone());
        r
    }

    pub fn by_serial(&self, serial: &str) -> Option<Arc<SimReader>> {
        self.all().into_iter().find(|r| r.serial() == serial)
    }

    pub fn all(&self) -> Vec<Arc<SimReader>> {
        self.readers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn find(&self, name: &str) -> Result<Arc<SimReader>, ReaderError> {
        self.all()
            .into_iter()
            .find(|r| r.entry.name == name && r.is_plugged())
            .ok_or_else(|| ReaderError::NoReader(name.into()))
    }
}

impl Readers for SimReaders {
    fn list(&self) -> Vec<ReaderEntry> {
        self.all()
            .into_iter()
            .filter(|r| r.is_plugged())
            .map(|r| r.entry.clone())
            .collect()
    }

    fn connect(&self, name: &str) -> Result<Box<dyn CardChannel>, ReaderError> {
        let reader = self.find(name)?;
        let (card, generation, powered) = {
            let mut s = reader.slot();
            let card = s.card.clone().ok_or(ReaderError::NoCard)?;
            let was = std::mem::replace(&mut s.powered, true);
            (card, s.generation, was)
        };
        let atr = {
            let mut c = card.lock().unwrap_or_else(|e| e.into_inner());
            // the first connection powers the card up: a fresh security status
            if !powered {
                c.reset();
            }
            c.atr()
        };
        Ok(Box::new(InProcessChannel {
            reader,
            card,
            generation,
            atr,
        }))
    }

    fn face_match(&self, name: &str) -> Result<FaceMatch, ReaderError> {
        let r = self.find(name)?;
        if r.entry.kind != ReaderKind::Face {
            return Err(ReaderError::Transport(format!(
                "「{name}」は汎用カードリーダーです。顔認証はできません"
            )));
        }
        // a card pulled mid-command is gone for the camera's device too
        if !r.has_card() {
            r.camera.place(None);
        }
        r.camera
            .decide()
            .map(|d| d.face_match())
            .ok_or(ReaderError::NoCard)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::mynumber::{CardContents, FormFactor, JPKI_AP, MyNumberCard};

    fn card() -> SharedCard {
        Arc::new(Mutex::new(MyNumberCard::new(
            CardContents::transport_sample(FormFactor::Card),
        )))
    }

    #[test]
    fn a_card_pulled_mid_command_is_reported_and_stays_out() {
        let readers = SimReaders::default();
        let r = readers.attach(ReaderKind::Generic, "G-1");
        let name = r.entry().name.clone();
        assert_eq!(readers.connect(&name).err(), Some(ReaderError::NoCard));
        r.insert(card());
        let mut ch = readers.connect(&name).unwrap();
        let select = [&[0x00, 0xA4, 0x04, 0x0C, 10][..], &JPKI_AP].concat();
        assert_eq!(ch.transmit(&select).unwrap(), vec![0x90, 0x00]);
        r.pull_during_apdu(1);
        assert!(ch.transmit(&select).is_ok());
        assert_eq!(ch.transmit(&select), Err(ReaderError::Removed));
        assert!(!r.has_card());
        assert_eq!(readers.connect(&name).err(), Some(ReaderError::NoCard));
        // a new card: the old channel stays stale, a new one works
        r.insert(card());
        assert_eq!(ch.transmit(&select), Err(ReaderError::Removed));
        assert!(readers.connect(&name).unwrap().transmit(&select).is_ok());
        // unplugged readers are not listed
        r.set_plugged(false);
        assert!(readers.list().is_empty());
        assert!(matches!(
            readers.connect(&name).err(),
            Some(ReaderError::NoReader(_))
        ));
    }

    #[test]
    fn a_second_connection_shares_the_powered_card_and_a_new_card_is_reset() {
        let readers = SimReaders::default();
        let r = readers.attach(ReaderKind::Generic, "G-2");
        let c = card();
        r.insert(c.clone());
        let name = r.entry().name.clone();
        let mut first = readers.connect(&name).unwrap();
        let select = [&[0x00, 0xA4, 0x04, 0x0C, 10][..], &JPKI_AP].concat();
        first.transmit(&select).unwrap();
        first
            .transmit(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18])
            .unwrap();
        assert_eq!(
            first.transmit(&[0x00, 0x20, 0x00, 0x80, 4, b'1', b'2', b'3', b'4']),
            Ok(vec![0x90, 0x00])
        );
        // shared mode: the second connection finds the card as the first left it
        let mut second = readers.connect(&name).unwrap();
        let key = [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x17];
        second.transmit(&key).unwrap();
        let sign = [0x80, 0x2A, 0x00, 0x80, 2, 0x30, 0x00, 0x00];
        // NoKey cannot sign, but the PIN was accepted: 6A80, not 6982
        assert_eq!(second.transmit(&sign), Ok(vec![0x6A, 0x80]));
        // the same card taken out and put in again is powered up afresh
        r.insert(c);
        let mut third = readers.connect(&name).unwrap();
        assert_eq!(third.transmit(&sign), Ok(vec![0x69, 0x86]));
    }

    #[test]
    fn only_face_readers_have_a_camera() {
        let readers = SimReaders::default();
        let f = readers.attach(ReaderKind::Face, "F-1");
        let g = readers.attach(ReaderKind::Generic, "G-1");
        assert_eq!(
            readers.face_match(&f.entry().name),
            Err(ReaderError::NoCard)
        );
        let c = card();
        f.insert(c.clone());
        // the holder of the card stands before the camera unless someone else does
        assert_eq!(readers.face_match(&f.entry().name), Ok(FaceMatch::Matched));
        f.camera().stand(Camera::Sees(Scene::Person(99)));
        assert_eq!(
            readers.face_match(&f.entry().name),
            Ok(FaceMatch::NotMatched)
        );
        assert!(matches!(
            f.camera().take_last(),
            Some(Decision::Compared(Verdict::Different(_)))
        ));
        assert_eq!(f.camera().take_last(), None);
        assert!(readers.face_match(&g.entry().name).is_err());
    }

    #[test]
    fn the_device_reading_the_photo_leaves_the_drivers_session_as_it_was() {
        let readers = SimReaders::default();
        let f = readers.attach(ReaderKind::Face, "F-2");
        f.insert(card());
        let name = f.entry().name.clone();
        let mut ch = readers.connect(&name).unwrap();
        let select = [&[0x00, 0xA4, 0x04, 0x0C, 10][..], &JPKI_AP].concat();
        ch.transmit(&select).unwrap();
        ch.transmit(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18])
            .unwrap();
        assert_eq!(
            ch.transmit(&[0x00, 0x20, 0x00, 0x80, 4, b'1', b'2', b'3', b'4']),
            Ok(vec![0x90, 0x00])
        );
        assert_eq!(readers.face_match(&name), Ok(FaceMatch::Matched));
        // the PIN verified before the face check still counts: NoKey answers 6A80, not 6982
        ch.transmit(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x17])
            .unwrap();
        let sign = [0x80, 0x2A, 0x00, 0x80, 2, 0x30, 0x00, 0x00];
        assert_eq!(ch.transmit(&sign), Ok(vec![0x6A, 0x80]));
    }
}
