//! Faces for the face reader (顔認証付きカードリーダー), all test data made at run time:
//!
//! - each person has a face drawn from a seed ([`Face`]): an oval with eyes, nose, mouth and a
//!   person's own shading, so that two people differ as much as two photographs of them;
//! - the card holds a frontal photo of it ([`Face::photo`], in the 券面AP);
//! - the reader's camera sees a [`Scene`] — the card holder, another person, nobody, or a
//!   photograph held up to it — as a visible picture and a depth picture (face readers carry a
//!   3-D or infra-red camera to tell a face from a photograph), each shot a little different
//!   (position, light, sensor noise);
//! - [`compare`] is the reader's decision: is there a face, is it a live one, and is it the
//!   photo's.
//!
//! Nothing here is a real face or a real recognition algorithm (\[K\]): it is a model in which
//! the outcome follows from the pictures, so that a scenario chooses who stands at the reader,
//! never the verdict.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A grey picture, one byte per pixel, rows top to bottom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gray {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

impl Gray {
    fn new(width: usize, height: usize, mut f: impl FnMut(f64, f64) -> f64) -> Self {
        let mut pixels = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                pixels.push(f(x as f64, y as f64).round().clamp(0.0, 255.0) as u8);
            }
        }
        Self {
            width,
            height,
            pixels,
        }
    }

    /// The picture as a PNG file: 8-bit grey, or 1-bit (black below 128) for text images.
    pub fn to_png(&self, one_bit: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, self.width as u32, self.height as u32);
        enc.set_color(png::ColorType::Grayscale);
        let data: Vec<u8> = if one_bit {
            enc.set_depth(png::BitDepth::One);
            self.pixels
                .chunks(self.width)
                .flat_map(|row| {
                    row.chunks(8).map(|c| {
                        c.iter()
                            .enumerate()
                            .fold(0u8, |b, (i, p)| b | (u8::from(*p >= 128) << (7 - i)))
                    })
                })
                .collect()
        } else {
            enc.set_depth(png::BitDepth::Eight);
            self.pixels.clone()
        };
        // writing into a Vec fails only on sizes this module never makes
        let mut w = enc.write_header().expect("PNG header");
        w.write_image_data(&data).expect("PNG data");
        drop(w);
        out
    }

    /// A grey PNG (any bit depth) as a picture; `None` for anything else.
    pub fn from_png(bytes: &[u8]) -> Option<Self> {
        let mut dec = png::Decoder::new(std::io::Cursor::new(bytes));
        dec.set_transformations(png::Transformations::EXPAND);
        let mut r = dec.read_info().ok()?;
        let mut buf = vec![0; r.output_buffer_size()?];
        let info = r.next_frame(&mut buf).ok()?;
        if info.color_type != png::ColorType::Grayscale || info.bit_depth != png::BitDepth::Eight {
            return None;
        }
        buf.truncate(info.buffer_size());
        Some(Self {
            width: info.width as usize,
            height: info.height as usize,
            pixels: buf,
        })
    }

    /// Text as the card prints it, in test glyphs: one 12×12 pattern per character (the same
    /// character, the same pattern), black on white. Not legible: the kit has no font, and
    /// what clients do with these images is copy them.
    pub fn text(text: &str) -> Self {
        let chars: Vec<char> = text.chars().collect();
        let width = (chars.len().max(1) * 12).div_ceil(8) * 8;
        Self::new(width, 12, |x, y| {
            let (x, y) = (x as usize, y as usize);
            let Some(c) = chars.get(x / 12) else {
                return 255.0;
            };
            let (gx, gy) = (x % 12, y);
            if gx == 0 || gx == 11 || gy == 0 || gy == 11 {
                return 255.0;
            }
            // a 10×10 pattern from the character's code point
            let mut h = u64::from(*c as u32).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            h ^= h >> 29;
            let bit = ((gy - 1) * 10 + (gx - 1)) % 64;
            if (h >> bit) & 1 == 1 { 0.0 } else { 255.0 }
        })
    }

    fn at(&self, x: isize, y: isize) -> Option<f64> {
        (x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height)
            .then(|| f64::from(self.pixels[y as usize * self.width + x as usize]))
    }
}

/// The size of the card photo and of the camera's pictures.
pub const WIDTH: usize = 64;
pub const HEIGHT: usize = 80;

/// One person's face: everything that makes it theirs, drawn from a seed.
#[derive(Clone, Debug)]
pub struct Face {
    rx: f64,
    ry: f64,
    eye_dx: f64,
    eye_y: f64,
    eye_r: f64,
    nose: f64,
    mouth_y: f64,
    mouth_w: f64,
    skin: f64,
    hair: f64,
    /// The person's own shading: a few waves across the face.
    waves: Vec<(f64, f64, f64, f64)>,
}

/// How a picture is taken: where the face sits, the light, the sensor.
#[derive(Clone, Copy, Debug)]
struct Shot {
    dx: f64,
    dy: f64,
    gain: f64,
    offset: f64,
    noise: f64,
    seed: u64,
}

impl Shot {
    /// The card photo: centred, even light, no noise.
    const STUDIO: Shot = Shot {
        dx: 0.0,
        dy: 0.0,
        gain: 1.0,
        offset: 0.0,
        noise: 0.0,
        seed: 0,
    };

    fn random(rng: &mut ChaCha8Rng) -> Self {
        Self {
            // whole pixels: the camera's grid, not a resampling of the face
            dx: f64::from(rng.random_range(-3i8..=3)),
            dy: f64::from(rng.random_range(-3i8..=3)),
            gain: rng.random_range(0.8..1.2),
            offset: rng.random_range(-15.0..15.0),
            noise: 6.0,
            seed: rng.random(),
        }
    }
}

impl Face {
    /// The face of the person with this seed.
    pub fn of(seed: u64) -> Self {
        let mut r = ChaCha8Rng::seed_from_u64(seed ^ 0x6661_6365);
        Self {
            rx: r.random_range(19.0..25.0),
            ry: r.random_range(25.0..31.0),
            eye_dx: r.random_range(7.0..11.0),
            eye_y: r.random_range(-9.0..-4.0),
            eye_r: r.random_range(2.0..3.5),
            nose: r.random_range(5.0..10.0),
            mouth_y: r.random_range(10.0..16.0),
            mouth_w: r.random_range(5.0..11.0),
            skin: r.random_range(140.0..200.0),
            hair: r.random_range(20.0..90.0),
            waves: (0..6)
                .map(|_| {
                    (
                        r.random_range(0.08..0.45),
                        r.random_range(0.0..std::f64::consts::TAU),
                        r.random_range(0.0..std::f64::consts::TAU),
                        r.random_range(15.0..30.0),
                    )
                })
                .collect(),
        }
    }

    /// The brightness of the face at (u, v) from its centre; `None` outside it.
    fn shade(&self, u: f64, v: f64) -> Option<f64> {
        let inside = (u / self.rx).powi(2) + (v / self.ry).powi(2);
        if inside > 1.0 {
            return None;
        }
        if v < -self.ry * 0.55 {
            return Some(self.hair);
        }
        let mut s = self.skin;
        for (k, angle, phase, amp) in &self.waves {
            s += amp * (k * (u * angle.cos() + v * angle.sin()) + phase).sin();
        }
        let eye = |ex: f64| ((u - ex).powi(2) + (v - self.eye_y).powi(2)).sqrt() < self.eye_r;
        if eye(-self.eye_dx) || eye(self.eye_dx) {
            s = 30.0;
        } else if u.abs() < 1.5 && v > self.eye_y + 2.0 && v < self.eye_y + 2.0 + self.nose {
            s -= 40.0;
        } else if u.abs() < self.mouth_w && (v - self.mouth_y).abs() < 1.5 {
            s = 60.0;
        }
        Some(s)
    }

    fn picture(&self, shot: Shot, background: f64) -> Gray {
        let mut noise = ChaCha8Rng::seed_from_u64(shot.seed);
        let (cx, cy) = (WIDTH as f64 / 2.0 + shot.dx, HEIGHT as f64 / 2.0 + shot.dy);
        let mut g = Gray::new(WIDTH, HEIGHT, |x, y| {
            let s = self.shade(x - cx, y - cy).unwrap_or(background);
            s * shot.gain + shot.offset
        });
        if shot.noise > 0.0 {
            for p in &mut g.pixels {
                let n = noise.random_range(-shot.noise..shot.noise);
                *p = (f64::from(*p) + n).round().clamp(0.0, 255.0) as u8;
            }
        }
        g
    }

    /// The photo printed on and stored in the card: frontal, even light, plain background.
    pub fn photo(&self) -> Gray {
        self.picture(Shot::STUDIO, 230.0)
    }

    /// How near each point of the face is to a depth camera (a live head is round).
    fn depth(&self, shot: Shot) -> Gray {
        let (cx, cy) = (WIDTH as f64 / 2.0 + shot.dx, HEIGHT as f64 / 2.0 + shot.dy);
        Gray::new(WIDTH, HEIGHT, |x, y| {
            let (u, v) = ((x - cx) / self.rx, (y - cy) / self.ry);
            let r = u * u + v * v;
            if r > 1.0 {
                0.0
            } else {
                120.0 + 100.0 * (1.0 - r).sqrt()
            }
        })
    }
}

/// Who or what is in front of the face reader's camera.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scene {
    /// A person: the face of this seed.
    Person(u64),
    /// Nobody: the waiting room behind the reader.
    Nobody,
    /// A photograph held up to the camera: this picture, on flat paper.
    Photograph(Gray),
}

/// One shot of the camera: the visible picture and the depth picture (0 = far).
#[derive(Clone, Debug)]
pub struct Frame {
    pub visible: Gray,
    pub depth: Gray,
}

/// The camera's shot number `shot` of `scene` (each shot differs: position, light, noise).
pub fn capture(scene: &Scene, shot: u64) -> Frame {
    let mut rng = ChaCha8Rng::seed_from_u64(shot ^ 0x63_616d);
    let s = Shot::random(&mut rng);
    match scene {
        Scene::Person(seed) => {
            let face = Face::of(*seed);
            Frame {
                visible: face.picture(s, 90.0),
                depth: face.depth(s),
            }
        }
        Scene::Nobody => Frame {
            visible: Gray::new(WIDTH, HEIGHT, |x, y| {
                (90.0 + 30.0 * ((x + y) / 40.0).sin()) * s.gain + s.offset
            }),
            depth: Gray::new(WIDTH, HEIGHT, |_, _| 0.0),
        },
        Scene::Photograph(p) => {
            let mut noise = ChaCha8Rng::seed_from_u64(s.seed);
            let (dx, dy) = (s.dx.round() as isize, s.dy.round() as isize);
            let visible = Gray::new(WIDTH, HEIGHT, |x, y| {
                let v = p.at(x as isize - dx, y as isize - dy).unwrap_or(90.0);
                v * s.gain + s.offset + noise.random_range(-s.noise..s.noise)
            });
            // flat paper, held a little tilted
            let depth = Gray::new(WIDTH, HEIGHT, |x, _| 150.0 + (x - WIDTH as f64 / 2.0) * 0.4);
            Frame { visible, depth }
        }
    }
}

/// What the reader decides, and why.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// The face is the photo's (the score is the best correlation found).
    Matched(f64),
    /// A live face, not the photo's.
    Different(f64),
    /// No face in front of the camera.
    NoFace,
    /// A face without relief: a photograph or a screen.
    NotLive,
}

/// The correlation a face must reach to be the photo's. Same person, any shot: ≥ 0.9; two
/// people: ≤ 0.8 (see the tests).
pub const MATCH_AT: f64 = 0.85;

/// The reader's decision: a face must be near the camera, have a live face's relief, and
/// correlate with the card photo at some small shift.
pub fn compare(photo: &Gray, frame: &Frame) -> Verdict {
    let d = &frame.depth;
    let near: Vec<(usize, usize)> = (0..d.height)
        .flat_map(|y| (0..d.width).map(move |x| (x, y)))
        .filter(|&(x, y)| d.pixels[y * d.width + x] > 60)
        .collect();
    if near.len() < d.width * d.height / 6 {
        return Verdict::NoFace;
    }
    // relief: the centre of a head is nearer than its rim; a flat sheet's centre is not
    let (sx, sy) = near.iter().fold((0, 0), |(a, b), &(x, y)| (a + x, b + y));
    let (cx, cy) = (sx / near.len(), sy / near.len());
    let centre = f64::from(d.pixels[cy * d.width + cx]);
    let rim: Vec<f64> = near
        .iter()
        .filter(|&&(x, y)| {
            let dark = |x: isize, y: isize| d.at(x, y).is_none_or(|v| v <= 60.0);
            let (x, y) = (x as isize, y as isize);
            dark(x - 1, y) || dark(x + 1, y) || dark(x, y - 1) || dark(x, y + 1)
        })
        .map(|&(x, y)| f64::from(d.pixels[y * d.width + x]))
        .collect();
    let rim = rim.iter().sum::<f64>() / rim.len().max(1) as f64;
    if centre - rim < 40.0 {
        return Verdict::NotLive;
    }
    let best = (-5..=5)
        .flat_map(|dy| (-5..=5).map(move |dx| (dx, dy)))
        .map(|(dx, dy)| correlation(photo, &frame.visible, dx, dy))
        .fold(f64::MIN, f64::max);
    if best >= MATCH_AT {
        Verdict::Matched(best)
    } else {
        Verdict::Different(best)
    }
}

/// Normalised cross-correlation of the inner face region of `photo` with `seen` shifted by
/// (dx, dy): light and contrast do not count, shape and shading do.
fn correlation(photo: &Gray, seen: &Gray, dx: isize, dy: isize) -> f64 {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    // the inner face: away from the background, which differs between photo and camera
    for y in 28..56isize {
        for x in 18..46isize {
            if let (Some(p), Some(s)) = (photo.at(x, y), seen.at(x + dx, y + dy)) {
                a.push(p);
                b.push(s);
            }
        }
    }
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (p, s) in a.iter().zip(&b) {
        sab += (p - ma) * (s - mb);
        saa += (p - ma).powi(2);
        sbb += (s - mb).powi(2);
    }
    if saa == 0.0 || sbb == 0.0 {
        return 0.0;
    }
    sab / (saa * sbb).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(photo_of: u64, scene: &Scene, shot: u64) -> Verdict {
        compare(&Face::of(photo_of).photo(), &capture(scene, shot))
    }

    #[test]
    fn the_holder_matches_their_photo_in_any_shot() {
        for person in 0..24 {
            for shot in 0..8 {
                let v = verdict(person, &Scene::Person(person), shot);
                assert!(
                    matches!(v, Verdict::Matched(s) if s >= 0.9),
                    "person {person} shot {shot}: {v:?}"
                );
            }
        }
    }

    #[test]
    fn another_person_never_matches() {
        let mut worst: f64 = 0.0;
        for a in 0..24 {
            for b in 0..24 {
                if a == b {
                    continue;
                }
                match verdict(a, &Scene::Person(b), a * 24 + b) {
                    Verdict::Different(s) => worst = worst.max(s),
                    v => panic!("{a} vs {b}: {v:?}"),
                }
            }
        }
        assert!(worst <= 0.8, "closest two people correlate {worst}");
    }

    /// Worlds draw face seeds from the whole u64 range: the margins hold there too.
    #[test]
    fn the_margins_hold_for_seeds_drawn_from_the_whole_range() {
        let mut r = ChaCha8Rng::seed_from_u64(2026);
        let seeds: Vec<u64> = (0..48).map(|_| r.random()).collect();
        for (i, s) in seeds.iter().enumerate() {
            let v = verdict(*s, &Scene::Person(*s), i as u64);
            assert!(matches!(v, Verdict::Matched(x) if x >= 0.88), "{s}: {v:?}");
            let other = seeds[(i + 1) % seeds.len()];
            let v = verdict(*s, &Scene::Person(other), i as u64);
            assert!(
                matches!(v, Verdict::Different(x) if x <= 0.82),
                "{s} vs {other}: {v:?}"
            );
        }
    }

    #[test]
    fn nobody_is_no_face_and_a_photograph_is_not_live() {
        for shot in 0..10 {
            assert_eq!(verdict(3, &Scene::Nobody, shot), Verdict::NoFace);
            let held_up = Scene::Photograph(Face::of(3).photo());
            assert_eq!(verdict(3, &held_up, shot), Verdict::NotLive);
        }
    }

    #[test]
    fn photos_are_the_persons_own_and_repeatable() {
        assert_eq!(Face::of(5).photo(), Face::of(5).photo());
        assert_ne!(Face::of(5).photo(), Face::of(6).photo());
        let p = Face::of(5).photo();
        assert_eq!(p.pixels.len(), WIDTH * HEIGHT);
    }
}
