//! Sounds a call plays and records, on disk.
//!
//! - [`uri`]: the ARI media URIs (`sound:`, `recording:`, `tone:`, `digits:`, `number:`,
//!   `characters:`) and the stock prompts the spoken ones expand to.
//! - [`library`]: finding and reading prompts in the sounds directory, by language.
//! - [`catalog`]: listing what the sounds directory holds (ARI's `/sounds`).
//! - [`recording`]: writing a call's audio to a WAV file, and the stored recordings.
//! - [`moh`]: music-on-hold classes, folders of sound files, global and per tenant.
//! - `stamp`: telling a file replaced on disk from the one cached.
//!
//! Names come from API clients, so every one passes [`check_name`] (or, for music on hold,
//! the stricter [`moh::MohName`]) before it touches a path.

pub mod catalog;
pub mod library;
pub mod moh;
pub mod recording;
pub(crate) mod stamp;
pub mod uri;

use thiserror::Error;

/// Why a sound or recording name cannot be used as a path.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    /// The name is empty.
    #[error("the name is empty")]
    Empty,
    /// The name starts at the root instead of inside the directory.
    #[error("{0:?} is an absolute path")]
    Absolute(String),
    /// A component is empty, `.` or `..`: the name would leave or blur its directory.
    #[error("{0:?} has an empty, `.` or `..` path component")]
    BadComponent(String),
    /// A backslash (a path separator elsewhere) or a control character such as NUL.
    #[error("{0:?} contains a forbidden character")]
    ForbiddenCharacter(String),
}

impl NameError {
    /// Whether the name climbs out of its directory (a `..` component), rather than being
    /// merely malformed.
    pub fn climbs_out(&self) -> bool {
        matches!(self, NameError::BadComponent(name) if name.split('/').any(|component| component == ".."))
    }
}

/// Checks that `name` is a relative path (`/`-separated) that stays inside its directory.
pub fn check_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.chars().any(|c| c == '\\' || c.is_control()) {
        return Err(NameError::ForbiddenCharacter(name.to_owned()));
    }
    if name.starts_with('/') {
        return Err(NameError::Absolute(name.to_owned()));
    }
    if name.split('/').any(|component| matches!(component, "" | "." | "..")) {
        return Err(NameError::BadComponent(name.to_owned()));
    }
    Ok(())
}

/// A directory of its own under the system temporary directory, removed when dropped.
#[cfg(test)]
pub(crate) struct ScratchDir(std::path::PathBuf);

#[cfg(test)]
impl ScratchDir {
    pub(crate) fn new(label: &str) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let unique = format!("sb-media-{label}-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let path = std::env::temp_dir().join(unique);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub(crate) fn path(&self) -> &std::path::Path {
        &self.0
    }
}

/// Writes `samples` as an 8 kHz mono 16-bit WAV file at `path`, creating its folder.
#[cfg(test)]
pub(crate) fn write_test_wav(path: &std::path::Path, samples: &[i16]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: crate::SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut writer = hound::WavWriter::create(path, spec).unwrap();
    samples.iter().for_each(|&sample| writer.write_sample(sample).unwrap());
    writer.finalize().unwrap();
}

#[cfg(test)]
impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_inside_their_directory() {
        for good in ["hello-world", "digits/1", "conf/en/joined", "a.b", "with space", "..hidden", "x..y"] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        assert_eq!(check_name(""), Err(NameError::Empty));
        assert!(matches!(check_name("/etc/passwd"), Err(NameError::Absolute(_))));
        for traversal in ["..", "../secret", "a/../../b", "a/.."] {
            assert!(
                matches!(check_name(traversal), Err(ref e @ NameError::BadComponent(_)) if e.climbs_out()),
                "{traversal}"
            );
        }
        for malformed in ["./a", "a//b", "a/"] {
            assert!(
                matches!(check_name(malformed), Err(ref e @ NameError::BadComponent(_)) if !e.climbs_out()),
                "{malformed}"
            );
        }
        assert!(!NameError::Absolute("/etc".into()).climbs_out());
        for forbidden in ["a\\b", "..\\..\\x", "a\0b", "line\nbreak"] {
            assert!(matches!(check_name(forbidden), Err(NameError::ForbiddenCharacter(_))), "{forbidden:?}");
        }
    }
}
