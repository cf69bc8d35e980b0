//! SNTP (RFC 4330; the packet of RFC 5905 §7.3): what Windows' インターネット時刻 「今すぐ更新」
//! sends to `ntp.base.oqs-pdl.org` and what the server answers [000 op3 05–06].
//!
//! Sans-I/O: the server side is [`answer`], the client side is [`request`] then [`Sample::from_reply`];
//! the caller moves the 48 bytes over UDP and reads its own clock.

use time::OffsetDateTime;

/// Length of an SNTP packet without extension fields or MAC.
pub const PACKET_LEN: usize = 48;

/// Seconds from the NTP era 0 epoch (1900-01-01) to the Unix epoch.
const UNIX_OFFSET: i128 = 2_208_988_800;

/// An NTP timestamp: seconds since 1900 in the high 32 bits, the fraction in the low 32.
/// Era 0 only (until 2036-02-07), which is all a terminal in this kit ever sees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub u64);

impl Timestamp {
    pub fn from_datetime(t: OffsetDateTime) -> Self {
        let nanos = t.unix_timestamp_nanos() + UNIX_OFFSET * 1_000_000_000;
        let secs = nanos.div_euclid(1_000_000_000);
        let frac = nanos.rem_euclid(1_000_000_000);
        // fraction = nanos · 2³² / 10⁹, rounded down
        let frac = ((frac << 32) / 1_000_000_000) as u64;
        Self(((secs as u64) << 32) | frac)
    }

    /// Nanoseconds since 1900, for differences.
    fn nanos(self) -> i128 {
        let secs = i128::from(self.0 >> 32);
        let frac = i128::from(self.0 & 0xFFFF_FFFF);
        secs * 1_000_000_000 + ((frac * 1_000_000_000) >> 32)
    }

    pub fn to_datetime(self) -> Option<OffsetDateTime> {
        OffsetDateTime::from_unix_timestamp_nanos(self.nanos() - UNIX_OFFSET * 1_000_000_000).ok()
    }
}

/// Association modes (RFC 5905 figure 10) the kit meets.
pub const MODE_CLIENT: u8 = 3;
pub const MODE_SERVER: u8 = 4;

/// Leap indicator 3: the server's clock is not synchronised.
pub const LEAP_UNSYNCHRONISED: u8 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet {
    pub leap: u8,
    pub version: u8,
    pub mode: u8,
    /// 0 = kiss-o'-death (the reference id then holds the kiss code), 1 = primary, 2–15 secondary.
    pub stratum: u8,
    pub poll: i8,
    pub precision: i8,
    pub root_delay: u32,
    pub root_dispersion: u32,
    pub reference_id: [u8; 4],
    pub reference: Timestamp,
    pub origin: Timestamp,
    pub receive: Timestamp,
    pub transmit: Timestamp,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NtpError {
    #[error("NTP パケットが短すぎます（{0} バイト、48 バイト必要）")]
    TooShort(usize),
    #[error("NTP のバージョン {0} には対応していません（1〜4）")]
    Version(u8),
    #[error("NTP のモード {0} はここでは使えません（期待: {1}）")]
    Mode(u8, u8),
    #[error(
        "時刻サーバーがこの問い合わせへの応答ではないパケットを返しました（origin が一致しません）"
    )]
    NotOurs,
    #[error("時刻サーバーが応答を拒否しました（kiss code {0}）")]
    Kiss(String),
    #[error("時刻サーバー自身が同期していません（leap indicator 3）")]
    Unsynchronised,
}

impl Packet {
    pub fn parse(b: &[u8]) -> Result<Self, NtpError> {
        if b.len() < PACKET_LEN {
            return Err(NtpError::TooShort(b.len()));
        }
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let ts_at = |i: usize| Timestamp((u64::from(u32_at(i)) << 32) | u64::from(u32_at(i + 4)));
        Ok(Self {
            leap: b[0] >> 6,
            version: (b[0] >> 3) & 7,
            mode: b[0] & 7,
            stratum: b[1],
            poll: b[2] as i8,
            precision: b[3] as i8,
            root_delay: u32_at(4),
            root_dispersion: u32_at(8),
            reference_id: [b[12], b[13], b[14], b[15]],
            reference: ts_at(16),
            origin: ts_at(24),
            receive: ts_at(32),
            transmit: ts_at(40),
        })
    }

    pub fn to_bytes(&self) -> [u8; PACKET_LEN] {
        let mut b = [0u8; PACKET_LEN];
        b[0] = (self.leap << 6) | ((self.version & 7) << 3) | (self.mode & 7);
        b[1] = self.stratum;
        b[2] = self.poll as u8;
        b[3] = self.precision as u8;
        b[4..8].copy_from_slice(&self.root_delay.to_be_bytes());
        b[8..12].copy_from_slice(&self.root_dispersion.to_be_bytes());
        b[12..16].copy_from_slice(&self.reference_id);
        for (i, t) in [self.reference, self.origin, self.receive, self.transmit]
            .into_iter()
            .enumerate()
        {
            b[16 + 8 * i..24 + 8 * i].copy_from_slice(&t.0.to_be_bytes());
        }
        b
    }
}

/// A client request (version 4, mode 3) stamped with the client's transmit time. Only the
/// transmit timestamp is filled in, as RFC 4330 §5 allows.
pub fn request(transmit: Timestamp) -> [u8; PACKET_LEN] {
    Packet {
        leap: 0,
        version: 4,
        mode: MODE_CLIENT,
        stratum: 0,
        poll: 0,
        precision: 0,
        root_delay: 0,
        root_dispersion: 0,
        reference_id: [0; 4],
        reference: Timestamp(0),
        origin: Timestamp(0),
        receive: Timestamp(0),
        transmit,
    }
    .to_bytes()
}

/// What the server says about itself in every answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerInfo {
    pub stratum: u8,
    pub reference_id: [u8; 4],
    /// When the server last set its own clock.
    pub reference: Timestamp,
    pub synchronised: bool,
}

/// The server's answer to `request`, received at `received` and sent at `transmit`.
/// Anything that is not a client request of version 1–4 is an error: the server drops it.
pub fn answer(
    request: &[u8],
    info: &ServerInfo,
    received: Timestamp,
    transmit: Timestamp,
) -> Result<[u8; PACKET_LEN], NtpError> {
    let q = Packet::parse(request)?;
    if !(1..=4).contains(&q.version) {
        return Err(NtpError::Version(q.version));
    }
    if q.mode != MODE_CLIENT {
        return Err(NtpError::Mode(q.mode, MODE_CLIENT));
    }
    Ok(Packet {
        leap: if info.synchronised {
            0
        } else {
            LEAP_UNSYNCHRONISED
        },
        // RFC 4330 §5: the reply's version is the request's
        version: q.version,
        mode: MODE_SERVER,
        stratum: info.stratum,
        poll: q.poll,
        precision: -20,
        root_delay: 0,
        root_dispersion: 0x0000_0100,
        reference_id: info.reference_id,
        reference: info.reference,
        origin: q.transmit,
        receive: received,
        transmit,
    }
    .to_bytes())
}

/// One exchange's result as the client computes it (RFC 5905 §8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// How far the server's clock is ahead of the client's, in nanoseconds.
    pub offset_nanos: i128,
    /// Round-trip delay, in nanoseconds.
    pub delay_nanos: i128,
    pub stratum: u8,
}

impl Sample {
    /// Checks the reply to a request sent at `sent` (the client's clock) and received at
    /// `arrived`, and computes offset and delay.
    pub fn from_reply(reply: &[u8], sent: Timestamp, arrived: Timestamp) -> Result<Self, NtpError> {
        let p = Packet::parse(reply)?;
        if p.mode != MODE_SERVER {
            return Err(NtpError::Mode(p.mode, MODE_SERVER));
        }
        if p.origin != sent {
            return Err(NtpError::NotOurs);
        }
        if p.stratum == 0 {
            return Err(NtpError::Kiss(
                String::from_utf8_lossy(&p.reference_id).into_owned(),
            ));
        }
        if p.leap == LEAP_UNSYNCHRONISED || p.transmit == Timestamp(0) {
            return Err(NtpError::Unsynchronised);
        }
        let (t1, t2, t3, t4) = (
            sent.nanos(),
            p.receive.nanos(),
            p.transmit.nanos(),
            arrived.nanos(),
        );
        Ok(Self {
            offset_nanos: ((t2 - t1) + (t3 - t4)) / 2,
            delay_nanos: (t4 - t1) - (t3 - t2),
            stratum: p.stratum,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    const INFO: ServerInfo = ServerInfo {
        stratum: 1,
        reference_id: *b"SIM\0",
        reference: Timestamp(0),
        synchronised: true,
    };

    #[test]
    fn timestamps_match_the_rfc_epoch() {
        // 1970-01-01 is 2 208 988 800 s after 1900-01-01
        let t = Timestamp::from_datetime(datetime!(1970-01-01 0:00 UTC));
        assert_eq!(t.0 >> 32, 2_208_988_800);
        assert_eq!(t.0 & 0xFFFF_FFFF, 0);
        let half = Timestamp::from_datetime(datetime!(2026-11-30 9:00:00.5 UTC));
        assert_eq!(half.0 & 0xFFFF_FFFF, 0x8000_0000);
        assert_eq!(
            half.to_datetime().unwrap(),
            datetime!(2026-11-30 9:00:00.5 UTC)
        );
    }

    #[test]
    fn exchange_measures_offset_and_delay() {
        let client = datetime!(2026-11-30 9:00 UTC);
        let server = client + time::Duration::minutes(7);
        let sent = Timestamp::from_datetime(client);
        let q = request(sent);
        let r = answer(
            &q,
            &INFO,
            Timestamp::from_datetime(server + time::Duration::milliseconds(10)),
            Timestamp::from_datetime(server + time::Duration::milliseconds(11)),
        )
        .unwrap();
        let s = Sample::from_reply(
            &r,
            sent,
            Timestamp::from_datetime(client + time::Duration::milliseconds(21)),
        )
        .unwrap();
        // 7 min ahead, 20 ms of network split evenly, 1 ms in the server
        assert!((s.offset_nanos - 420_000_000_000).abs() < 1_000, "{s:?}");
        assert!((s.delay_nanos - 20_000_000).abs() < 1_000, "{s:?}");
    }

    #[test]
    fn the_server_drops_what_is_not_a_client_request() {
        let sent = Timestamp::from_datetime(datetime!(2026-11-30 9:00 UTC));
        let mut q = request(sent);
        assert_eq!(
            answer(&q[..47], &INFO, sent, sent),
            Err(NtpError::TooShort(47))
        );
        q[0] = (4 << 3) | MODE_SERVER;
        assert_eq!(answer(&q, &INFO, sent, sent), Err(NtpError::Mode(4, 3)));
        q[0] = (5 << 3) | MODE_CLIENT;
        assert_eq!(answer(&q, &INFO, sent, sent), Err(NtpError::Version(5)));
        // an NTPv3 client gets a v3 answer
        q[0] = (3 << 3) | MODE_CLIENT;
        let r = Packet::parse(&answer(&q, &INFO, sent, sent).unwrap()).unwrap();
        assert_eq!((r.version, r.mode), (3, MODE_SERVER));
    }

    #[test]
    fn the_client_refuses_foreign_kiss_and_unsynchronised_replies() {
        let sent = Timestamp::from_datetime(datetime!(2026-11-30 9:00 UTC));
        let r = answer(&request(sent), &INFO, sent, sent).unwrap();
        let other = Timestamp(sent.0 + 1);
        assert_eq!(Sample::from_reply(&r, other, other), Err(NtpError::NotOurs));
        let kiss = ServerInfo {
            stratum: 0,
            reference_id: *b"DENY",
            ..INFO
        };
        let r = answer(&request(sent), &kiss, sent, sent).unwrap();
        assert_eq!(
            Sample::from_reply(&r, sent, sent),
            Err(NtpError::Kiss("DENY".into()))
        );
        let lost = ServerInfo {
            synchronised: false,
            ..INFO
        };
        let r = answer(&request(sent), &lost, sent, sent).unwrap();
        assert_eq!(
            Sample::from_reply(&r, sent, sent),
            Err(NtpError::Unsynchronised)
        );
    }

    proptest! {
        #[test]
        fn packets_round_trip_and_any_bytes_parse_or_fail_cleanly(b in proptest::collection::vec(any::<u8>(), 0..80)) {
            match Packet::parse(&b) {
                Ok(p) => prop_assert_eq!(&p.to_bytes()[..], &b[..PACKET_LEN]),
                Err(e) => prop_assert_eq!(e, NtpError::TooShort(b.len())),
            }
        }

        #[test]
        fn timestamps_round_trip_to_the_nanosecond_floor(secs in 0i64..2_000_000_000, nanos in 0u32..1_000_000_000) {
            let t = OffsetDateTime::from_unix_timestamp(secs).unwrap() + time::Duration::nanoseconds(nanos.into());
            let back = Timestamp::from_datetime(t).to_datetime().unwrap();
            // 2⁻³² s ≈ 0.23 ns resolution, truncated twice
            prop_assert!((t - back).whole_nanoseconds().abs() <= 1);
        }
    }
}
