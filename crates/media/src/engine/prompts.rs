//! Turning media URIs into playable [`Source`]s, off the media clock (callers run it in
//! `spawn_blocking`): prompts read through the [`SoundLibrary`], recordings through the
//! [`RecordingStore`], tones looked up or parsed.
//!
//! Prompts are cached by name and language, so a `hello-world` played on every call is
//! read from disk once. A cached prompt is still checked against its file (the same path,
//! modification time and length) on each use, which costs a few `stat`s, so a prompt
//! replaced on disk is read again. Recordings change too often to be worth caching.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use super::playback::Source;
use crate::relay::MediaError;
use crate::sound::library::{SoundError, SoundFile, SoundFormat, SoundLibrary, DEFAULT_LANGUAGE};
use crate::sound::recording::RecordingStore;
use crate::sound::stamp::FileStamp;
use crate::sound::uri::MediaUri;
use crate::tones::{ToneGenerator, ToneName, ToneSpec, Tonezone};
use crate::SAMPLE_RATE;

/// The most prompts kept; past it the cache starts over, which is simple and rare.
const MAX_CACHED: usize = 512;

/// Prompts longer than this are not cached (10 minutes, 9.6 MB): each playback of one
/// reads its own copy. Shorter ones, long announcements included, are shared by every
/// call that plays them (a 30 s prompt on 100 calls is 0.5 MB, not 48 MB).
const MAX_CACHED_SAMPLES: usize = 600 * SAMPLE_RATE as usize;

/// The most audio the cache holds (32 MiB, about 35 minutes); past it the cache starts
/// over, as past [`MAX_CACHED`] prompts.
const CACHE_BUDGET_SAMPLES: usize = 16 * 1024 * 1024;

/// The tonezone of `tone:` URIs that name none.
const DEFAULT_TONEZONE: Tonezone = Tonezone::Us;

/// Where sounds come from, and the prompts already read.
#[derive(Debug)]
pub(crate) struct Prompts {
    library: SoundLibrary,
    recordings: RecordingStore,
    /// Uploaded greetings (`DIR/usergreetingNNNN.wav`), read as any prompt but uncached.
    greetings: SoundLibrary,
    /// By (name, language). A std mutex held for a lookup or an insert, never across a
    /// file read, and never by the media clock.
    cache: Mutex<HashMap<(String, String), Cached>>,
}

/// A prompt read from disk, and what its file looked like then.
#[derive(Debug)]
struct Cached {
    path: PathBuf,
    stamp: FileStamp,
    samples: Arc<[i16]>,
}

impl Prompts {
    /// Prompts from `sounds`, recordings in `recordings`.
    pub(crate) fn new(sounds: impl Into<PathBuf>, recordings: impl Into<PathBuf>) -> Prompts {
        Prompts {
            library: SoundLibrary::new(sounds),
            recordings: RecordingStore::new(recordings),
            greetings: SoundLibrary::new(super::DEFAULT_GREETINGS_DIR),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The same sounds and recordings, with greetings read from `greetings`.
    pub(crate) fn with_greetings(&self, greetings: PathBuf) -> Prompts {
        Prompts {
            library: self.library.clone(),
            recordings: self.recordings.clone(),
            greetings: SoundLibrary::new(greetings),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Where recordings are stored.
    pub(crate) fn recordings(&self) -> &RecordingStore {
        &self.recordings
    }

    /// Where prompts are read from.
    pub(crate) fn library(&self) -> &SoundLibrary {
        &self.library
    }

    /// The sources for `uris`, in order; blocking. Fails on the first URI that cannot
    /// be played, so a playlist never half-plays because of a missing file.
    pub(crate) fn resolve(&self, uris: &[MediaUri], language: Option<&str>) -> Result<Vec<Source>, MediaError> {
        uris.iter().map(|uri| self.source(uri, language)).collect()
    }

    /// The source for one URI.
    fn source(&self, uri: &MediaUri, language: Option<&str>) -> Result<Source, MediaError> {
        match uri {
            MediaUri::Sound(name) => Ok(Source::Samples(self.prompt(name, language)?)),
            MediaUri::Recording(name) => Ok(Source::Samples(self.recording(name)?)),
            MediaUri::Greeting(name) => Ok(Source::Samples(self.greetings.load(name, None)?.into())),
            MediaUri::Tone { name, tonezone } => Ok(Source::Tone(ToneGenerator::new(tone(name, tonezone.as_deref())?))),
            MediaUri::Digits(_) | MediaUri::Number(_) | MediaUri::Characters(_) => {
                let names = uri.spoken_prompts().unwrap_or_default();
                let prompts = names.iter().map(|name| self.prompt(name, language)).collect::<Result<Vec<_>, _>>()?;
                // One prompt is shared as it is; several are joined into one media, so that
                // controls treat `digits:123` as one thing, as Asterisk's say does.
                Ok(Source::Samples(match prompts.as_slice() {
                    [single] => Arc::clone(single),
                    several => several.iter().flat_map(|prompt| prompt.iter().copied()).collect(),
                }))
            }
        }
    }

    /// A prompt's samples, from the cache if its file has not changed.
    fn prompt(&self, name: &str, language: Option<&str>) -> Result<Arc<[i16]>, SoundError> {
        let file = self.library.resolve(name, language)?;
        let stamp = FileStamp::of(&file.path);
        let key = (name.to_owned(), language.unwrap_or(DEFAULT_LANGUAGE).to_owned());
        if let Some(cached) = self.lock().get(&key) {
            if cached.path == file.path && stamp.is_some() && Some(cached.stamp) == stamp {
                return Ok(Arc::clone(&cached.samples));
            }
        }
        let samples: Arc<[i16]> = file.read()?.into();
        if let Some(stamp) = stamp.filter(|_| samples.len() <= MAX_CACHED_SAMPLES) {
            let mut cache = self.lock();
            // Summed only on a miss, which reads a file anyway; at most MAX_CACHED entries.
            let held: usize = cache.values().map(|cached| cached.samples.len()).sum();
            let full = cache.len() >= MAX_CACHED || held + samples.len() > CACHE_BUDGET_SAMPLES;
            if full && !cache.contains_key(&key) {
                cache.clear();
            }
            cache.insert(key, Cached { path: file.path, stamp, samples: Arc::clone(&samples) });
        }
        Ok(samples)
    }

    /// A stored recording's samples.
    fn recording(&self, name: &str) -> Result<Arc<[i16]>, MediaError> {
        let path = self.recordings.locate(name)?;
        Ok(SoundFile { path, format: SoundFormat::Wav }.read()?.into())
    }

    /// How many prompts are cached.
    #[cfg(test)]
    fn cached(&self) -> usize {
        self.lock().len()
    }

    /// The cache; a panic while it was held leaves at worst a missing entry.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Cached>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The tone a `tone:` URI names: a tone of a tonezone (`ring`, `busy`, …), else a tone
/// string in `indications.conf` syntax (`440+480/2000,0/4000`).
fn tone(name: &str, tonezone: Option<&str>) -> Result<ToneSpec, MediaError> {
    let zone = tonezone.map(Tonezone::parse).transpose()?.unwrap_or(DEFAULT_TONEZONE);
    match ToneName::parse(name) {
        Ok(tone) => Ok(zone.tone(tone)?),
        // Neither a name nor a valid string: the name error says what was expected.
        Err(unknown) => ToneSpec::parse(name).map_err(|_| unknown.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sound::recording::RecordingError;
    use crate::sound::{write_test_wav, ScratchDir};

    fn samples(source: &Source) -> &[i16] {
        match source {
            Source::Samples(samples) => samples,
            Source::Tone(_) => panic!("a tone"),
        }
    }

    fn uri(text: &str) -> MediaUri {
        text.parse().unwrap()
    }

    #[test]
    fn prompts_are_read_once_and_again_when_replaced() {
        let dir = ScratchDir::new("prompts-cache");
        let prompts = Prompts::new(dir.path().join("sounds"), dir.path().join("rec"));
        let path = dir.path().join("sounds/en/hello.wav");
        write_test_wav(&path, &[1, 2, 3]);
        let first = prompts.resolve(&[uri("sound:hello")], None).unwrap();
        let second = prompts.resolve(&[uri("sound:hello")], Some("en")).unwrap();
        assert_eq!(samples(&first[0]), [1, 2, 3]);
        match (&first[0], &second[0]) {
            (Source::Samples(a), Source::Samples(b)) => assert!(Arc::ptr_eq(a, b), "served from the cache"),
            _ => panic!("samples expected"),
        }
        assert_eq!(prompts.cached(), 1);
        write_test_wav(&path, &[4, 5, 6, 7]);
        assert_eq!(samples(&prompts.resolve(&[uri("sound:hello")], None).unwrap()[0]), [4, 5, 6, 7]);
    }

    #[test]
    fn missing_prompts_and_recordings_are_errors() {
        let dir = ScratchDir::new("prompts-missing");
        let prompts = Prompts::new(dir.path().join("sounds"), dir.path().join("rec"));
        assert!(matches!(
            prompts.resolve(&[uri("sound:nope")], None),
            Err(MediaError::Sound(SoundError::NotFound { .. }))
        ));
        assert!(matches!(
            prompts.resolve(&[uri("recording:nope")], None),
            Err(MediaError::Recording(RecordingError::NotFound(_)))
        ));
        write_test_wav(&dir.path().join("rec/mine.wav"), &[9, 9]);
        assert_eq!(samples(&prompts.resolve(&[uri("recording:mine")], None).unwrap()[0]), [9, 9]);
    }

    #[test]
    fn spoken_uris_join_their_prompts() {
        let dir = ScratchDir::new("prompts-spoken");
        let prompts = Prompts::new(dir.path().join("sounds"), dir.path().join("rec"));
        write_test_wav(&dir.path().join("sounds/en/digits/4.wav"), &[4]);
        write_test_wav(&dir.path().join("sounds/en/digits/2.wav"), &[2, 2]);
        write_test_wav(&dir.path().join("sounds/en/digits/40.wav"), &[40]);
        let sources = prompts.resolve(&[uri("digits:42"), uri("number:42"), uri("digits:4")], None).unwrap();
        assert_eq!(samples(&sources[0]), [4, 2, 2]);
        assert_eq!(samples(&sources[1]), [40, 2, 2]);
        assert_eq!(samples(&sources[2]), [4]);
        assert!(prompts.resolve(&[uri("digits:43")], None).is_err(), "digits/3 is missing");
    }

    #[test]
    fn tones_by_name_zone_or_string() {
        let dir = ScratchDir::new("prompts-tones");
        let prompts = Prompts::new(dir.path(), dir.path());
        let sources =
            prompts.resolve(&[uri("tone:ring"), uri("tone:busy;tonezone=fr"), uri("tone:!950/330")], None).unwrap();
        assert!(sources.iter().all(|source| matches!(source, Source::Tone(_))));
        assert!(matches!(prompts.resolve(&[uri("tone:nonsense")], None), Err(MediaError::Tone(_))));
        assert!(matches!(prompts.resolve(&[uri("tone:ring;tonezone=xx")], None), Err(MediaError::Tone(_))));
    }
}
