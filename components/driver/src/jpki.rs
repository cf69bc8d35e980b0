//! The client side of the card's JPKI-AP [INTERFACES §3]: the APDUs a driver sends, and what
//! their status words mean to a person at the reader.

use oqs_host::readers::{CardChannel, ReaderError};
use oqs_proto::reader::FormFactor;
use oqs_proto::reader::apdu::{Command, split_response, sw};
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
    #[error(
        "[kit] {step}のファイルが32KiBを超えるため読めません（READ BINARY の短い形式の上限）。カードの内容を確認してください"
    )]
    TooLarge { step: &'static str },
}

/// A JPKI-AP session over one card channel.
pub struct Jpki<'a> {
    ch: &'a mut dyn CardChannel,
}

impl<'a> Jpki<'a> {
    /// Selects JPKI-AP.
    pub fn select(ch: &'a mut dyn CardChannel) -> Result<Self, CardError> {
        let mut j = Self { ch };
        let status = j.send(&Command::select_df(&JPKI_AP))?.1;
        if status != sw::OK {
            return Err(CardError::NotMyNumberCard {
                step: "SELECT JPKI-AP",
                sw: status,
            });
        }
        Ok(j)
    }

    fn send(&mut self, c: &Command) -> Result<(Vec<u8>, u16), CardError> {
        Ok(split_response(self.ch.transmit(&c.to_bytes())?))
    }

    fn select_ef(&mut self, fid: [u8; 2], step: &'static str) -> Result<(), CardError> {
        match self.send(&Command::select_ef(fid))?.1 {
            sw::OK => Ok(()),
            sw => Err(CardError::NotMyNumberCard { step, sw }),
        }
    }

    fn read(&mut self, offset: usize, len: u8, step: &'static str) -> Result<Vec<u8>, CardError> {
        let command = u16::try_from(offset)
            .ok()
            .and_then(|o| Command::read_binary(o, len))
            .ok_or(CardError::TooLarge { step })?;
        match self.send(&command)? {
            (data, sw::OK) => Ok(data),
            (_, sw) => Err(CardError::Status { step, sw }),
        }
    }

    /// The token EF: who carries the card.
    pub fn form_factor(&mut self) -> Result<FormFactor, CardError> {
        self.select_ef(EF_TOKEN, "トークン")?;
        let t = self.read(0, 0x20, "トークン")?;
        FormFactor::from_token(&t).ok_or(CardError::NotMyNumberCard {
            step: "トークン",
            sw: sw::OK,
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
            _ => return Err(CardError::NotMyNumberCard { step, sw: sw::OK }),
        };
        let mut der = Vec::with_capacity(total);
        while der.len() < total {
            let want = (total - der.len()).min(0xFF) as u8;
            let chunk = self.read(der.len(), want, step)?;
            if chunk.is_empty() {
                return Err(CardError::Status { step, sw: sw::OK });
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
        match self.send(&Command::verify(None))?.1 {
            s if sw::tries(s).is_some() => Ok(sw::tries(s).unwrap_or_default()),
            sw::AUTH_BLOCKED | sw::BLOCKED => Ok(0),
            sw::OK => Ok(3),
            sw => Err(CardError::Status {
                step: "暗証番号の残り回数",
                sw,
            }),
        }
    }

    /// VERIFY of the authentication PIN.
    pub fn verify_auth_pin(&mut self, pin: &str) -> Result<(), CardError> {
        self.select_ef(EF_AUTH_PIN, "暗証番号")?;
        match self.send(&Command::verify(Some(pin.as_bytes())))?.1 {
            sw::OK => Ok(()),
            s if s == sw::tries_left(0) || s == sw::AUTH_BLOCKED || s == sw::BLOCKED => {
                Err(CardError::Blocked)
            }
            s if sw::tries(s).is_some() => Err(CardError::WrongPin(sw::tries(s).unwrap_or(0))),
            sw => Err(CardError::Status {
                step: "暗証番号の照合",
                sw,
            }),
        }
    }

    /// COMPUTE DIGITAL SIGNATURE with the authentication key over a DigestInfo.
    pub fn sign_with_auth_key(&mut self, digest_info: &[u8]) -> Result<Vec<u8>, CardError> {
        self.select_ef(EF_AUTH_KEY, "利用者証明用秘密鍵")?;
        match self.send(&Command::compute_signature(digest_info))? {
            (sig, sw::OK) => Ok(sig),
            (_, sw::SECURITY_NOT_SATISFIED) => Err(CardError::NotUnlocked),
            (_, sw) => Err(CardError::Status { step: "署名", sw }),
        }
    }
}

/// DigestInfo (SHA-256) of `message`: what the card signs.
pub fn sha256_digest_info(message: &[u8]) -> Vec<u8> {
    let hash = ring::digest::digest(&ring::digest::SHA256, message);
    [&SHA256_DIGEST_INFO_PREFIX[..], hash.as_ref()].concat()
}
