//! ARI media URIs, the `media` parameter of `play` (`sound:hello-world`, `tone:ring;tonezone=fr`,
//! `number:42`...), parsed into a typed [`MediaUri`]; and the English stock prompts the
//! spoken schemes expand to, as Asterisk's `say` picks them (`digits/40`, `digits/2`...).
//!
//! Tones are only named here; generating them is another module's job.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use super::{check_name, NameError};

/// The largest magnitude `number:` accepts: English `say` has no word beyond millions.
pub const MAX_SPOKEN_NUMBER: i32 = 999_999_999;

/// What a `play` request asks to hear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaUri {
    /// `sound:NAME`: a prompt from the sounds directory.
    Sound(String),
    /// `recording:NAME`: a stored recording.
    Recording(String),
    /// `tone:NAME[;tonezone=ZONE]`: an indication tone, optionally of a given country.
    Tone {
        /// The tone's name (`ring`, `busy`...) or tone string.
        name: String,
        /// The tone zone, when not the channel's own.
        tonezone: Option<String>,
    },
    /// `digits:123`: digits said one by one.
    Digits(String),
    /// `number:42`: a number said as a number.
    Number(i32),
    /// `characters:abc`: characters spelled out.
    Characters(String),
    /// A greeting uploaded through the provisioning API (`usergreetingNNNN`), which IVRs
    /// play. Not an ARI scheme: it is never parsed from text.
    Greeting(String),
}

/// Why a media URI was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MediaUriError {
    /// No `scheme:` prefix.
    #[error("media URI {0:?} has no scheme")]
    MissingScheme(String),
    /// A scheme ARI does not play.
    #[error("unsupported media scheme {0:?}")]
    UnknownScheme(String),
    /// Nothing after the scheme.
    #[error("media URI with scheme {0:?} has nothing to play")]
    Empty(&'static str),
    /// A sound or recording name that is not a safe relative path.
    #[error(transparent)]
    Name(#[from] NameError),
    /// `number:` that is not an integer within ±[`MAX_SPOKEN_NUMBER`].
    #[error("{0:?} is not a number between -999999999 and 999999999")]
    BadNumber(String),
    /// A `tone:` option other than `tonezone=ZONE`.
    #[error("unsupported tone option {0:?}")]
    BadToneOption(String),
}

const SOUND: &str = "sound";
const RECORDING: &str = "recording";
const TONE: &str = "tone";
const DIGITS: &str = "digits";
const NUMBER: &str = "number";
const CHARACTERS: &str = "characters";
const TONEZONE_OPTION: &str = "tonezone=";

impl FromStr for MediaUri {
    type Err = MediaUriError;

    fn from_str(uri: &str) -> Result<Self, MediaUriError> {
        let (scheme, value) = uri.split_once(':').ok_or_else(|| MediaUriError::MissingScheme(uri.to_owned()))?;
        let scheme: &'static str = match scheme {
            SOUND => SOUND,
            RECORDING => RECORDING,
            TONE => TONE,
            DIGITS => DIGITS,
            NUMBER => NUMBER,
            CHARACTERS => CHARACTERS,
            other => return Err(MediaUriError::UnknownScheme(other.to_owned())),
        };
        if value.is_empty() {
            return Err(MediaUriError::Empty(scheme));
        }
        Ok(match scheme {
            SOUND | RECORDING => {
                check_name(value)?;
                if scheme == SOUND {
                    Self::Sound(value.to_owned())
                } else {
                    Self::Recording(value.to_owned())
                }
            }
            TONE => parse_tone(value)?,
            DIGITS => Self::Digits(value.to_owned()),
            NUMBER => Self::Number(parse_number(value)?),
            _ => Self::Characters(value.to_owned()),
        })
    }
}

fn parse_tone(value: &str) -> Result<MediaUri, MediaUriError> {
    let (name, option) = match value.split_once(';') {
        Some((name, option)) => (name, Some(option)),
        None => (value, None),
    };
    if name.is_empty() {
        return Err(MediaUriError::Empty(TONE));
    }
    let tonezone = match option {
        None => None,
        Some(option) => match option.strip_prefix(TONEZONE_OPTION) {
            Some(zone) if !zone.is_empty() => Some(zone.to_owned()),
            _ => return Err(MediaUriError::BadToneOption(option.to_owned())),
        },
    };
    Ok(MediaUri::Tone { name: name.to_owned(), tonezone })
}

fn parse_number(value: &str) -> Result<i32, MediaUriError> {
    value
        .parse::<i32>()
        .ok()
        .filter(|number| number.unsigned_abs() <= MAX_SPOKEN_NUMBER.unsigned_abs())
        .ok_or_else(|| MediaUriError::BadNumber(value.to_owned()))
}

impl fmt::Display for MediaUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sound(name) => write!(f, "{SOUND}:{name}"),
            Self::Recording(name) => write!(f, "{RECORDING}:{name}"),
            Self::Tone { name, tonezone: None } => write!(f, "{TONE}:{name}"),
            Self::Tone { name, tonezone: Some(zone) } => write!(f, "{TONE}:{name};{TONEZONE_OPTION}{zone}"),
            Self::Digits(digits) => write!(f, "{DIGITS}:{digits}"),
            Self::Number(number) => write!(f, "{NUMBER}:{number}"),
            Self::Characters(text) => write!(f, "{CHARACTERS}:{text}"),
            Self::Greeting(name) => write!(f, "greeting:{name}"),
        }
    }
}

impl MediaUri {
    /// The stock prompts a spoken URI (`digits:`, `number:`, `characters:`) plays in English;
    /// `None` for the others.
    pub fn spoken_prompts(&self) -> Option<Vec<String>> {
        match self {
            Self::Digits(digits) => Some(digit_prompts(digits)),
            Self::Number(number) => Some(number_prompts(*number)),
            Self::Characters(text) => Some(character_prompts(text)),
            Self::Sound(_) | Self::Recording(_) | Self::Tone { .. } | Self::Greeting(_) => None,
        }
    }
}

/// The prompt for a digit, or for `*`, `#` and `-` which `say` treats alongside them.
fn digit_prompt(c: char) -> Option<String> {
    match c {
        '0'..='9' => Some(format!("digits/{c}")),
        '*' => Some("digits/star".to_owned()),
        '#' => Some("digits/pound".to_owned()),
        '-' => Some("digits/minus".to_owned()),
        _ => None,
    }
}

/// Digits said one by one; characters with no prompt are skipped, as Asterisk does.
pub fn digit_prompts(digits: &str) -> Vec<String> {
    digits.chars().filter_map(digit_prompt).collect()
}

/// A number said in English: `-1234` is minus, one, thousand, two, hundred, thirty, four.
/// Magnitudes beyond [`MAX_SPOKEN_NUMBER`], which have no English words here, are said
/// digit by digit.
pub fn number_prompts(number: i32) -> Vec<String> {
    let mut prompts = Vec::new();
    if number < 0 {
        prompts.push("digits/minus".to_owned());
    }
    let magnitude = number.unsigned_abs();
    if magnitude == 0 || magnitude > MAX_SPOKEN_NUMBER.unsigned_abs() {
        prompts.extend(digit_prompts(&magnitude.to_string()));
    } else {
        push_magnitude(magnitude, &mut prompts);
    }
    prompts
}

/// Prompts for `n` (1 to 999 999 999): groups of thousands, each said up to 999.
fn push_magnitude(mut n: u32, prompts: &mut Vec<String>) {
    for (scale, word) in [(1_000_000, "digits/million"), (1000, "digits/thousand")] {
        if n >= scale {
            push_magnitude(n / scale, prompts);
            prompts.push(word.to_owned());
            n %= scale;
        }
    }
    if n >= 100 {
        prompts.push(format!("digits/{}", n / 100));
        prompts.push("digits/hundred".to_owned());
        n %= 100;
    }
    // English has a prompt for each number below 20, then one per ten.
    if n >= 20 {
        prompts.push(format!("digits/{}", n / 10 * 10));
        n %= 10;
    }
    if n > 0 {
        prompts.push(format!("digits/{n}"));
    }
}

/// Characters spelled out: letters (case-insensitive), digits, and the punctuation that
/// has a prompt; the rest is skipped.
pub fn character_prompts(text: &str) -> Vec<String> {
    text.chars()
        .filter_map(|c| {
            let punctuation = match c {
                // Asterisk's own spelling of the file name.
                '!' => "letters/exclaimation-point",
                '@' => "letters/at",
                '$' => "letters/dollar",
                '-' => "letters/dash",
                '.' => "letters/dot",
                '=' => "letters/equals",
                '+' => "letters/plus",
                '/' => "letters/slash",
                ' ' => "letters/space",
                'a'..='z' | 'A'..='Z' => return Some(format!("letters/{}", c.to_ascii_lowercase())),
                _ => return digit_prompt(c),
            };
            Some(punctuation.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(uri: &str) -> Result<MediaUri, MediaUriError> {
        uri.parse()
    }

    #[test]
    fn parses_each_scheme() {
        assert_eq!(parse("sound:hello-world"), Ok(MediaUri::Sound("hello-world".into())));
        assert_eq!(parse("sound:digits/1"), Ok(MediaUri::Sound("digits/1".into())));
        assert_eq!(parse("recording:calls/2024/abc"), Ok(MediaUri::Recording("calls/2024/abc".into())));
        assert_eq!(parse("tone:ring"), Ok(MediaUri::Tone { name: "ring".into(), tonezone: None }));
        assert_eq!(
            parse("tone:busy;tonezone=fr"),
            Ok(MediaUri::Tone { name: "busy".into(), tonezone: Some("fr".into()) })
        );
        assert_eq!(parse("digits:12*#"), Ok(MediaUri::Digits("12*#".into())));
        assert_eq!(parse("number:42"), Ok(MediaUri::Number(42)));
        assert_eq!(parse("number:-7"), Ok(MediaUri::Number(-7)));
        assert_eq!(parse("characters:abc"), Ok(MediaUri::Characters("abc".into())));
    }

    #[test]
    fn displays_what_it_parses() {
        for uri in ["sound:a/b", "recording:r", "tone:ring", "tone:!350+440/100;tonezone=us", "digits:9", "number:-3"] {
            assert_eq!(parse(uri).unwrap().to_string(), uri);
        }
    }

    #[test]
    fn refuses_bad_uris() {
        assert_eq!(parse("hello-world"), Err(MediaUriError::MissingScheme("hello-world".into())));
        assert_eq!(parse("file:/etc/passwd"), Err(MediaUriError::UnknownScheme("file".into())));
        assert_eq!(parse("Sound:x"), Err(MediaUriError::UnknownScheme("Sound".into())));
        assert_eq!(parse("sound:"), Err(MediaUriError::Empty("sound")));
        assert_eq!(parse("digits:"), Err(MediaUriError::Empty("digits")));
        assert_eq!(parse("tone:;tonezone=fr"), Err(MediaUriError::Empty("tone")));
        assert_eq!(parse("tone:ring;volume=3"), Err(MediaUriError::BadToneOption("volume=3".into())));
        assert_eq!(parse("tone:ring;tonezone="), Err(MediaUriError::BadToneOption("tonezone=".into())));
        for number in ["number:4x", "number:1000000000", "number:-1000000000", "number:", "number:1.5"] {
            assert!(parse(number).is_err(), "{number}");
        }
    }

    #[test]
    fn refuses_names_that_leave_the_directory() {
        for uri in ["sound:../../etc/passwd", "sound:/etc/passwd", "recording:a\\b", "recording:x\0y", "sound:a/../b"] {
            assert!(matches!(parse(uri), Err(MediaUriError::Name(_))), "{uri:?}");
        }
    }

    #[test]
    fn digits_are_said_one_by_one() {
        assert_eq!(digit_prompts("10*#-x"), ["digits/1", "digits/0", "digits/star", "digits/pound", "digits/minus"]);
    }

    #[test]
    fn numbers_are_said_in_words() {
        let said = |number| number_prompts(number).join(" ").replace("digits/", "");
        assert_eq!(said(0), "0");
        assert_eq!(said(7), "7");
        assert_eq!(said(13), "13");
        assert_eq!(said(20), "20");
        assert_eq!(said(42), "40 2");
        assert_eq!(said(100), "1 hundred");
        assert_eq!(said(115), "1 hundred 15");
        assert_eq!(said(999), "9 hundred 90 9");
        assert_eq!(said(1000), "1 thousand");
        assert_eq!(said(2005), "2 thousand 5");
        assert_eq!(said(-1234), "minus 1 thousand 2 hundred 30 4");
        assert_eq!(said(1_000_000), "1 million");
        assert_eq!(said(MAX_SPOKEN_NUMBER), "9 hundred 90 9 million 9 hundred 90 9 thousand 9 hundred 90 9");
        assert_eq!(said(120_000_017), "1 hundred 20 million 17");
        assert_eq!(said(-2_000_000_001), "minus 2 0 0 0 0 0 0 0 0 1");
    }

    #[test]
    fn characters_are_spelled() {
        assert_eq!(
            character_prompts("Ab1 .!@%"),
            [
                "letters/a",
                "letters/b",
                "digits/1",
                "letters/space",
                "letters/dot",
                "letters/exclaimation-point",
                "letters/at"
            ]
        );
        assert_eq!(MediaUri::Characters("z".into()).spoken_prompts(), Some(vec!["letters/z".to_owned()]));
        assert_eq!(MediaUri::Sound("z".into()).spoken_prompts(), None);
    }
}
