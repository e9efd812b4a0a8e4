//! The sounds directory prompts are played from, laid out as Asterisk's is
//! (`DIR/en/digits/1.ulaw`, `DIR/hello-world.wav`): finding a prompt by name and language,
//! and reading it as 8 kHz 16-bit samples.
//!
//! Formats, in order of preference: `wav` (16-bit mono PCM; 8 kHz, or a multiple of it up
//! to 48 kHz, brought down to 8 kHz by a low-pass filter and decimation), then raw headerless G.711
//! `ulaw` and `alaw`. Prompts are short, so they are read whole.

use std::f64::consts::PI;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::{check_name, NameError};
use crate::codec::{g711, Codec};
use crate::SAMPLE_RATE;

/// The language tried when none is asked for.
pub const DEFAULT_LANGUAGE: &str = "en";

/// The highest WAV rate read, as a multiple of 8 kHz: 48 kHz.
const MAX_DECIMATION: u32 = 6;

/// The longest sound read, so a stray huge file cannot exhaust memory: an hour.
const MAX_SOUND_SECONDS: u64 = 3600;

/// A prompt file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SoundFormat {
    /// RIFF WAVE, 16-bit mono PCM.
    Wav,
    /// Raw G.711 µ-law.
    Ulaw,
    /// Raw G.711 A-law.
    Alaw,
}

impl SoundFormat {
    /// Formats in the order a prompt is looked for.
    pub const PREFERENCE: [SoundFormat; 3] = [SoundFormat::Wav, SoundFormat::Ulaw, SoundFormat::Alaw];

    /// The file extensions of the format, as Asterisk names them.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Self::Wav => &["wav"],
            Self::Ulaw => &["ulaw", "ul"],
            Self::Alaw => &["alaw", "al"],
        }
    }
}

/// Why a sound could not be played.
#[derive(Debug, Error)]
pub enum SoundError {
    /// The name would leave the sounds directory.
    #[error(transparent)]
    Name(#[from] NameError),
    /// The language is not a plain language tag (`en`, `fr_FR`...).
    #[error("{0:?} is not a language tag")]
    BadLanguage(String),
    /// No file of any format for the name, in the language or without one.
    #[error("no sound {name:?} for language {language:?}")]
    NotFound {
        /// The sound asked for.
        name: String,
        /// The language looked in.
        language: String,
    },
    /// The file exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The file is not a valid WAV file.
    #[error("{path} is not a valid WAV file: {source}")]
    BadWav {
        /// The file.
        path: PathBuf,
        /// What the WAV reader said.
        source: hound::Error,
    },
    /// A valid file this library cannot play: stereo, not 16-bit, an odd rate, or too long.
    #[error("{path} cannot be played: {reason}")]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// A prompt found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoundFile {
    /// Where it is.
    pub path: PathBuf,
    /// How it is encoded.
    pub format: SoundFormat,
}

impl SoundFile {
    /// Reads the whole file as 8 kHz mono 16-bit samples.
    pub fn read(&self) -> Result<Vec<i16>, SoundError> {
        match self.format {
            SoundFormat::Wav => read_wav(&self.path),
            SoundFormat::Ulaw => read_raw(&self.path, &g711::PCMU),
            SoundFormat::Alaw => read_raw(&self.path, &g711::PCMA),
        }
    }
}

/// The prompts under one sounds directory.
#[derive(Debug, Clone)]
pub struct SoundLibrary {
    dir: PathBuf,
}

impl SoundLibrary {
    /// The library rooted at `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory it reads from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Finds `name` in `language` (default `en`): `DIR/LANG/NAME.EXT` first, then
    /// `DIR/NAME.EXT`, each in format preference order.
    pub fn resolve(&self, name: &str, language: Option<&str>) -> Result<SoundFile, SoundError> {
        check_name(name)?;
        let language = language.unwrap_or(DEFAULT_LANGUAGE);
        if language.is_empty() || !language.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(SoundError::BadLanguage(language.to_owned()));
        }
        for dir in [self.dir.join(language), self.dir.clone()] {
            for format in SoundFormat::PREFERENCE {
                for extension in format.extensions() {
                    let path = dir.join(format!("{name}.{extension}"));
                    match fs::metadata(&path) {
                        Ok(metadata) if metadata.is_file() => return Ok(SoundFile { path, format }),
                        Ok(_) => {}
                        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                        Err(source) => return Err(SoundError::Unreadable { path, source }),
                    }
                }
            }
        }
        Err(SoundError::NotFound { name: name.to_owned(), language: language.to_owned() })
    }

    /// Finds and reads `name` in `language` as 8 kHz mono 16-bit samples.
    pub fn load(&self, name: &str, language: Option<&str>) -> Result<Vec<i16>, SoundError> {
        self.resolve(name, language)?.read()
    }
}

fn read_wav(path: &Path) -> Result<Vec<i16>, SoundError> {
    let wav_error = |source| match source {
        hound::Error::IoError(source) => SoundError::Unreadable { path: path.to_owned(), source },
        source => SoundError::BadWav { path: path.to_owned(), source },
    };
    let unsupported = |reason: String| SoundError::Unsupported { path: path.to_owned(), reason };
    let reader = hound::WavReader::open(path).map_err(wav_error)?;
    let spec = reader.spec();
    if spec.channels != 1 || spec.bits_per_sample != 16 || spec.sample_format != hound::SampleFormat::Int {
        return Err(unsupported(format!(
            "{} channels of {}-bit {:?} samples, expected mono 16-bit PCM",
            spec.channels, spec.bits_per_sample, spec.sample_format
        )));
    }
    let factor = spec.sample_rate / SAMPLE_RATE;
    if !(1..=MAX_DECIMATION).contains(&factor) || spec.sample_rate % SAMPLE_RATE != 0 {
        return Err(unsupported(format!("{} Hz is not 8, 16, 24, 32, 40 or 48 kHz", spec.sample_rate)));
    }
    if u64::from(reader.duration()) > MAX_SOUND_SECONDS * u64::from(spec.sample_rate) {
        return Err(unsupported(format!("longer than {MAX_SOUND_SECONDS} s")));
    }
    let samples = reader.into_samples::<i16>().collect::<Result<Vec<_>, _>>().map_err(wav_error)?;
    // At most MAX_DECIMATION.
    let factor = factor as usize;
    Ok(if factor == 1 { samples } else { decimate(&samples, factor) })
}

fn read_raw(path: &Path, codec: &dyn Codec) -> Result<Vec<i16>, SoundError> {
    let unreadable = |source| SoundError::Unreadable { path: path.to_owned(), source };
    let len = fs::metadata(path).map_err(unreadable)?.len();
    // One byte per sample at 8 kHz.
    if len > MAX_SOUND_SECONDS * u64::from(SAMPLE_RATE) {
        return Err(SoundError::Unsupported {
            path: path.to_owned(),
            reason: format!("longer than {MAX_SOUND_SECONDS} s"),
        });
    }
    let bytes = fs::read(path).map_err(unreadable)?;
    let mut samples = Vec::with_capacity(bytes.len());
    codec.decoder().decode(&bytes, &mut samples);
    Ok(samples)
}

/// Brings audio at `factor` × 8 kHz down to 8 kHz: a windowed-sinc low-pass below 4 kHz,
/// so what lies above does not fold back as aliasing, then every `factor`th sample.
fn decimate(samples: &[i16], factor: usize) -> Vec<i16> {
    let taps = low_pass_taps(factor);
    let half = taps.len() / 2;
    (0..samples.len())
        .step_by(factor)
        .map(|center| {
            let filtered: f64 = taps
                .iter()
                .enumerate()
                .filter_map(|(k, tap)| {
                    let index = (center + k).checked_sub(half)?;
                    samples.get(index).map(|&sample| tap * f64::from(sample))
                })
                .sum();
            // In range after the clamp.
            filtered.round().clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
        })
        .collect()
}

/// A Hamming-windowed sinc low-pass at 3.6 kHz for audio at `factor` × 8 kHz, unity gain.
fn low_pass_taps(factor: usize) -> Vec<f64> {
    // 3.6 kHz leaves the transition band room to fall before 4 kHz, the new Nyquist.
    let cutoff = 3600.0 / (f64::from(SAMPLE_RATE) * factor as f64);
    let len = 32 * factor + 1;
    let middle = (len / 2) as f64;
    let mut taps: Vec<f64> = (0..len)
        .map(|n| {
            let x = n as f64 - middle;
            let sinc = if x == 0.0 { 1.0 } else { (2.0 * PI * cutoff * x).sin() / (PI * x * 2.0 * cutoff) };
            let window = 0.54 - 0.46 * (2.0 * PI * n as f64 / (len - 1) as f64).cos();
            sinc * window
        })
        .collect();
    let sum: f64 = taps.iter().sum();
    taps.iter_mut().for_each(|tap| *tap /= sum);
    taps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sound::ScratchDir;

    fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[i16]) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(path, spec).unwrap();
        samples.iter().for_each(|&sample| writer.write_sample(sample).unwrap());
        writer.finalize().unwrap();
    }

    fn write_raw(path: &Path, bytes: &[u8]) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }

    #[test]
    fn prefers_the_language_then_the_format() {
        let scratch = ScratchDir::new("library-prefs");
        let dir = scratch.path();
        write_raw(&dir.join("en/digits/1.ulaw"), &[0xff]);
        write_wav(&dir.join("digits/1.wav"), 8000, 1, &[1]);
        write_wav(&dir.join("fr/digits/1.wav"), 8000, 1, &[2]);
        write_raw(&dir.join("fr/digits/1.alaw"), &[0xd5]);
        let library = SoundLibrary::new(dir);

        let english = library.resolve("digits/1", None).unwrap();
        assert_eq!((english.path, english.format), (dir.join("en/digits/1.ulaw"), SoundFormat::Ulaw));
        assert_eq!(library.load("digits/1", Some("fr")).unwrap(), [2]);
        assert_eq!(library.load("digits/1", Some("de")).unwrap(), [1], "no German: the unlocalised one");
        write_raw(&dir.join("hello.al"), &[0xd5, 0x55]);
        assert_eq!(library.load("hello", None).unwrap(), [8, -8]);
    }

    #[test]
    fn tells_missing_from_unusable() {
        let scratch = ScratchDir::new("library-errors");
        let dir = scratch.path();
        let library = SoundLibrary::new(dir);
        assert!(matches!(library.load("nothing", None), Err(SoundError::NotFound { .. })));
        assert!(matches!(library.load("../etc/passwd", None), Err(SoundError::Name(_))));
        assert!(matches!(library.load("x", Some("../en")), Err(SoundError::BadLanguage(_))));

        fs::create_dir_all(dir.join("en/folder.wav")).unwrap();
        assert!(matches!(library.load("folder", None), Err(SoundError::NotFound { .. })), "a directory is no sound");
        write_raw(&dir.join("garbage.wav"), b"RIFF not really");
        assert!(matches!(library.load("garbage", None), Err(SoundError::BadWav { .. })));
        write_wav(&dir.join("stereo.wav"), 8000, 2, &[0, 0]);
        assert!(matches!(library.load("stereo", None), Err(SoundError::Unsupported { .. })));
        write_wav(&dir.join("cd.wav"), 44_100, 1, &[0]);
        let error = library.load("cd", None).unwrap_err();
        assert!(error.to_string().contains("44100 Hz"), "{error}");
        write_wav(&dir.join("bat.wav"), 96_000, 1, &[0]);
        assert!(matches!(library.load("bat", None), Err(SoundError::Unsupported { .. })));
    }

    #[test]
    fn wideband_wav_is_filtered_down_to_8khz() {
        let scratch = ScratchDir::new("library-16k");
        let tone = |hz: f64, count: usize| -> Vec<i16> {
            (0..count).map(|n| (10_000.0 * (2.0 * PI * hz * n as f64 / 16_000.0).sin()).round() as i16).collect()
        };
        let peak = |samples: &[i16]| samples[200..samples.len() - 200].iter().map(|s| s.unsigned_abs()).max().unwrap();
        write_wav(&scratch.path().join("voice.wav"), 16_000, 1, &tone(1000.0, 3200));
        write_wav(&scratch.path().join("hiss.wav"), 16_000, 1, &tone(6000.0, 3200));
        let library = SoundLibrary::new(scratch.path());

        let voice = library.load("voice", None).unwrap();
        assert_eq!(voice.len(), 1600);
        assert!((9_500..=10_500).contains(&peak(&voice)), "1 kHz passes: {}", peak(&voice));
        // 6 kHz would fold back to 2 kHz; the filter takes it below 1 %.
        let hiss = library.load("hiss", None).unwrap();
        assert!(peak(&hiss) < 100, "6 kHz is filtered out: {}", peak(&hiss));
    }
}
