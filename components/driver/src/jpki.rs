//! The client side of the card's JPKI-AP [INTERFACES §3]: the APDUs a driver sends, and what
//! their status words mean to a person at the reader.

use oqs_host::readers::{CardChannel, ReaderError};
use oqs_proto::reader::FormFactor;
use oqs_proto::reader::jpki::{
    EF_AUTH_CERT, EF_AUTH_KEY, EF_AUTH_PIN, EF_TOKEN, JPKI_AP, SHA256_DIGEST_INFO_PREFIX,
};

/// Why the card did not do what the check needed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error(transparent)]
    Reader(#[from] ReaderError),
    #[error(
        "暗証番号が違います。あと{0}回間違えると暗証番号がロックされます。利用者証明用電子証明書の暗証番号（4桁の数字）を確認してください"
    )]
    WrongPin(u8),
    #[error(
        "暗証番号がロックされています。お住まいの市区町村の窓口で暗証番号の初期化（再設定）を受けてください。それまでは顔認証または目視確認で本人確認してください"
    )]
    Blocked,
    #[error(
        "マイナンバーカードとして読み取れません（{step}: ステータス {sw:04X}）。カードの向きを確認して置き直してください"
    )]
    NotMyNumberCard { step: &'static str, sw: u16 },
    #[error(
        "iPhoneの生体認証が済んでいません。iPhoneで生体認証を行った後、汎用カードリーダーにかざしてください"
    )]
    NotUnlocked,
    #[error("カードが予期しない応答をしました（{step}: ステータス {sw:04X}）")]
    Status { step: &'static str, sw: u16 },
}

fn split(resp: Vec<u8>) -> (Vec<u8>, u16) {
    match resp.len() {
        0 | 1 => (Vec::new(), 0x6F00),
        n => {
            let sw = u16::from_be_bytes([resp[n - 2], resp[n - 1]]);
            let mut data = resp;
            data.truncate(n - 2);
            (data, sw)
        }
    }
}

/// A JPKI-AP session over one card channel.
pub struct Jpki<'a> {
    ch: &'a mut dyn CardChannel,
}

impl<'a> Jpki<'a> {
    /// Selects JPKI-AP.
    pub fn select(ch: &'a mut dyn CardChannel) -> Result<Self, CardError> {
        let mut j = Self { ch };
        let sw = j
            .send(&[&[0x00, 0xA4, 0x04, 0x0C, 10][..], &JPKI_AP].concat())?
            .1;
        if sw != 0x9000 {
            return Err(CardError::NotMyNumberCard {
                step: "SELECT JPKI-AP",
                sw,
            });
        }
        Ok(j)
    }

    fn send(&mut self, apdu: &[u8]) -> Result<(Vec<u8>, u16), CardError> {
        Ok(split(self.ch.transmit(apdu)?))
    }

    fn select_ef(&mut self, fid: [u8; 2], step: &'static str) -> Result<(), CardError> {
        match self
            .send(&[0x00, 0xA4, 0x02, 0x0C, 0x02, fid[0], fid[1]])?
            .1
        {
            0x9000 => Ok(()),
            sw => Err(CardError::NotMyNumberCard { step, sw }),
        }
    }

    fn read(&mut self, offset: usize, len: u8, step: &'static str) -> Result<Vec<u8>, CardError> {
        let (data, sw) = self.send(&[0x00, 0xB0, (offset >> 8) as u8, offset as u8, len])?;
        match sw {
            0x9000 => Ok(data),
            sw => Err(CardError::Status { step, sw }),
        }
    }

    /// The token EF: who carries the card.
    pub fn form_factor(&mut self) -> Result<FormFactor, CardError> {
        self.select_ef(EF_TOKEN, "トークン")?;
        let t = self.read(0, 0x20, "トークン")?;
        FormFactor::from_token(&t).ok_or(CardError::NotMyNumberCard {
            step: "トークン",
            sw: 0x9000,
        })
    }

    /// A certificate EF, whole: the DER header gives its length; read in chunks.
    fn read_der(&mut self, fid: [u8; 2], step: &'static str) -> Result<Vec<u8>, CardError> {
        self.select_ef(fid, step)?;
        let head = self.read(0, 4, step)?;
        let total = match head.as_slice() {
            [0x30, 0x82, hi, lo, ..] => 4 + (usize::from(*hi) << 8 | usize::from(*lo)),
            [0x30, 0x81, n, ..] => 3 + usize::from(*n),
            [0x30, n, ..] if *n < 0x80 => 2 + usize::from(*n),
            _ => return Err(CardError::NotMyNumberCard { step, sw: 0x9000 }),
        };
        let mut der = Vec::with_capacity(total);
        while der.len() < total {
            let want = (total - der.len()).min(0xFF) as u8;
            let chunk = self.read(der.len(), want, step)?;
            if chunk.is_empty() {
                return Err(CardError::Status { step, sw: 0x9000 });
            }
            der.extend_from_slice(&chunk);
        }
        der.truncate(total);
        Ok(der)
    }

    /// 利用者証明用電子証明書 (no PIN needed to read it).
    pub fn auth_certificate(&mut self) -> Result<Vec<u8>, CardError> {
        self.read_der(EF_AUTH_CERT, "利用者証明用電子証明書")
    }

    /// Tries left of the authentication PIN (VERIFY without data); 0 when blocked.
    pub fn auth_pin_tries_left(&mut self) -> Result<u8, CardError> {
        self.select_ef(EF_AUTH_PIN, "暗証番号")?;
        match self.send(&[0x00, 0x20, 0x00, 0x80])?.1 {
            sw if sw & 0xFFF0 == 0x63C0 => Ok((sw & 0x0F) as u8),
            0x6983 | 0x6984 => Ok(0),
            0x9000 => Ok(3),
            sw => Err(CardError::Status {
                step: "暗証番号の残り回数",
                sw,
            }),
        }
    }

    /// VERIFY of the authentication PIN.
    pub fn verify_auth_pin(&mut self, pin: &str) -> Result<(), CardError> {
        self.select_ef(EF_AUTH_PIN, "暗証番号")?;
        let p = pin.as_bytes();
        let apdu = [&[0x00, 0x20, 0x00, 0x80, p.len() as u8][..], p].concat();
        match self.send(&apdu)?.1 {
            0x9000 => Ok(()),
            0x63C0 | 0x6983 | 0x6984 => Err(CardError::Blocked),
            sw if sw & 0xFFF0 == 0x63C0 => Err(CardError::WrongPin((sw & 0x0F) as u8)),
            sw => Err(CardError::Status {
                step: "暗証番号の照合",
                sw,
            }),
        }
    }

    /// COMPUTE DIGITAL SIGNATURE with the authentication key over a DigestInfo.
    pub fn sign_with_auth_key(&mut self, digest_info: &[u8]) -> Result<Vec<u8>, CardError> {
        self.select_ef(EF_AUTH_KEY, "利用者証明用秘密鍵")?;
        let apdu = [
            &[0x80, 0x2A, 0x00, 0x80, digest_info.len() as u8][..],
            digest_info,
            &[0x00],
        ]
        .concat();
        match self.send(&apdu)? {
            (sig, 0x9000) => Ok(sig),
            (_, 0x6982) => Err(CardError::NotUnlocked),
            (_, sw) => Err(CardError::Status { step: "署名", sw }),
        }
    }
}

/// DigestInfo (SHA-256) of `message`: what the card signs.
pub fn sha256_digest_info(message: &[u8]) -> Vec<u8> {
    let hash = ring::digest::digest(&ring::digest::SHA256, message);
    [&SHA256_DIGEST_INFO_PREFIX[..], hash.as_ref()].concat()
}
