//! Asterisk dial patterns, as outbound routes' `dialplan` and CLID inbound routes list them:
//! a plain number matches itself; `_` starts a pattern where `X` is any digit, `Z` 1-9, `N`
//! 2-9, `[15-7]` one of a set, `.` one or more of anything and `!` zero or more (both end
//! the pattern), `-` outside a set is ignored and anything else is itself. Sans-IO.

/// One element of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Element {
    /// This character (compared without regard to ASCII case).
    Literal(char),
    /// One character of these inclusive ranges.
    Set(Vec<(char, char)>),
    /// The rest of the number: at least `min` characters (1 for `.`, 0 for `!`).
    Rest { min: usize },
}

/// A parsed dial pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialPattern {
    elements: Vec<Element>,
}

impl DialPattern {
    /// Reads `text`; `None` when it cannot be a pattern (empty, or an unclosed `[`).
    pub fn parse(text: &str) -> Option<DialPattern> {
        let Some(pattern) = text.strip_prefix('_') else {
            return (!text.is_empty()).then(|| DialPattern { elements: text.chars().map(Element::Literal).collect() });
        };
        let mut elements = Vec::new();
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            let element = match c.to_ascii_uppercase() {
                'X' => Element::Set(vec![('0', '9')]),
                'Z' => Element::Set(vec![('1', '9')]),
                'N' => Element::Set(vec![('2', '9')]),
                '.' => Element::Rest { min: 1 },
                '!' => Element::Rest { min: 0 },
                '-' => continue,
                '[' => Element::Set(set(&mut chars)?),
                _ => Element::Literal(c),
            };
            let ends = matches!(element, Element::Rest { .. });
            elements.push(element);
            if ends {
                break;
            }
        }
        (!elements.is_empty()).then_some(DialPattern { elements })
    }

    /// Whether `number` matches the whole pattern.
    pub fn matches(&self, number: &str) -> bool {
        let mut chars = number.chars();
        for element in &self.elements {
            match element {
                Element::Rest { min } => return chars.count() >= *min,
                Element::Literal(want) => match chars.next() {
                    Some(c) if c.eq_ignore_ascii_case(want) => {}
                    _ => return false,
                },
                Element::Set(ranges) => match chars.next() {
                    Some(c) if ranges.iter().any(|(low, high)| (*low..=*high).contains(&c)) => {}
                    _ => return false,
                },
            }
        }
        chars.next().is_none()
    }
}

/// The ranges of a `[...]` set whose `[` was read; `None` if it never closes or is empty.
fn set(chars: &mut std::str::Chars<'_>) -> Option<Vec<(char, char)>> {
    let mut members: Vec<char> = Vec::new();
    let mut ranges = Vec::new();
    let mut dash = false;
    loop {
        match chars.next()? {
            ']' => break,
            '-' if !members.is_empty() => dash = true,
            c if dash => {
                let low = members.pop()?;
                ranges.push((low.min(c), low.max(c)));
                dash = false;
            }
            c => members.push(c),
        }
    }
    ranges.extend(members.into_iter().map(|c| (c, c)));
    (!ranges.is_empty()).then_some(ranges)
}

/// Whether any of the whitespace-separated patterns of `list` matches `number`.
pub fn any_matches(list: &str, number: &str) -> bool {
    list.split_whitespace().filter_map(DialPattern::parse).any(|pattern| pattern.matches(number))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, number: &str) -> bool {
        DialPattern::parse(pattern).is_some_and(|p| p.matches(number))
    }

    #[test]
    fn plain_numbers_match_only_themselves() {
        assert!(matches("999", "999"));
        assert!(!matches("999", "9999"));
        assert!(!matches("999", "99"));
        assert!(DialPattern::parse("").is_none());
    }

    #[test]
    fn x_z_n_are_digit_classes_in_either_case() {
        assert!(matches("_NXXNXXXXXX", "2125551234"));
        assert!(!matches("_NXXNXXXXXX", "1125551234"), "N is 2-9");
        assert!(matches("_Zx", "10"));
        assert!(!matches("_ZX", "01"), "Z is 1-9");
        assert!(!matches("_XX", "1a"));
        assert!(!matches("_XX", "123"), "a pattern without . or ! matches whole numbers only");
    }

    #[test]
    fn sets_take_ranges_and_lists() {
        assert!(matches("_[1-5]X", "37"));
        assert!(!matches("_[1-5]X", "67"));
        assert!(matches("_[136-8]", "7"));
        assert!(!matches("_[136-8]", "5"));
        assert!(matches("_[+0]X.", "+44207"), "a leading plus can be listed");
        assert!(DialPattern::parse("_[12").is_none(), "unclosed set");
        assert!(DialPattern::parse("_[]").is_none(), "empty set");
    }

    #[test]
    fn dot_wants_one_or_more_and_bang_zero_or_more() {
        assert!(matches("_9.", "9011442071234567"));
        assert!(!matches("_9.", "9"), ". wants at least one more");
        assert!(matches("_9!", "9"));
        assert!(matches("_0X.", "0123"));
        assert!(matches("_0X.", "012"));
        assert!(!matches("_0X.", "01"));
    }

    #[test]
    fn dashes_are_ignored_outside_sets() {
        assert!(matches("_1-800-NXX-XXXX", "18005551234"));
    }

    #[test]
    fn a_list_matches_when_any_pattern_does() {
        assert!(any_matches("_0X. 112  _00.", "112"));
        assert!(any_matches("_0X. 112", "0712345"));
        assert!(!any_matches("_0X. 112", "1001"));
        assert!(!any_matches("", "1001"));
        assert!(!any_matches("_[", "1"), "a broken pattern matches nothing");
    }
}
