//! Card readers attached to the terminal, as the PC/SC resource manager (WinSCard on Windows,
//! pcscd on Linux) presents them, plus the one thing PC/SC cannot carry: a face reader's camera.
//! The driver talks to cards only through these traits; the simulator's in-process readers and
//! the driver's `pcsc` backend both implement them.

/// What kind of reader a slot is [DOMAIN glossary].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReaderKind {
    /// 顔認証付きカードリーダー
    Face,
    /// 汎用カードリーダー
    Generic,
}

impl ReaderKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Face => "顔認証付きカードリーダー",
            Self::Generic => "汎用カードリーダー",
        }
    }
}

/// A reader the terminal sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReaderEntry {
    /// The PC/SC reader name.
    pub name: String,
    /// The serial printed on the device (SER. No. / DEV. ID).
    pub serial: String,
    pub kind: ReaderKind,
}

/// Why a reader could not do what was asked; each says what a person can do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReaderError {
    #[error("カードリーダー「{0}」が見つかりません。接続を確認してください")]
    NoReader(String),
    #[error("カードが置かれていません。マイナンバーカードをカードリーダーに置いてください")]
    NoCard,
    #[error(
        "読み取り中にカードが取り外されました。もう一度マイナンバーカードを置いて、やり直してください"
    )]
    Removed,
    #[error("カードリーダーとの通信に失敗しました: {0}")]
    Transport(String),
}

/// A connection to the card in one reader (SCardConnect … SCardDisconnect).
pub trait CardChannel: Send {
    /// The card's answer to reset.
    fn atr(&self) -> Vec<u8>;
    /// One command APDU, its response (data and status word).
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, ReaderError>;
}

/// The result of a face reader comparing the person in front of its camera with the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaceMatch {
    Matched,
    NotMatched,
}

/// The readers of a terminal.
pub trait Readers: Send + Sync {
    fn list(&self) -> Vec<ReaderEntry>;
    /// Connects to the card in reader `name` (shared, any protocol).
    fn connect(&self, name: &str) -> Result<Box<dyn CardChannel>, ReaderError>;
    /// Face readers: the camera's comparison. Generic readers have no camera.
    fn face_match(&self, name: &str) -> Result<FaceMatch, ReaderError>;
}
