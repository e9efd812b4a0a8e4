//! Music on hold as the engine plays it: [`MohStore`] reads a class's files once, off the
//! media clock, and shares the samples between every channel and bridge playing it;
//! [`MohPlayer`] is one listener's place in the class, looping, sans-IO.
//!
//! A cached class is checked against its folder on each use (the same files, with the
//! same modification times and lengths), which costs a listing and a few `stat`s, so music
//! replaced on disk is read again.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use crate::mixer::AudioFrame;
use crate::sound::moh::{MohClass, MohError, MohLibrary};
use crate::sound::stamp::FileStamp;
use crate::FRAME_SAMPLES;

/// The most classes kept; past it the cache starts over, which is simple and rare.
const MAX_CACHED: usize = 64;

/// The music of one class: its files' samples, in playing order, none empty.
type Music = Arc<[Vec<i16>]>;

/// Where classes are found, and the ones already read.
#[derive(Debug)]
pub(crate) struct MohStore {
    library: MohLibrary,
    /// By class folder. A std mutex held for a lookup or an insert, never across a file
    /// read, and never by the media clock.
    cache: Mutex<HashMap<PathBuf, Cached>>,
}

/// A class read from disk, and what its files looked like then.
#[derive(Debug)]
struct Cached {
    stamps: Vec<(PathBuf, Option<FileStamp>)>,
    music: Music,
}

impl MohStore {
    /// Classes from `library`.
    pub(crate) fn new(library: MohLibrary) -> MohStore {
        MohStore { library, cache: Mutex::new(HashMap::new()) }
    }

    /// The library classes are found in.
    pub(crate) fn library(&self) -> &MohLibrary {
        &self.library
    }

    /// A player of `class` (default `default`) as `tenant` sees it, from the start;
    /// blocking.
    pub(crate) fn player(&self, tenant: Option<&str>, class: Option<&str>) -> Result<MohPlayer, MohError> {
        let class = self.library.find(tenant, class)?;
        Ok(MohPlayer::new(self.music(&class)?))
    }

    /// The samples of `class`, from the cache if its files have not changed.
    fn music(&self, class: &MohClass) -> Result<Music, MohError> {
        let stamps: Vec<_> = class.files.iter().map(|file| (file.path.clone(), FileStamp::of(&file.path))).collect();
        if let Some(cached) = self.lock().get(&class.dir) {
            if cached.stamps == stamps && stamps.iter().all(|(_, stamp)| stamp.is_some()) {
                return Ok(Arc::clone(&cached.music));
            }
        }
        let music: Music = class.read()?.into();
        let mut cache = self.lock();
        if cache.len() >= MAX_CACHED && !cache.contains_key(&class.dir) {
            cache.clear();
        }
        cache.insert(class.dir.clone(), Cached { stamps, music: Arc::clone(&music) });
        Ok(music)
    }

    /// The cache; a panic while it was held leaves at worst a missing entry.
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Cached>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One listener's place in a class: which file, how far in. Never finishes.
#[derive(Debug, Clone)]
pub(crate) struct MohPlayer {
    music: Music,
    track: usize,
    position: usize,
}

impl MohPlayer {
    /// A player at the start of `music`.
    fn new(music: Music) -> MohPlayer {
        MohPlayer { music, track: 0, position: 0 }
    }

    /// A player of `tracks`, as if read from a class.
    #[cfg(test)]
    pub(crate) fn of_tracks(tracks: Vec<Vec<i16>>) -> MohPlayer {
        MohPlayer::new(tracks.into())
    }

    /// Fills `frame` with the next 20 ms: the files one after the other without a gap,
    /// back to the first after the last.
    pub(crate) fn next_frame(&mut self, frame: &mut AudioFrame) {
        let mut filled = 0;
        // Bounded by the files' count, should they all be empty (a class read keeps none).
        let mut empty_in_a_row = 0;
        while filled < FRAME_SAMPLES && empty_in_a_row <= self.music.len() {
            let Some(track) = self.music.get(self.track) else { break };
            let available = &track[self.position.min(track.len())..];
            let count = available.len().min(FRAME_SAMPLES - filled);
            frame[filled..filled + count].copy_from_slice(&available[..count]);
            filled += count;
            self.position += count;
            empty_in_a_row = if count == 0 { empty_in_a_row + 1 } else { 0 };
            if self.position >= track.len() {
                self.track = (self.track + 1) % self.music.len();
                self.position = 0;
            }
        }
        frame[filled..].fill(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sound::{write_test_wav, ScratchDir};

    fn frames(player: &mut MohPlayer, count: usize) -> Vec<i16> {
        (0..count)
            .flat_map(|_| {
                let mut frame = [7; FRAME_SAMPLES];
                player.next_frame(&mut frame);
                frame
            })
            .collect()
    }

    #[test]
    fn the_files_loop_without_a_gap() {
        let music: Music = vec![vec![1; 100], vec![2; 30]].into();
        let mut player = MohPlayer::new(music);
        let heard = frames(&mut player, 3);
        let expected: Vec<i16> = [[1; 100].as_slice(), &[2; 30]].concat().into_iter().cycle().take(480).collect();
        assert_eq!(heard, expected);
    }

    #[test]
    fn empty_music_plays_silence_rather_than_spinning() {
        let mut player = MohPlayer::new(vec![Vec::new(), Vec::new()].into());
        assert_eq!(frames(&mut player, 2), vec![0; 320]);
    }

    #[test]
    fn classes_are_read_once_and_again_when_replaced() {
        let dir = ScratchDir::new("moh-store");
        write_test_wav(&dir.path().join("default/a.wav"), &[1, 2]);
        let store = MohStore::new(MohLibrary::new(dir.path()));
        let first = store.player(None, None).unwrap();
        let second = store.player(None, Some("default")).unwrap();
        assert!(Arc::ptr_eq(&first.music, &second.music), "served from the cache");
        write_test_wav(&dir.path().join("default/b.wav"), &[3]);
        let third = store.player(None, None).unwrap();
        assert_eq!(&*third.music, [vec![1, 2], vec![3]]);
        write_test_wav(&dir.path().join("default/empty.wav"), &[]);
        assert_eq!(store.player(None, None).unwrap().music.len(), 2, "an empty file is left out");
        assert!(matches!(store.player(None, Some("jazz")), Err(MohError::NotFound { .. })));
    }
}
