//! DTMF, sans-IO: the sixteen digits and the two ways they travel.
//!
//! - [`rfc4733`]: out of band, as RTP telephone-events (RFC 4733), sending and receiving.
//! - [`goertzel`]: in band, detecting the dual tones (ITU-T Q.23/Q.24) in 8 kHz audio.
//!
//! Both speak in [`Digit`]s, which know their RFC 4733 event code and their keypad tones.

pub mod goertzel;
pub mod rfc4733;

use std::fmt;
use std::time::Duration;

use thiserror::Error;

/// The low ("row") tones of the keypad in Hz (ITU-T Q.23).
pub const ROW_FREQUENCIES: [f32; 4] = [697.0, 770.0, 852.0, 941.0];

/// The high ("column") tones of the keypad in Hz (ITU-T Q.23).
pub const COLUMN_FREQUENCIES: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];

/// The characters of events 0 to 15 (RFC 4733 §3).
const EVENT_CHARS: [char; 16] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#', 'A', 'B', 'C', 'D'];

/// The keypad as event codes, by row then column (Q.23 Figure 1).
const KEYPAD: [[u8; 4]; 4] = [[1, 2, 3, 12], [4, 5, 6, 13], [7, 8, 9, 14], [10, 0, 11, 15]];

/// Each event code's row and column: [`KEYPAD`] inverted.
const KEYPAD_POSITIONS: [(usize, usize); 16] = {
    let mut positions = [(0, 0); 16];
    let mut row = 0;
    while row < 4 {
        let mut column = 0;
        while column < 4 {
            positions[KEYPAD[row][column] as usize] = (row, column);
            column += 1;
        }
        row += 1;
    }
    positions
};

/// What is wrong with a digit, a telephone-event or a DTMF setting.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DtmfError {
    /// A character that is not one of `0-9 * # A-D`.
    #[error("`{0}` is not a DTMF digit (0-9, *, #, A-D)")]
    NotADigit(char),
    /// A telephone-event other than the sixteen DTMF digits (flash, fax tones, …).
    #[error("telephone-event {0} is not a DTMF digit")]
    UnsupportedEvent(u8),
    /// A telephone-event payload shorter than its four bytes.
    #[error("telephone-event payload is {0} bytes, fewer than 4")]
    ShortPayload(usize),
    /// A tone length below the 40 ms that receivers are required to recognise.
    #[error("DTMF tone length {0:?} is below the 40 ms minimum")]
    ToneTooShort(Duration),
    /// A tone length whose duration does not fit a single RFC 4733 event.
    #[error("DTMF tone length {0:?} is longer than one telephone-event can carry")]
    ToneTooLong(Duration),
    /// A volume beyond the 6 bits of the payload (0 to 63, in -dBm0).
    #[error("DTMF volume -{0} dBm0 is out of range (0 to 63)")]
    BadVolume(u8),
    /// A clock rate that is zero or not a whole number of samples per 20 ms.
    #[error("telephone-event clock rate {0} Hz is not a positive multiple of 50")]
    BadClockRate(u32),
    /// Too many digits waiting to be sent.
    #[error("too many DTMF digits queued (at most {0})")]
    QueueFull(usize),
}

/// One of the sixteen DTMF digits, `0-9 * # A-D`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digit(u8);

impl Digit {
    /// All sixteen digits, in event-code order.
    pub const ALL: [Digit; 16] = {
        let mut all = [Digit(0); 16];
        let mut event = 0;
        while event < 16 {
            all[event] = Digit(event as u8);
            event += 1;
        }
        all
    };

    /// The digit a character stands for; lowercase `a-d` are accepted too.
    pub fn from_char(c: char) -> Result<Digit, DtmfError> {
        let upper = c.to_ascii_uppercase();
        EVENT_CHARS
            .iter()
            .position(|&known| known == upper)
            .map(|event| Digit(event as u8))
            .ok_or(DtmfError::NotADigit(c))
    }

    /// The digit of an RFC 4733 event code (0 to 15).
    pub fn from_event(event: u8) -> Result<Digit, DtmfError> {
        if usize::from(event) < EVENT_CHARS.len() {
            Ok(Digit(event))
        } else {
            Err(DtmfError::UnsupportedEvent(event))
        }
    }

    /// The digit at a keypad position (row and column, each 0 to 3), if there is one.
    pub fn from_keypad(row: usize, column: usize) -> Option<Digit> {
        KEYPAD.get(row)?.get(column).map(|&event| Digit(event))
    }

    /// The RFC 4733 event code.
    pub fn event(self) -> u8 {
        self.0
    }

    /// The character, uppercase for `A-D`.
    pub fn as_char(self) -> char {
        EVENT_CHARS[usize::from(self.0)]
    }

    /// The keypad position: row and column, each 0 to 3.
    pub fn keypad(self) -> (usize, usize) {
        KEYPAD_POSITIONS[usize::from(self.0)]
    }

    /// The low and high tone of the digit in Hz.
    pub fn frequencies(self) -> (f32, f32) {
        let (row, column) = self.keypad();
        (ROW_FREQUENCIES[row], COLUMN_FREQUENCIES[column])
    }
}

impl TryFrom<char> for Digit {
    type Error = DtmfError;

    fn try_from(c: char) -> Result<Self, Self::Error> {
        Digit::from_char(c)
    }
}

impl fmt::Display for Digit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_char())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_and_events_correspond() {
        let chars: String = Digit::ALL.iter().map(|d| d.as_char()).collect();
        assert_eq!(chars, "0123456789*#ABCD");
        for digit in Digit::ALL {
            assert_eq!(Digit::from_char(digit.as_char()), Ok(digit));
            assert_eq!(Digit::from_event(digit.event()), Ok(digit));
        }
        assert_eq!(Digit::from_char('b').unwrap().event(), 13);
        assert_eq!(Digit::from_char('E'), Err(DtmfError::NotADigit('E')));
        assert_eq!(Digit::from_char(' '), Err(DtmfError::NotADigit(' ')));
        assert_eq!(Digit::from_event(16), Err(DtmfError::UnsupportedEvent(16)));
        assert_eq!(Digit::from_event(255), Err(DtmfError::UnsupportedEvent(255)));
    }

    #[test]
    fn keypad_positions_give_q23_frequencies() {
        assert_eq!(Digit::from_char('1').unwrap().frequencies(), (697.0, 1209.0));
        assert_eq!(Digit::from_char('5').unwrap().frequencies(), (770.0, 1336.0));
        assert_eq!(Digit::from_char('9').unwrap().frequencies(), (852.0, 1477.0));
        assert_eq!(Digit::from_char('*').unwrap().frequencies(), (941.0, 1209.0));
        assert_eq!(Digit::from_char('0').unwrap().frequencies(), (941.0, 1336.0));
        assert_eq!(Digit::from_char('#').unwrap().frequencies(), (941.0, 1477.0));
        assert_eq!(Digit::from_char('D').unwrap().frequencies(), (941.0, 1633.0));
        for digit in Digit::ALL {
            let (row, column) = digit.keypad();
            assert_eq!(Digit::from_keypad(row, column), Some(digit));
        }
        assert_eq!(Digit::from_keypad(4, 0), None);
    }
}
