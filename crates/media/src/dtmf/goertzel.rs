//! In-band DTMF detection in 8 kHz linear audio (ITU-T Q.24), sans-IO, and the Goertzel
//! filter it is built on (also handy for measuring any single tone).
//!
//! The audio is cut into blocks of [`BLOCK_LEN`] samples (12.75 ms, short enough that a
//! 40 ms digit fills two whole blocks however it is aligned). Each block is measured at
//! the eight keypad frequencies, and it holds a digit when the strongest row and column
//! tones are loud enough, close enough in level (twist), clearly above the other tones of
//! their group, and together carry most of the block's energy, which is what speech and
//! noise do not do. A digit is reported once it holds for two blocks in a row, and not
//! again until it has been absent for two blocks.

use super::{Digit, COLUMN_FREQUENCIES, ROW_FREQUENCIES};

/// The sample rate the detector expects.
pub const SAMPLE_RATE: u32 = 8000;

/// Samples per analysis block: the usual compromise between the frequency resolution
/// the keypad needs (its closest tones are 73 Hz apart) and time resolution.
pub const BLOCK_LEN: usize = 102;

/// The weakest tone, as a peak amplitude, that counts: about -35 dBm0 in G.711 terms.
const MIN_TONE_AMPLITUDE: f64 = 400.0;

/// How much weaker (in power) the column tone may be than the row tone: 8 dB, as lines
/// attenuate high frequencies more.
const NORMAL_TWIST: f64 = 6.31;

/// How much weaker the row tone may be than the column tone: 4 dB.
const REVERSE_TWIST: f64 = 2.51;

/// How far (in power) the chosen tone must stand above the others of its group: 6 dB.
const RELATIVE_PEAK: f64 = 3.98;

/// The share of the block's energy the two tones must carry together.
const MIN_TONE_SHARE: f64 = 0.75;

/// Consecutive blocks a digit must hold for, and be absent for before it counts again.
const CONFIRM_BLOCKS: u8 = 2;

/// A Goertzel filter: the power of one frequency in the samples fed so far.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Goertzel {
    /// 2·cos(2πf/fs).
    coefficient: f64,
    /// The filter's last two outputs.
    s1: f64,
    s2: f64,
    /// Samples fed since the last reset.
    count: usize,
}

impl Goertzel {
    /// A filter for `frequency` Hz in audio sampled at `sample_rate` Hz. The frequency
    /// need not fall on a DFT bin.
    pub fn new(frequency: f64, sample_rate: u32) -> Goertzel {
        let omega = 2.0 * std::f64::consts::PI * frequency / f64::from(sample_rate);
        Goertzel { coefficient: 2.0 * omega.cos(), s1: 0.0, s2: 0.0, count: 0 }
    }

    /// Feeds one sample.
    pub fn push(&mut self, sample: f64) {
        let s0 = sample + self.coefficient * self.s1 - self.s2;
        self.s2 = self.s1;
        self.s1 = s0;
        self.count += 1;
    }

    /// Feeds samples.
    pub fn feed(&mut self, samples: &[i16]) {
        for &sample in samples {
            self.push(f64::from(sample));
        }
    }

    /// The squared magnitude of the frequency's DFT term over the samples fed so far.
    pub fn power(&self) -> f64 {
        self.s1 * self.s1 + self.s2 * self.s2 - self.coefficient * self.s1 * self.s2
    }

    /// The peak amplitude of a sine at the filter's frequency that would give this power:
    /// a level reading independent of how many samples were fed.
    pub fn amplitude(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        2.0 * self.power().sqrt() / self.count as f64
    }

    /// Forgets the samples fed so far.
    pub fn reset(&mut self) {
        *self = Goertzel { coefficient: self.coefficient, s1: 0.0, s2: 0.0, count: 0 };
    }
}

/// Detects DTMF digits in a stream of 8 kHz samples fed in frames of any size.
#[derive(Debug, Clone)]
pub struct DtmfDetector {
    /// One filter per row tone.
    rows: [Goertzel; 4],
    /// One filter per column tone.
    columns: [Goertzel; 4],
    /// The sum of squares of the current block.
    energy: f64,
    /// Samples in the current block.
    filled: usize,
    /// The digit the previous block held, if any.
    previous: Option<Digit>,
    /// The digit last reported, until it has been absent for [`CONFIRM_BLOCKS`].
    reported: Option<Digit>,
    /// Consecutive blocks without the reported digit.
    absent: u8,
}

impl Default for DtmfDetector {
    fn default() -> Self {
        DtmfDetector::new()
    }
}

impl DtmfDetector {
    /// A detector that has heard nothing yet.
    pub fn new() -> DtmfDetector {
        let filter = |frequency: f32| Goertzel::new(f64::from(frequency), SAMPLE_RATE);
        DtmfDetector {
            rows: ROW_FREQUENCIES.map(filter),
            columns: COLUMN_FREQUENCIES.map(filter),
            energy: 0.0,
            filled: 0,
            previous: None,
            reported: None,
            absent: 0,
        }
    }

    /// Feeds samples and appends each newly detected digit to `digits`.
    pub fn process(&mut self, samples: &[i16], digits: &mut Vec<Digit>) {
        for &sample in samples {
            let sample = f64::from(sample);
            for filter in self.rows.iter_mut().chain(&mut self.columns) {
                filter.push(sample);
            }
            self.energy += sample * sample;
            self.filled += 1;
            if self.filled == BLOCK_LEN {
                self.end_block(digits);
            }
        }
    }

    /// Forgets everything heard, as at the start of a new stream.
    pub fn reset(&mut self) {
        *self = DtmfDetector::new();
    }

    /// The digit reported last, while it lasts: until it has been absent for two blocks.
    /// Its disappearance is when the key was released.
    pub fn held(&self) -> Option<Digit> {
        self.reported
    }

    /// Classifies the finished block, reports a confirmed digit, and starts a new block.
    fn end_block(&mut self, digits: &mut Vec<Digit>) {
        let hit = self.classify();
        for filter in self.rows.iter_mut().chain(&mut self.columns) {
            filter.reset();
        }
        self.energy = 0.0;
        self.filled = 0;

        if hit.is_some() && hit == self.reported {
            self.absent = 0;
        } else {
            self.absent = self.absent.saturating_add(1);
            if self.absent >= CONFIRM_BLOCKS {
                self.reported = None;
            }
        }
        if let Some(digit) = hit.filter(|_| hit == self.previous && hit != self.reported) {
            digits.push(digit);
            self.reported = hit;
            self.absent = 0;
        }
        self.previous = hit;
    }

    /// The digit the current block holds, if it passes every check.
    fn classify(&self) -> Option<Digit> {
        let (row, row_power) = strongest(&self.rows);
        let (column, column_power) = strongest(&self.columns);
        let min_power = (MIN_TONE_AMPLITUDE * BLOCK_LEN as f64 / 2.0).powi(2);
        let loud_enough = row_power >= min_power && column_power >= min_power;
        let twist_ok = row_power <= column_power * NORMAL_TWIST && column_power <= row_power * REVERSE_TWIST;
        let peaks_ok = stands_out(&self.rows, row) && stands_out(&self.columns, column);
        // A sine of amplitude A gives a power of (A·N/2)² for an energy of N·A²/2.
        let tone_energy = (row_power + column_power) * 2.0 / BLOCK_LEN as f64;
        let dominant = tone_energy >= MIN_TONE_SHARE * self.energy;
        if loud_enough && twist_ok && peaks_ok && dominant {
            Digit::from_keypad(row, column)
        } else {
            None
        }
    }
}

/// The index and power of the strongest of a group's filters.
fn strongest(filters: &[Goertzel; 4]) -> (usize, f64) {
    filters.iter().map(Goertzel::power).enumerate().fold(
        (0, f64::MIN),
        |best, (i, power)| {
            if power > best.1 {
                (i, power)
            } else {
                best
            }
        },
    )
}

/// Whether filter `chosen` is [`RELATIVE_PEAK`] above every other filter of its group.
fn stands_out(filters: &[Goertzel; 4], chosen: usize) -> bool {
    let peak = filters[chosen].power();
    filters.iter().enumerate().all(|(i, filter)| i == chosen || filter.power() * RELATIVE_PEAK <= peak)
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::f64::consts::PI;

    /// A deterministic noise source (xorshift), so the tests need no `rand` and never flake.
    struct Noise(u64);

    impl Noise {
        fn new(seed: u64) -> Noise {
            Noise(seed | 1)
        }

        /// Uniform noise in `-amplitude..amplitude`.
        fn next(&mut self, amplitude: f64) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            ((self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) * amplitude
        }
    }

    /// `len` samples of a sum of sines, each `(frequency, amplitude)`, plus uniform noise.
    fn signal(tones: &[(f64, f64)], len: usize, noise: &mut Noise, noise_amplitude: f64) -> Vec<i16> {
        (0..len)
            .map(|n| {
                let t = n as f64 / f64::from(SAMPLE_RATE);
                let tone: f64 = tones.iter().map(|&(f, a)| a * (2.0 * PI * f * t).sin()).sum();
                (tone + noise.next(noise_amplitude)).round().clamp(-32768.0, 32767.0) as i16
            })
            .collect()
    }

    /// A digit's two tones at the given amplitudes.
    fn keypress(digit: Digit, row_amplitude: f64, column_amplitude: f64, ms: usize, noise: &mut Noise) -> Vec<i16> {
        let (low, high) = digit.frequencies();
        let tones = [(f64::from(low), row_amplitude), (f64::from(high), column_amplitude)];
        signal(&tones, ms * 8, noise, 300.0)
    }

    fn silence(ms: usize, noise: &mut Noise) -> Vec<i16> {
        signal(&[], ms * 8, noise, 300.0)
    }

    /// Runs audio through a fresh detector in 20 ms frames.
    fn detect(audio: &[i16]) -> String {
        let mut detector = DtmfDetector::new();
        let mut digits = Vec::new();
        for frame in audio.chunks(160) {
            detector.process(frame, &mut digits);
        }
        digits.iter().map(|d| d.as_char()).collect()
    }

    #[test]
    fn goertzel_reads_the_amplitude_of_its_frequency() {
        let audio = signal(&[(1000.0, 5000.0), (1400.0, 2000.0)], 800, &mut Noise::new(1), 0.0);
        let mut at_1000 = Goertzel::new(1000.0, SAMPLE_RATE);
        let mut at_1400 = Goertzel::new(1400.0, SAMPLE_RATE);
        let mut at_1800 = Goertzel::new(1800.0, SAMPLE_RATE);
        for filter in [&mut at_1000, &mut at_1400, &mut at_1800] {
            filter.feed(&audio);
        }
        assert!((at_1000.amplitude() - 5000.0).abs() < 50.0, "{}", at_1000.amplitude());
        assert!((at_1400.amplitude() - 2000.0).abs() < 50.0, "{}", at_1400.amplitude());
        assert!(at_1800.amplitude() < 50.0, "{}", at_1800.amplitude());
        at_1000.reset();
        assert_eq!(at_1000.amplitude(), 0.0);
    }

    #[test]
    fn each_of_the_sixteen_digits_is_detected_once() {
        let mut noise = Noise::new(7);
        let mut audio = silence(60, &mut noise);
        for digit in Digit::ALL {
            audio.extend(keypress(digit, 6000.0, 6000.0, 100, &mut noise));
            audio.extend(silence(100, &mut noise));
        }
        assert_eq!(detect(&audio), "0123456789*#ABCD");
    }

    #[test]
    fn the_shortest_q24_digits_and_gaps_are_enough() {
        // 40 ms on, 40 ms off, starting at every offset within a block.
        let mut noise = Noise::new(11);
        for offset in (0..BLOCK_LEN).step_by(17) {
            let mut audio = vec![0; offset];
            for c in "159#D".chars() {
                let digit = Digit::from_char(c).unwrap();
                audio.extend(keypress(digit, 3000.0, 3000.0, 40, &mut noise));
                audio.extend(silence(40, &mut noise));
            }
            assert_eq!(detect(&audio), "159#D", "offset {offset}");
        }
    }

    #[test]
    fn a_held_digit_is_reported_once_and_a_repeat_after_a_gap_again() {
        let mut noise = Noise::new(3);
        let five = Digit::from_char('5').unwrap();
        let mut audio = keypress(five, 5000.0, 5000.0, 2000, &mut noise);
        audio.extend(silence(50, &mut noise));
        audio.extend(keypress(five, 5000.0, 5000.0, 80, &mut noise));
        assert_eq!(detect(&audio), "55");
    }

    #[test]
    fn a_short_dropout_does_not_split_a_digit() {
        let mut noise = Noise::new(5);
        let eight = Digit::from_char('8').unwrap();
        let mut audio = keypress(eight, 5000.0, 5000.0, 100, &mut noise);
        // 5 ms of nothing spoils at most one block.
        audio.extend(vec![0; 40]);
        audio.extend(keypress(eight, 5000.0, 5000.0, 100, &mut noise));
        assert_eq!(detect(&audio), "8");
    }

    #[test]
    fn moderate_twist_and_level_are_tolerated() {
        let mut noise = Noise::new(13);
        let mut audio = Vec::new();
        // Column 6 dB down, column 3 dB up, both weak (-28 dBm0 or so).
        audio.extend(keypress(Digit::from_char('1').unwrap(), 8000.0, 4000.0, 100, &mut noise));
        audio.extend(silence(100, &mut noise));
        audio.extend(keypress(Digit::from_char('2').unwrap(), 4000.0, 5650.0, 100, &mut noise));
        audio.extend(silence(100, &mut noise));
        audio.extend(keypress(Digit::from_char('3').unwrap(), 900.0, 900.0, 100, &mut noise));
        assert_eq!(detect(&audio), "123");
    }

    #[test]
    fn excessive_twist_and_faint_tones_are_ignored() {
        let mut noise = Noise::new(17);
        let mut audio = keypress(Digit::from_char('4').unwrap(), 8000.0, 2000.0, 200, &mut noise);
        audio.extend(keypress(Digit::from_char('6').unwrap(), 2000.0, 6000.0, 200, &mut noise));
        audio.extend(signal(&[(770.0, 200.0), (1477.0, 200.0)], 1600, &mut noise, 0.0));
        assert_eq!(detect(&audio), "");
    }

    #[test]
    fn silence_noise_and_single_tones_give_nothing() {
        let mut noise = Noise::new(19);
        assert_eq!(detect(&vec![0; 8000]), "");
        assert_eq!(detect(&signal(&[], 16000, &mut noise, 12000.0)), "");
        for frequency in ROW_FREQUENCIES.iter().chain(&COLUMN_FREQUENCIES).map(|&f| f64::from(f)).chain([1000.0, 440.0])
        {
            let audio = signal(&[(frequency, 10000.0)], 4000, &mut noise, 300.0);
            assert_eq!(detect(&audio), "", "{frequency} Hz");
        }
        // Two tones of the same group are not a digit either.
        assert_eq!(detect(&signal(&[(697.0, 6000.0), (852.0, 6000.0)], 4000, &mut noise, 0.0)), "");
        assert_eq!(detect(&signal(&[(1209.0, 6000.0), (1477.0, 6000.0)], 4000, &mut noise, 0.0)), "");
    }

    #[test]
    fn speech_like_audio_gives_nothing() {
        // Voiced sound: a gliding fundamental with many harmonics shaped by two moving
        // formants, amplitude-modulated at a syllable rate, plus breath noise.
        let mut noise = Noise::new(23);
        let mut phase = 0.0;
        let audio: Vec<i16> = (0..8000 * 10)
            .map(|n| {
                let t = f64::from(n) / f64::from(SAMPLE_RATE);
                let pitch = 110.0 + 60.0 * (2.0 * PI * 0.7 * t).sin() + 20.0 * (2.0 * PI * 3.1 * t).sin();
                phase += 2.0 * PI * pitch / f64::from(SAMPLE_RATE);
                let formant1 = 600.0 + 250.0 * (2.0 * PI * 1.3 * t).sin();
                let formant2 = 1400.0 + 500.0 * (2.0 * PI * 0.9 * t).cos();
                let voiced: f64 = (1..=30)
                    .map(|k| {
                        let f = pitch * f64::from(k);
                        let weight = 1.0 / (1.0 + ((f - formant1) / 150.0).powi(2))
                            + 0.6 / (1.0 + ((f - formant2) / 200.0).powi(2));
                        weight * (f64::from(k) * phase).sin()
                    })
                    .sum();
                let envelope = 0.55 + 0.45 * (2.0 * PI * 4.0 * t).sin();
                (envelope * (6000.0 * voiced + noise.next(800.0))).clamp(-32768.0, 32767.0) as i16
            })
            .collect();
        assert_eq!(detect(&audio), "");
    }

    #[test]
    fn frames_of_any_size_give_the_same_digits() {
        let mut noise = Noise::new(29);
        let mut audio = Vec::new();
        for c in "*0#".chars() {
            audio.extend(keypress(Digit::from_char(c).unwrap(), 5000.0, 5000.0, 60, &mut noise));
            audio.extend(silence(60, &mut noise));
        }
        for frame in [1, 7, 102, 160, 1000, audio.len()] {
            let mut detector = DtmfDetector::new();
            let mut digits = Vec::new();
            for chunk in audio.chunks(frame) {
                detector.process(chunk, &mut digits);
            }
            let found: String = digits.iter().map(|d| d.as_char()).collect();
            assert_eq!(found, "*0#", "frames of {frame}");
        }
    }
}
