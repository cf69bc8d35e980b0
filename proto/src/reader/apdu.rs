//! ISO 7816-4 command and response APDUs and status words, as far as the JPKI flows use them:
//! written once for the card (which parses commands and answers) and the driver (which builds
//! commands and reads answers).

/// A parsed command: `CLA INS P1 P2 [Lc data] [Le]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    pub data: Vec<u8>,
    /// Expected response length; `Some(256)` for a short Le of 00, `Some(65536)` for an
    /// extended Le of 00 00.
    pub le: Option<usize>,
}

/// Status words the card answers with.
pub mod sw {
    pub const OK: u16 = 0x9000;
    /// An answer without a status word (a reader that returned fewer than 2 bytes).
    pub const NO_STATUS: u16 = 0x6F00;
    /// 63Cx: wrong PIN (or VERIFY without data), x tries left.
    pub fn tries_left(x: u8) -> u16 {
        0x63C0 | u16::from(x.min(15))
    }
    pub const WRONG_LENGTH: u16 = 0x6700;
    pub const INCOMPATIBLE_FILE: u16 = 0x6981;
    pub const SECURITY_NOT_SATISFIED: u16 = 0x6982;
    /// VERIFY with a PIN against a blocked key (JICSAP; seen on J-LIS test cards). The try that
    /// blocks it answers 63C0, and the status query keeps answering 63C0.
    pub const BLOCKED: u16 = 0x6984;
    /// Authentication method blocked (ISO 7816-4); some cards answer it for a blocked PIN.
    pub const AUTH_BLOCKED: u16 = 0x6983;
    /// Whether `sw` is 63Cx, and its x (tries left).
    pub fn tries(sw: u16) -> Option<u8> {
        (sw & 0xFFF0 == 0x63C0).then_some((sw & 0x0F) as u8)
    }
    pub const NO_CURRENT_EF: u16 = 0x6986;
    pub const WRONG_DATA: u16 = 0x6A80;
    pub const FILE_NOT_FOUND: u16 = 0x6A82;
    pub const WRONG_P1P2: u16 = 0x6A86;
    pub const OFFSET_OUTSIDE: u16 = 0x6B00;
    pub const INS_NOT_SUPPORTED: u16 = 0x6D00;
    pub const CLA_NOT_SUPPORTED: u16 = 0x6E00;
}

impl Command {
    fn new(cla: u8, ins: u8, p1: u8, p2: u8, data: &[u8], le: Option<usize>) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: data.to_vec(),
            le,
        }
    }

    /// SELECT FILE of a DF by its AID, no response data (`00 A4 04 0C`).
    pub fn select_df(aid: &[u8]) -> Self {
        Self::new(0x00, 0xA4, 0x04, 0x0C, aid, None)
    }

    /// SELECT FILE of an EF of the current DF by its file ID (`00 A4 02 0C`).
    pub fn select_ef(fid: [u8; 2]) -> Self {
        Self::new(0x00, 0xA4, 0x02, 0x0C, &fid, None)
    }

    /// READ BINARY of `len` bytes (0: 256) at `offset` of the current EF. Short-form offsets
    /// reach 32767 (P1's top bit selects a file by SFI instead): `None` beyond.
    pub fn read_binary(offset: u16, len: u8) -> Option<Self> {
        let [hi, lo] = (offset <= 0x7FFF).then_some(offset.to_be_bytes())?;
        Some(Self::new(0x00, 0xB0, hi, lo, &[], Some(le_of(len))))
    }

    /// READ BINARY of a whole EF with one extended Le of 00 00 (up to 65536 bytes), as clients
    /// read the card-face files.
    pub fn read_binary_whole() -> Self {
        Self::new(0x00, 0xB0, 0x00, 0x00, &[], Some(65536))
    }

    /// VERIFY of the current key with `pin`; without a PIN, the query of the tries left.
    pub fn verify(pin: Option<&[u8]>) -> Self {
        Self::new(0x00, 0x20, 0x00, 0x80, pin.unwrap_or_default(), None)
    }

    /// COMPUTE DIGITAL SIGNATURE with the current key over a DigestInfo (`80 2A 00 80`, Le 00).
    pub fn compute_signature(digest_info: &[u8]) -> Self {
        Self::new(0x80, 0x2A, 0x00, 0x80, digest_info, Some(256))
    }

    /// Parses a short or extended APDU (cases 1–4; clients read whole card-face files with one
    /// extended Le). Anything else is the status word to answer with.
    pub fn parse(b: &[u8]) -> Result<Self, u16> {
        if b.len() < 4 {
            return Err(sw::WRONG_LENGTH);
        }
        let (cla, ins, p1, p2) = (b[0], b[1], b[2], b[3]);
        let body = &b[4..];
        let (data, le) = match body.len() {
            0 => (Vec::new(), None),
            1 => (Vec::new(), Some(le_of(body[0]))),
            // case 2E: 00 Le1 Le2
            3 if body[0] == 0 => (Vec::new(), Some(ext_le_of(body[1], body[2]))),
            // cases 3E/4E: 00 Lc1 Lc2 data [Le1 Le2]
            n if n > 3 && body[0] == 0 => {
                let lc = usize::from(u16::from_be_bytes([body[1], body[2]]));
                match n - 3 {
                    _ if lc == 0 => return Err(sw::WRONG_LENGTH),
                    m if m == lc => (body[3..].to_vec(), None),
                    m if m == lc + 2 => (
                        body[3..3 + lc].to_vec(),
                        Some(ext_le_of(body[3 + lc], body[4 + lc])),
                    ),
                    _ => return Err(sw::WRONG_LENGTH),
                }
            }
            _ => {
                let lc = body[0] as usize;
                if lc == 0 {
                    return Err(sw::WRONG_LENGTH);
                }
                match body.len() - 1 {
                    n if n == lc => (body[1..].to_vec(), None),
                    n if n == lc + 1 => (body[1..=lc].to_vec(), Some(le_of(body[lc + 1]))),
                    _ => return Err(sw::WRONG_LENGTH),
                }
            }
        };
        Ok(Self {
            cla,
            ins,
            p1,
            p2,
            data,
            le,
        })
    }

    /// The command's bytes: the short form while data fits 255 bytes and Le 256, the extended
    /// form (`00 Lc1 Lc2`, `Le1 Le2`) beyond.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = vec![self.cla, self.ins, self.p1, self.p2];
        let extended = self.data.len() > 255 || self.le.is_some_and(|l| l > 256);
        let two = |n: usize| {
            let [hi, lo] = u16::try_from(n % 65536).unwrap_or(0).to_be_bytes();
            [hi, lo]
        };
        if !self.data.is_empty() {
            if extended {
                v.push(0);
                v.extend_from_slice(&two(self.data.len()));
            } else {
                v.push(self.data.len() as u8);
            }
            v.extend_from_slice(&self.data);
        }
        if let Some(le) = self.le {
            if extended {
                if self.data.is_empty() {
                    v.push(0);
                }
                v.extend_from_slice(&two(le));
            } else {
                v.push(if le >= 256 { 0 } else { le as u8 });
            }
        }
        v
    }
}

fn le_of(b: u8) -> usize {
    if b == 0 { 256 } else { b as usize }
}

fn ext_le_of(hi: u8, lo: u8) -> usize {
    match u16::from_be_bytes([hi, lo]) {
        0 => 65536,
        n => usize::from(n),
    }
}

/// Response data followed by the status word.
pub fn response(data: &[u8], sw: u16) -> Vec<u8> {
    let mut v = data.to_vec();
    v.extend_from_slice(&sw.to_be_bytes());
    v
}

/// A response split into its data and status word; fewer than 2 bytes is
/// [`sw::NO_STATUS`].
pub fn split_response(mut resp: Vec<u8>) -> (Vec<u8>, u16) {
    match resp.len() {
        0 | 1 => (Vec::new(), sw::NO_STATUS),
        n => {
            let sw = u16::from_be_bytes([resp[n - 2], resp[n - 1]]);
            resp.truncate(n - 2);
            (resp, sw)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_driver_s_commands_are_what_the_card_parses() {
        assert_eq!(
            Command::select_ef([0x00, 0x18]).to_bytes(),
            [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18]
        );
        assert_eq!(
            Command::read_binary(0x0123, 4).unwrap().to_bytes(),
            [0x00, 0xB0, 0x01, 0x23, 4]
        );
        // beyond 32767 P1's top bit would name a file by SFI: refused, not wrapped
        assert!(Command::read_binary(0x8000, 4).is_none());
        assert_eq!(
            Command::read_binary_whole().to_bytes(),
            [0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00]
        );
        assert_eq!(Command::verify(None).to_bytes(), [0x00, 0x20, 0x00, 0x80]);
        assert_eq!(
            Command::verify(Some(b"1234")).to_bytes(),
            [0x00, 0x20, 0x00, 0x80, 4, b'1', b'2', b'3', b'4']
        );
        let sign = Command::compute_signature(&[1, 2, 3]);
        assert_eq!(sign.to_bytes(), [0x80, 0x2A, 0x00, 0x80, 3, 1, 2, 3, 0x00]);
        // a signature over more than 255 bytes goes in the extended form
        let long = Command::compute_signature(&[7; 300]);
        assert_eq!(&long.to_bytes()[4..7], [0x00, 0x01, 0x2C]);
        for c in [
            sign,
            long,
            Command::select_df(&[0xD3, 0x92]),
            Command::read_binary(0, 0).expect("offset 0"),
            Command::read_binary_whole(),
        ] {
            assert_eq!(Command::parse(&c.to_bytes()).unwrap(), c);
        }
        assert_eq!(split_response(vec![7, 0x90, 0x00]), (vec![7], sw::OK));
        assert_eq!(split_response(vec![0x90]), (vec![], sw::NO_STATUS));
        assert_eq!(sw::tries(0x63C2), Some(2));
        assert_eq!(sw::tries(0x6982), None);
    }

    #[test]
    fn parses_the_four_cases() {
        let c1 = Command::parse(&[0, 0xA4, 4, 0x0C]).unwrap();
        assert!(c1.data.is_empty() && c1.le.is_none());
        let c2 = Command::parse(&[0, 0xB0, 0, 0, 0]).unwrap();
        assert_eq!(c2.le, Some(256));
        let c3 = Command::parse(&[0, 0x20, 0, 0x80, 2, 1, 2]).unwrap();
        assert_eq!(c3.data, vec![1, 2]);
        let c4 = Command::parse(&[0x80, 0x2A, 0, 0x80, 1, 9, 0]).unwrap();
        assert_eq!((c4.data.clone(), c4.le), (vec![9], Some(256)));
        assert_eq!(Command::parse(&c4.to_bytes()).unwrap(), c4);
        assert_eq!(Command::parse(&[0, 1]), Err(sw::WRONG_LENGTH));
        // extended: case 2E with Le 65536, case 4E
        let e2 = Command::parse(&[0, 0xB0, 0x82, 0, 0, 0, 0]).unwrap();
        assert_eq!((e2.data.len(), e2.le), (0, Some(65536)));
        let e4 = Command::parse(&[0x80, 0x2A, 0, 0x80, 0, 0, 2, 7, 8, 0x01, 0x00]).unwrap();
        assert_eq!((e4.data, e4.le), (vec![7, 8], Some(256)));
        assert_eq!(
            Command::parse(&[0, 0x20, 0, 0x80, 3, 1]),
            Err(sw::WRONG_LENGTH)
        );
    }
}
