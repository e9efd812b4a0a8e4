//! Event sequence numbers and replay, an opt-in beyond Asterisk (`[ari]
//! event_replay_seconds`): each application's frames are numbered 1, 2, 3… and its recent
//! ones kept in a [`Journal`], so that a socket reconnecting with `replay_since` gets what
//! it missed. Sans-IO: callers pass the time.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};
use thiserror::Error;

/// The most frames kept per application, however short the window.
pub const MAX_FRAMES: usize = 10_000;

/// How much of each application's past is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayPolicy {
    /// How long frames are kept, and how long an application whose socket closed is
    /// remembered (its subscriptions, its sequence and its frames).
    pub window: Duration,
    /// The most frames kept per application.
    pub max_frames: usize,
}

impl ReplayPolicy {
    /// Keeps `window` of frames (at most [`MAX_FRAMES`] per application).
    pub fn new(window: Duration) -> ReplayPolicy {
        ReplayPolicy { window, max_frames: MAX_FRAMES }
    }

    /// Whether something that happened `at` is still inside the window at `now`.
    pub fn keeps(&self, at: Instant, now: Instant) -> bool {
        now.saturating_duration_since(at) < self.window
    }
}

/// One kept frame.
#[derive(Debug)]
struct Entry {
    at: Instant,
    order: u64,
    sequence: u64,
    frame: String,
}

/// One application's sequence numbers and recent frames.
#[derive(Debug, Default)]
pub struct Journal {
    last: u64,
    frames: VecDeque<Entry>,
}

impl Journal {
    /// The number of the next frame (1 for the first).
    pub fn advance(&mut self) -> u64 {
        self.last += 1;
        self.last
    }

    /// Keeps frame number `sequence`, the `order`th frame delivered by the node, sent `now`;
    /// drops what the policy no longer keeps.
    pub fn keep(&mut self, sequence: u64, order: u64, frame: String, now: Instant, policy: &ReplayPolicy) {
        self.frames.push_back(Entry { at: now, order, sequence, frame });
        while self.frames.len() > policy.max_frames {
            self.frames.pop_front();
        }
        self.prune(now, policy);
    }

    /// Drops the frames older than the window.
    pub fn prune(&mut self, now: Instant, policy: &ReplayPolicy) {
        while self.frames.front().is_some_and(|entry| !policy.keeps(entry.at, now)) {
            self.frames.pop_front();
        }
    }

    /// The kept frames numbered after `sequence`, oldest first, with their delivery order.
    pub fn since(&self, sequence: u64) -> impl Iterator<Item = (u64, &str)> {
        self.frames.iter().filter(move |e| e.sequence > sequence).map(|e| (e.order, e.frame.as_str()))
    }
}

/// A `replay_since` that cannot be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ReplaySinceError {
    /// Neither a number nor `app:number[,app:number]`.
    #[error("Invalid replay_since: expected a sequence number or app:number[,app:number]")]
    Malformed,
    /// It names an application the socket does not register.
    #[error("replay_since names application {0}, which app does not")]
    NotRegistered(String),
}

/// Reads `replay_since` for a socket registering `apps`: a bare number applies to each of
/// them; `a:41,b:17` gives each its own. Answers the last sequence seen, by application.
pub fn parse_replay_since(text: &str, apps: &[String]) -> Result<BTreeMap<String, u64>, ReplaySinceError> {
    let number = |text: &str| text.trim().parse::<u64>().map_err(|_| ReplaySinceError::Malformed);
    if !text.contains(':') {
        let since = number(text)?;
        return Ok(apps.iter().map(|app| (app.clone(), since)).collect());
    }
    text.split(',')
        .map(|pair| {
            let (app, since) = pair.split_once(':').ok_or(ReplaySinceError::Malformed)?;
            let app = app.trim();
            if !apps.iter().any(|a| a == app) {
                return Err(ReplaySinceError::NotRegistered(app.to_owned()));
            }
            Ok((app.to_owned(), number(since)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(seconds: u64, max_frames: usize) -> ReplayPolicy {
        ReplayPolicy { window: Duration::from_secs(seconds), max_frames }
    }

    fn kept(journal: &Journal, since: u64) -> Vec<String> {
        journal.since(since).map(|(_, frame)| frame.to_owned()).collect()
    }

    #[test]
    fn frames_are_numbered_from_one_and_replayed_after_a_number() {
        let (policy, now) = (policy(60, 100), Instant::now());
        let mut journal = Journal::default();
        for text in ["a", "b", "c"] {
            let sequence = journal.advance();
            journal.keep(sequence, sequence + 10, format!("{sequence}{text}"), now, &policy);
        }
        assert_eq!(kept(&journal, 0), ["1a", "2b", "3c"]);
        assert_eq!(kept(&journal, 1), ["2b", "3c"]);
        assert_eq!(kept(&journal, 3), Vec::<String>::new());
        assert_eq!(journal.since(2).map(|(order, _)| order).collect::<Vec<_>>(), [13]);
        assert_eq!(journal.advance(), 4, "numbers go on");
    }

    #[test]
    fn frames_older_than_the_window_or_beyond_the_cap_are_dropped() {
        let (policy, start) = (policy(10, 3), Instant::now());
        let mut journal = Journal::default();
        for second in 0..5u64 {
            let sequence = journal.advance();
            journal.keep(sequence, sequence, sequence.to_string(), start + Duration::from_secs(second), &policy);
        }
        assert_eq!(kept(&journal, 0), ["3", "4", "5"], "capped at three");
        journal.prune(start + Duration::from_secs(12), &policy);
        assert_eq!(kept(&journal, 0), ["4", "5"], "frame 3 (at 2 s) is 10 s old");
        journal.prune(start + Duration::from_secs(60), &policy);
        assert_eq!(kept(&journal, 0), Vec::<String>::new());
        assert_eq!(journal.advance(), 6, "an emptied journal keeps counting");
    }

    #[test]
    fn replay_since_takes_one_number_or_one_per_application() {
        let apps = vec!["a".to_owned(), "b".to_owned()];
        let both: BTreeMap<_, _> = [("a".to_owned(), 41), ("b".to_owned(), 41)].into();
        assert_eq!(parse_replay_since("41", &apps), Ok(both));
        let each: BTreeMap<_, _> = [("a".to_owned(), 41), ("b".to_owned(), 17)].into();
        assert_eq!(parse_replay_since("a:41,b:17", &apps), Ok(each));
        let one: BTreeMap<_, _> = [("b".to_owned(), 0)].into();
        assert_eq!(parse_replay_since("b:0", &apps), Ok(one));
        assert_eq!(parse_replay_since("x", &apps), Err(ReplaySinceError::Malformed));
        assert_eq!(parse_replay_since("-1", &apps), Err(ReplaySinceError::Malformed));
        assert_eq!(parse_replay_since("a:1,b", &apps), Err(ReplaySinceError::Malformed));
        assert_eq!(parse_replay_since("c:1", &apps), Err(ReplaySinceError::NotRegistered("c".into())));
    }
}
