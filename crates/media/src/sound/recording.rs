//! Recordings: writing a call's audio to an 8 kHz mono 16-bit WAV file as it comes
//! ([`RecordingWriter`]), with the duration and trailing silence a `record` request stops
//! on; and the directory of stored recordings ARI lists, copies and deletes
//! ([`RecordingStore`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use thiserror::Error;

use super::{check_name, NameError};
use crate::SAMPLE_RATE;

/// The extension of stored recordings.
const EXTENSION: &str = "wav";

/// The format of every recording: what the media layer works in.
const SPEC: hound::WavSpec = hound::WavSpec {
    channels: 1,
    sample_rate: SAMPLE_RATE,
    bits_per_sample: 16,
    sample_format: hound::SampleFormat::Int,
};

/// What to do when a recording of that name exists already (ARI's `ifExists`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfExists {
    /// Refuse to record.
    Fail,
    /// Replace it.
    Overwrite,
    /// Record after its end.
    Append,
}

/// Why an `ifExists` value was not understood.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("ifExists must be fail, overwrite or append, not {0:?}")]
pub struct BadIfExists(pub String);

impl FromStr for IfExists {
    type Err = BadIfExists;

    fn from_str(value: &str) -> Result<Self, BadIfExists> {
        match value {
            "fail" => Ok(Self::Fail),
            "overwrite" => Ok(Self::Overwrite),
            "append" => Ok(Self::Append),
            other => Err(BadIfExists(other.to_owned())),
        }
    }
}

/// Why a recording could not be made or managed.
#[derive(Debug, Error)]
pub enum RecordingError {
    /// The name would leave the recordings directory.
    #[error(transparent)]
    Name(#[from] NameError),
    /// No such recording.
    #[error("recording {0:?} not found")]
    NotFound(String),
    /// The recording exists and may not be replaced.
    #[error("recording {0:?} already exists")]
    AlreadyExists(String),
    /// The file system refused.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The WAV reader or writer failed, or a file to append to is not a valid WAV file.
    #[error("{path}: {source}")]
    Wav {
        /// The file.
        path: PathBuf,
        /// What hound said.
        source: hound::Error,
    },
    /// A file to append to is not 8 kHz mono 16-bit PCM.
    #[error("{0} is not 8 kHz mono 16-bit PCM, cannot append to it")]
    WrongFormat(PathBuf),
}

/// A recording being written.
pub struct RecordingWriter {
    path: PathBuf,
    writer: hound::WavWriter<BufWriter<File>>,
    silence_threshold: u16,
    trailing_silent_samples: u64,
}

impl std::fmt::Debug for RecordingWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingWriter").field("path", &self.path).field("samples", &self.writer.len()).finish()
    }
}

/// Asterisk's default silence threshold (`dsp.conf`), on the mean absolute amplitude.
pub const DEFAULT_SILENCE_THRESHOLD: u16 = 256;

impl RecordingWriter {
    /// Starts recording to `path`, which must be in an existing directory.
    pub fn create(path: &Path, if_exists: IfExists) -> Result<Self, RecordingError> {
        let io_error = |source| RecordingError::Io { path: path.to_owned(), source };
        let wav_error = |source| RecordingError::Wav { path: path.to_owned(), source };
        let writer = match if_exists {
            IfExists::Append if path.exists() => {
                let writer = hound::WavWriter::append(path).map_err(wav_error)?;
                if writer.spec() != SPEC {
                    return Err(RecordingError::WrongFormat(path.to_owned()));
                }
                writer
            }
            IfExists::Overwrite => {
                let file = File::create(path).map_err(io_error)?;
                hound::WavWriter::new(BufWriter::new(file), SPEC).map_err(wav_error)?
            }
            IfExists::Fail | IfExists::Append => {
                // Create-new, so a recording made meanwhile is never clobbered.
                let file = OpenOptions::new().write(true).create_new(true).open(path).map_err(|source| {
                    if source.kind() == io::ErrorKind::AlreadyExists {
                        RecordingError::AlreadyExists(path.display().to_string())
                    } else {
                        io_error(source)
                    }
                })?;
                hound::WavWriter::new(BufWriter::new(file), SPEC).map_err(wav_error)?
            }
        };
        Ok(Self {
            path: path.to_owned(),
            writer,
            silence_threshold: DEFAULT_SILENCE_THRESHOLD,
            trailing_silent_samples: 0,
        })
    }

    /// Frames whose mean absolute amplitude is below `threshold` count as silence.
    pub fn set_silence_threshold(&mut self, threshold: u16) {
        self.silence_threshold = threshold;
    }

    /// Appends a frame of samples.
    pub fn write(&mut self, frame: &[i16]) -> Result<(), RecordingError> {
        for &sample in frame {
            self.writer
                .write_sample(sample)
                .map_err(|source| RecordingError::Wav { path: self.path.clone(), source })?;
        }
        if is_silent(frame, self.silence_threshold) {
            self.trailing_silent_samples += frame.len() as u64;
        } else {
            self.trailing_silent_samples = 0;
        }
        Ok(())
    }

    /// The length of the recording, including what it was appended to.
    pub fn duration(&self) -> Duration {
        samples_duration(u64::from(self.writer.duration()))
    }

    /// How long the recording has been silent at its end, for `maxSilenceSeconds`.
    pub fn trailing_silence(&self) -> Duration {
        samples_duration(self.trailing_silent_samples)
    }

    /// Where it is written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Completes the WAV header and closes the file; returns the recording's duration.
    pub fn finalize(self) -> Result<Duration, RecordingError> {
        let duration = self.duration();
        let path = self.path;
        self.writer.finalize().map_err(|source| RecordingError::Wav { path, source })?;
        Ok(duration)
    }
}

/// Whether a frame is silence: its mean absolute amplitude is below `threshold`, the
/// measure Asterisk's silence detector uses. An empty frame is silent.
pub fn is_silent(frame: &[i16], threshold: u16) -> bool {
    if frame.is_empty() {
        return true;
    }
    let total: u64 = frame.iter().map(|sample| u64::from(sample.unsigned_abs())).sum();
    total / (frame.len() as u64) < u64::from(threshold)
}

fn samples_duration(samples: u64) -> Duration {
    Duration::from_micros(samples * 1_000_000 / u64::from(SAMPLE_RATE))
}

/// The stored recordings in one directory: `DIR/NAME.wav`, names possibly with subdirectories.
#[derive(Debug, Clone)]
pub struct RecordingStore {
    dir: PathBuf,
}

impl RecordingStore {
    /// The store rooted at `dir`, which is created when first recorded to.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The file a recording of that name is stored in.
    pub fn path_of(&self, name: &str) -> Result<PathBuf, RecordingError> {
        check_name(name)?;
        Ok(self.dir.join(format!("{name}.{EXTENSION}")))
    }

    /// Starts recording `name`.
    pub fn create(&self, name: &str, if_exists: IfExists) -> Result<RecordingWriter, RecordingError> {
        let path = self.prepare_path(name)?;
        RecordingWriter::create(&path, if_exists).map_err(|error| match error {
            RecordingError::AlreadyExists(_) => RecordingError::AlreadyExists(name.to_owned()),
            other => other,
        })
    }

    /// The file of stored recording `name`: a regular file reached through real folders,
    /// never through a symbolic link, so what is found is what [`RecordingStore::list`]
    /// lists and nothing outside the directory.
    pub fn locate(&self, name: &str) -> Result<PathBuf, RecordingError> {
        let path = self.path_of(name)?;
        let components: Vec<&str> = name.split('/').collect();
        let mut at = self.dir.clone();
        for (index, component) in components.iter().enumerate() {
            let last = index + 1 == components.len();
            if last {
                at.push(format!("{component}.{EXTENSION}"));
            } else {
                at.push(component);
            }
            match fs::symlink_metadata(&at) {
                Ok(metadata) if (last && metadata.is_file()) || (!last && metadata.is_dir()) => {}
                Ok(_) => return Err(RecordingError::NotFound(name.to_owned())),
                Err(error) if matches!(error.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {
                    return Err(RecordingError::NotFound(name.to_owned()))
                }
                Err(source) => return Err(RecordingError::Io { path: at, source }),
            }
        }
        Ok(path)
    }

    /// Whether a recording of that name is stored.
    pub fn exists(&self, name: &str) -> Result<bool, RecordingError> {
        match self.locate(name) {
            Ok(_) => Ok(true),
            Err(RecordingError::NotFound(_)) => Ok(false),
            Err(other) => Err(other),
        }
    }

    /// The bytes of stored recording `name` (its whole WAV file).
    pub fn read(&self, name: &str) -> Result<Vec<u8>, RecordingError> {
        let path = self.locate(name)?;
        fs::read(&path).map_err(|error| not_found_or_io(error, name, &path))
    }

    /// The names of all stored recordings, sorted; none if the directory does not exist yet.
    pub fn list(&self) -> Result<Vec<String>, RecordingError> {
        let mut names = Vec::new();
        let mut pending = vec![(self.dir.clone(), String::new())];
        while let Some((dir, prefix)) = pending.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(source) => return Err(RecordingError::Io { path: dir, source }),
            };
            for entry in entries {
                let entry = entry.map_err(|source| RecordingError::Io { path: dir.clone(), source })?;
                let file_type =
                    entry.file_type().map_err(|source| RecordingError::Io { path: entry.path(), source })?;
                // Names that are not UTF-8 cannot be asked for over the API: left out.
                let Ok(file_name) = entry.file_name().into_string() else { continue };
                // Symbolic links are not followed: no loops, nothing outside the directory.
                if file_type.is_dir() {
                    pending.push((entry.path(), format!("{prefix}{file_name}/")));
                } else if file_type.is_file() {
                    let Some(stem) = file_name.strip_suffix(&format!(".{EXTENSION}")) else { continue };
                    let name = format!("{prefix}{stem}");
                    if check_name(&name).is_ok() {
                        names.push(name);
                    }
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// Copies recording `from` to a new recording `to`.
    pub fn copy(&self, from: &str, to: &str) -> Result<(), RecordingError> {
        let source_path = self.locate(from)?;
        let target_path = self.prepare_path(to)?;
        let mut source = File::open(&source_path).map_err(|error| not_found_or_io(error, from, &source_path))?;
        let mut target = OpenOptions::new().write(true).create_new(true).open(&target_path).map_err(|source| {
            if source.kind() == io::ErrorKind::AlreadyExists {
                RecordingError::AlreadyExists(to.to_owned())
            } else {
                RecordingError::Io { path: target_path.clone(), source }
            }
        })?;
        if let Err(source) = io::copy(&mut source, &mut target) {
            // Nothing half-written: a partial copy is no recording.
            drop(target);
            let _ = fs::remove_file(&target_path);
            return Err(RecordingError::Io { path: target_path, source });
        }
        Ok(())
    }

    /// Deletes recording `name`.
    pub fn delete(&self, name: &str) -> Result<(), RecordingError> {
        let path = self.locate(name)?;
        fs::remove_file(&path).map_err(|error| not_found_or_io(error, name, &path))
    }

    /// The path of `name`, with the directories it goes in created.
    fn prepare_path(&self, name: &str) -> Result<PathBuf, RecordingError> {
        let path = self.path_of(name)?;
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|source| RecordingError::Io { path: parent.to_owned(), source })?;
        }
        Ok(path)
    }
}

fn not_found_or_io(error: io::Error, name: &str, path: &Path) -> RecordingError {
    if error.kind() == io::ErrorKind::NotFound {
        RecordingError::NotFound(name.to_owned())
    } else {
        RecordingError::Io { path: path.to_owned(), source: error }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sound::ScratchDir;
    use crate::FRAME_SAMPLES;

    fn read_samples(path: &Path) -> Vec<i16> {
        let reader = hound::WavReader::open(path).unwrap();
        assert_eq!(reader.spec(), SPEC);
        reader.into_samples::<i16>().map(Result::unwrap).collect()
    }

    #[test]
    fn writes_a_wav_and_tracks_its_duration() {
        let scratch = ScratchDir::new("recording-write");
        let store = RecordingStore::new(scratch.path());
        let mut writer = store.create("calls/first", IfExists::Fail).unwrap();
        for value in 0..50 {
            writer.write(&[value; FRAME_SAMPLES]).unwrap();
        }
        assert_eq!(writer.duration(), Duration::from_secs(1));
        assert_eq!(writer.finalize().unwrap(), Duration::from_secs(1));
        let samples = read_samples(&scratch.path().join("calls/first.wav"));
        assert_eq!(samples.len(), 8000);
        assert_eq!((samples[0], samples[7999]), (0, 49));
    }

    #[test]
    fn if_exists_fail_overwrite_append() {
        let scratch = ScratchDir::new("recording-exists");
        let store = RecordingStore::new(scratch.path());
        let record = |if_exists, value: i16| -> Result<Duration, RecordingError> {
            let mut writer = store.create("take", if_exists)?;
            writer.write(&[value; FRAME_SAMPLES])?;
            writer.finalize()
        };
        assert_eq!(record(IfExists::Append, 1).unwrap(), Duration::from_millis(20), "append creates");
        assert!(matches!(record(IfExists::Fail, 2), Err(RecordingError::AlreadyExists(name)) if name == "take"));
        assert_eq!(record(IfExists::Append, 3).unwrap(), Duration::from_millis(40));
        let path = store.path_of("take").unwrap();
        let samples = read_samples(&path);
        assert_eq!((samples.len(), samples[0], samples[FRAME_SAMPLES]), (2 * FRAME_SAMPLES, 1, 3));
        assert_eq!(record(IfExists::Overwrite, 4).unwrap(), Duration::from_millis(20));
        assert_eq!(read_samples(&path), [4; FRAME_SAMPLES]);
    }

    #[test]
    fn refuses_to_append_to_another_format() {
        let scratch = ScratchDir::new("recording-format");
        let path = scratch.path().join("wide.wav");
        let spec = hound::WavSpec { sample_rate: 16_000, ..SPEC };
        hound::WavWriter::create(&path, spec).unwrap().finalize().unwrap();
        assert!(matches!(RecordingWriter::create(&path, IfExists::Append), Err(RecordingError::WrongFormat(_))));
        fs::write(&path, b"not a wav").unwrap();
        assert!(matches!(RecordingWriter::create(&path, IfExists::Append), Err(RecordingError::Wav { .. })));
    }

    #[test]
    fn trailing_silence_restarts_with_sound() {
        let scratch = ScratchDir::new("recording-silence");
        let mut writer = RecordingWriter::create(&scratch.path().join("s.wav"), IfExists::Fail).unwrap();
        writer.write(&[1000; FRAME_SAMPLES]).unwrap();
        assert_eq!(writer.trailing_silence(), Duration::ZERO);
        for _ in 0..10 {
            writer.write(&[100; FRAME_SAMPLES]).unwrap(); // quiet line noise
        }
        assert_eq!(writer.trailing_silence(), Duration::from_millis(200));
        writer.write(&[-2000; FRAME_SAMPLES]).unwrap();
        assert_eq!(writer.trailing_silence(), Duration::ZERO);
        writer.set_silence_threshold(5000);
        writer.write(&[-2000; FRAME_SAMPLES]).unwrap();
        assert_eq!(writer.trailing_silence(), Duration::from_millis(20));
    }

    #[test]
    fn silence_is_judged_on_mean_amplitude() {
        assert!(is_silent(&[], 256));
        assert!(is_silent(&[255, -255], 256));
        assert!(!is_silent(&[256, -256], 256));
        // One click in a quiet frame does not make it sound.
        let mut frame = [0i16; FRAME_SAMPLES];
        frame[0] = i16::MIN;
        assert!(is_silent(&frame, 256));
    }

    #[test]
    fn lists_copies_and_deletes() {
        let scratch = ScratchDir::new("recording-store");
        let store = RecordingStore::new(scratch.path().join("recordings"));
        assert_eq!(store.list().unwrap(), Vec::<String>::new(), "no directory yet: nothing stored");
        for name in ["b", "a", "sub/c"] {
            store.create(name, IfExists::Fail).unwrap().finalize().unwrap();
        }
        fs::write(scratch.path().join("recordings/notes.txt"), b"not a recording").unwrap();
        assert_eq!(store.list().unwrap(), ["a", "b", "sub/c"]);

        store.copy("sub/c", "copies/c2").unwrap();
        assert!(store.exists("copies/c2").unwrap());
        assert!(matches!(store.copy("a", "b"), Err(RecordingError::AlreadyExists(name)) if name == "b"));
        assert!(matches!(store.copy("missing", "x"), Err(RecordingError::NotFound(name)) if name == "missing"));
        assert!(!store.exists("x").unwrap());

        store.delete("a").unwrap();
        assert!(matches!(store.delete("a"), Err(RecordingError::NotFound(_))));
        assert_eq!(store.list().unwrap(), ["b", "copies/c2", "sub/c"]);
    }

    #[test]
    fn reads_a_recordings_bytes() {
        let scratch = ScratchDir::new("recording-read");
        let store = RecordingStore::new(scratch.path());
        let mut writer = store.create("calls/take", IfExists::Fail).unwrap();
        writer.write(&[7; FRAME_SAMPLES]).unwrap();
        writer.finalize().unwrap();
        let bytes = store.read("calls/take").unwrap();
        assert_eq!(bytes, fs::read(scratch.path().join("calls/take.wav")).unwrap());
        assert_eq!(&bytes[..4], b"RIFF");
        assert!(matches!(store.read("calls/other"), Err(RecordingError::NotFound(name)) if name == "calls/other"));
        assert!(matches!(store.read("calls/take/deeper"), Err(RecordingError::NotFound(_))), "a file is no folder");
        assert!(matches!(store.read("../take"), Err(RecordingError::Name(_))));
    }

    #[cfg(unix)]
    #[test]
    fn an_unreadable_file_is_an_io_error_not_a_missing_one() {
        use std::os::unix::fs::PermissionsExt;
        let scratch = ScratchDir::new("recording-unreadable");
        let store = RecordingStore::new(scratch.path());
        store.create("locked", IfExists::Fail).unwrap().finalize().unwrap();
        let path = store.path_of("locked").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o000)).unwrap();
        if fs::read(&path).is_ok() {
            // Privileged (root): permissions do not stop a read, so there is nothing to see.
            return;
        }
        assert!(store.exists("locked").unwrap(), "it is there");
        assert!(matches!(store.read("locked"), Err(RecordingError::Io { .. })));
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_lead_nowhere() {
        let scratch = ScratchDir::new("recording-links");
        let outside = scratch.path().join("outside");
        let store = RecordingStore::new(scratch.path().join("recordings"));
        RecordingStore::new(&outside).create("secret", IfExists::Fail).unwrap().finalize().unwrap();
        store.create("real", IfExists::Fail).unwrap().finalize().unwrap();
        let dir = scratch.path().join("recordings");
        std::os::unix::fs::symlink(outside.join("secret.wav"), dir.join("linked.wav")).unwrap();
        std::os::unix::fs::symlink(&outside, dir.join("folder")).unwrap();
        assert_eq!(store.list().unwrap(), ["real"]);
        for name in ["linked", "folder/secret"] {
            assert!(!store.exists(name).unwrap(), "{name}");
            assert!(matches!(store.read(name), Err(RecordingError::NotFound(_))), "{name}");
            assert!(matches!(store.delete(name), Err(RecordingError::NotFound(_))), "{name}");
            assert!(matches!(store.copy(name, "stolen"), Err(RecordingError::NotFound(_))), "{name}");
        }
        assert!(outside.join("secret.wav").is_file(), "nothing outside was touched");
    }

    #[test]
    fn names_cannot_escape_the_store() {
        let scratch = ScratchDir::new("recording-names");
        let store = RecordingStore::new(scratch.path().join("recordings"));
        store.create("x", IfExists::Fail).unwrap().finalize().unwrap();
        for name in ["../outside", "/etc/passwd", "a\\b", "a\0b", ""] {
            assert!(matches!(store.create(name, IfExists::Overwrite), Err(RecordingError::Name(_))), "{name:?}");
            assert!(matches!(store.delete(name), Err(RecordingError::Name(_))), "{name:?}");
            assert!(matches!(store.read(name), Err(RecordingError::Name(_))), "{name:?}");
            assert!(matches!(store.copy("x", name), Err(RecordingError::Name(_))), "{name:?}");
            assert!(matches!(store.copy(name, "y"), Err(RecordingError::Name(_))), "{name:?}");
        }
        assert!(!scratch.path().join("outside.wav").exists());
    }

    #[test]
    fn if_exists_parses_ari_values() {
        assert_eq!("append".parse(), Ok(IfExists::Append));
        assert_eq!("overwrite".parse(), Ok(IfExists::Overwrite));
        assert_eq!("fail".parse(), Ok(IfExists::Fail));
        assert_eq!("Fail".parse::<IfExists>(), Err(BadIfExists("Fail".into())));
    }
}
