//! The card side of vsmartcard's vpcd protocol [TOOLCHAIN §1]: the card is a TCP client of the
//! `vsmartcard-vpcd` driver inside a real `pcscd`. Frames are a 2-byte big-endian length and a
//! payload; a 1-byte payload is a control message (00 power off, 01 power on, 02 reset, 04 get
//! ATR — only 04 is answered); anything longer is an APDU, answered with its response.
//!
//! The card sets TCP_QUICKACK after every read: vpcd writes length and payload separately
//! without TCP_NODELAY, and a delayed ACK would cost ~40 ms per APDU.

use super::mynumber::MyNumberCard;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// The ATR OpenSC's JPKI driver recognises as a My Number Card.
pub const MY_NUMBER_ATR: [u8; 9] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];

/// What a reader needs of a card.
pub trait Card: Send {
    fn atr(&self) -> Vec<u8>;
    /// Power on, reset, or power off: selection and security status end.
    fn reset(&mut self);
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8>;
    /// What is printed on the card's face, as a face reader's camera reads it; `None` for
    /// cards with no face.
    fn printed(&self) -> Option<Printed> {
        None
    }
    /// Runs `f` — another party's exchange with the card, like a face reader reading the photo
    /// through its own IC reader — and restores the selection and security status the driver
    /// had before, so its session goes on as it left it.
    fn aside(&mut self, f: &mut dyn FnMut(&mut dyn Card)) {
        f(self.as_dyn());
    }
    fn as_dyn(&mut self) -> &mut dyn Card;
}

/// The printed face of a My Number Card, as far as a face reader reads it (照合番号B).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Printed {
    /// yyyyMMdd
    pub birthdate: String,
    /// yyyyMMdd
    pub expiry: String,
    pub security_code: String,
    /// Whose card it is, as the simulator knows it (not printed): the seed of the holder's
    /// face, which the camera sees when the holder stands before it.
    pub holder_face: u64,
}

impl Card for MyNumberCard {
    fn aside(&mut self, f: &mut dyn FnMut(&mut dyn Card)) {
        let saved = self.session();
        f(self);
        self.restore(saved);
    }
    fn as_dyn(&mut self) -> &mut dyn Card {
        self
    }
    fn printed(&self) -> Option<Printed> {
        let c = self.contents();
        Some(Printed {
            birthdate: c.holder.birthdate.clone(),
            expiry: c.surface.expiry.clone(),
            security_code: c.surface.security_code.clone(),
            holder_face: c.surface.face_seed,
        })
    }
    fn atr(&self) -> Vec<u8> {
        MY_NUMBER_ATR.to_vec()
    }
    fn reset(&mut self) {
        MyNumberCard::reset(self);
    }
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.process(apdu)
    }
}

/// A card that answers every command with `90 00`: the floor of a transport benchmark.
pub struct EchoCard;

impl Card for EchoCard {
    fn as_dyn(&mut self) -> &mut dyn Card {
        self
    }
    fn atr(&self) -> Vec<u8> {
        // a plain T=1 ATR, so no driver takes it for a My Number Card
        vec![0x3B, 0x80, 0x80, 0x01, 0x01]
    }
    fn reset(&mut self) {}
    fn transmit(&mut self, _: &[u8]) -> Vec<u8> {
        vec![0x90, 0x00]
    }
}

pub type SharedCard = Arc<Mutex<dyn Card>>;

/// How a card leaves the reader.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Removal {
    /// Only when [`Inserted::remove`] is called.
    #[default]
    OnRequest,
    /// Pulled out after receiving its `n`-th APDU (1-based), before answering it.
    DuringApdu(usize),
}

/// A card in a vpcd reader. Dropping it pulls the card out.
pub struct Inserted {
    task: JoinHandle<io::Result<u64>>,
}

impl Drop for Inserted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Inserted {
    /// Pulls the card out of the reader.
    pub fn remove(self) {}

    /// Waits until the reader lets go of the card (pcscd stopped, or the card was pulled by
    /// its [`Removal`]); the APDUs answered.
    pub async fn finished(mut self) -> io::Result<u64> {
        (&mut self.task)
            .await
            .unwrap_or_else(|e| Err(io::Error::other(e)))
    }
}

/// Puts `card` into the vpcd reader listening at `addr` (127.0.0.1 and the reader's port).
pub async fn insert(addr: SocketAddr, card: SharedCard, removal: Removal) -> io::Result<Inserted> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(Inserted {
        task: tokio::spawn(serve(stream, card, removal)),
    })
}

fn quickack(s: &TcpStream) {
    #[cfg(target_os = "linux")]
    {
        let _ = socket2::SockRef::from(s).set_tcp_quickack(true);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = s;
}

async fn send(s: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let len = u16::try_from(payload.len()).map_err(io::Error::other)?;
    // length and payload in one write, so the reader never waits on half a frame
    let mut frame = Vec::with_capacity(payload.len() + 2);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    s.write_all(&frame).await
}

async fn serve(mut s: TcpStream, card: SharedCard, removal: Removal) -> io::Result<u64> {
    let mut apdus = 0u64;
    loop {
        let mut len = [0u8; 2];
        match s.read_exact(&mut len).await {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(apdus),
            Err(e) => return Err(e),
        }
        quickack(&s);
        let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
        s.read_exact(&mut msg).await?;
        quickack(&s);
        if msg.len() > 1 {
            apdus += 1;
            if removal == Removal::DuringApdu(apdus as usize) {
                // pulled out with the command in the air: no answer, connection gone
                return Ok(apdus - 1);
            }
        }
        let answer = reply(&mut *card.lock().unwrap_or_else(|e| e.into_inner()), &msg);
        if let Some(r) = answer {
            send(&mut s, &r).await?;
        }
    }
}

/// The card's answer to one frame's payload, with no I/O: power and reset controls answer
/// nothing, 04 the ATR, an unknown control byte nothing (vpcd sends none other), anything
/// longer is an APDU and gets the card's response.
pub fn reply(card: &mut dyn Card, msg: &[u8]) -> Option<Vec<u8>> {
    match msg {
        [0x00] | [0x01] | [0x02] => {
            card.reset();
            None
        }
        [0x04] => Some(card.atr()),
        [] | [_] => None,
        apdu => Some(card.transmit(apdu)),
    }
}

/// Splits one frame off the front of `buf`: its payload and the rest, or `None` while the
/// frame is not complete.
pub fn frame(buf: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = buf.split_first_chunk::<2>()?;
    let len = usize::from(u16::from_be_bytes(*len));
    (rest.len() >= len).then(|| rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reader::mynumber::{CardContents, FormFactor, JPKI_AP};
    use tokio::net::TcpListener;

    fn card() -> SharedCard {
        Arc::new(Mutex::new(MyNumberCard::new(
            CardContents::transport_sample(FormFactor::Card),
        )))
    }

    /// The driver's side of the protocol, as vpcd in pcscd speaks it (length and payload in
    /// two writes, like Debian's vpcd 3.3).
    struct FakeVpcd(TcpStream);

    impl FakeVpcd {
        async fn send(&mut self, payload: &[u8]) {
            let s = &mut self.0;
            s.write_all(&(payload.len() as u16).to_be_bytes())
                .await
                .unwrap();
            s.write_all(payload).await.unwrap();
        }
        async fn recv(&mut self) -> io::Result<Vec<u8>> {
            let mut len = [0u8; 2];
            self.0.read_exact(&mut len).await?;
            let mut v = vec![0u8; u16::from_be_bytes(len) as usize];
            self.0.read_exact(&mut v).await?;
            Ok(v)
        }
    }

    async fn reader(removal: Removal) -> (FakeVpcd, Inserted) {
        let l = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let inserted = insert(l.local_addr().unwrap(), card(), removal)
            .await
            .unwrap();
        let (s, _) = l.accept().await.unwrap();
        (FakeVpcd(s), inserted)
    }

    fn select_jpki() -> Vec<u8> {
        [&[0x00, 0xA4, 0x04, 0x0C, 0x0A][..], &JPKI_AP].concat()
    }

    #[tokio::test]
    async fn power_on_atr_and_apdus() {
        let (mut v, inserted) = reader(Removal::OnRequest).await;
        v.send(&[0x01]).await;
        v.send(&[0x04]).await;
        assert_eq!(v.recv().await.unwrap(), MY_NUMBER_ATR);
        v.send(&select_jpki()).await;
        assert_eq!(v.recv().await.unwrap(), [0x90, 0x00]);
        v.send(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x06]).await;
        assert_eq!(v.recv().await.unwrap(), [0x90, 0x00]);
        v.send(&[0x00, 0xB0, 0x00, 0x00, 0x20]).await;
        let token = v.recv().await.unwrap();
        assert_eq!(&token[..15], b"JPKIAPICCTOKEN2");
        // a reset ends the selection
        v.send(&[0x02]).await;
        v.send(&[0x00, 0xB0, 0x00, 0x00, 0x20]).await;
        assert_eq!(v.recv().await.unwrap(), [0x69, 0x86]);
        inserted.remove();
        assert!(v.recv().await.is_err(), "the reader sees the card gone");
    }

    #[tokio::test]
    async fn card_pulled_during_a_command_answers_nothing() {
        let (mut v, inserted) = reader(Removal::DuringApdu(2)).await;
        v.send(&[0x01]).await;
        v.send(&select_jpki()).await;
        assert_eq!(v.recv().await.unwrap(), [0x90, 0x00]);
        v.send(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0A]).await;
        let e = v.recv().await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(inserted.finished().await.unwrap(), 1);
    }

    #[test]
    fn frames_split_and_controls_answer_as_vpcd_expects() {
        assert_eq!(frame(&[0x00]), None, "half a length");
        assert_eq!(frame(&[0x00, 0x02, 0x90]), None, "half a payload");
        let (payload, rest) = frame(&[0x00, 0x01, 0x04, 0xFF]).unwrap();
        assert_eq!((payload, rest), (&[0x04][..], &[0xFF][..]));
        let mut echo = EchoCard;
        assert_eq!(reply(&mut echo, &[0x04]), Some(echo.atr()));
        assert_eq!(reply(&mut echo, &[0x01]), None);
        assert_eq!(reply(&mut echo, &[0x07]), None);
        assert_eq!(reply(&mut echo, &[]), None);
        assert_eq!(reply(&mut echo, &[0x00, 0xA4]), Some(vec![0x90, 0x00]));
    }
}
