//! Custom apps' programs: what a custom app's `extcode` may hold, parsed into the steps the
//! call layer runs. SARK passed `extcode` to Asterisk as raw dialplan (so `System()` ran
//! shell commands); here it is one call per line of a small, safe set of applications with
//! Asterisk's names and argument order, checked when the app is written:
//!
//! | line | meaning |
//! |---|---|
//! | `Answer()`, `Answer(500)` | answer (after a delay in ms) |
//! | `Playback(hello-world&tt-monkeys)` | play sounds in order (`,options` ignored) |
//! | `Echo()` | send the caller's audio back |
//! | `Wait(1.5)` | pause, in seconds |
//! | `Dial(PJSIP/1002&PJSIP/1003,20)` | ring endpoints, for seconds |
//! | `Hangup()`, `Hangup(17)` | hang up, with a Q.850 cause |
//! | `Stasis(app,arg1,arg2)` | hand the channel to an ARI application |

use std::str::FromStr;
use std::time::Duration;
use thiserror::Error;

/// The most lines a program may have.
pub const MAX_STEPS: usize = 64;

/// One application call.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Answer the channel after `delay`.
    Answer { delay: Duration },
    /// Play these sounds, in order.
    Playback { sounds: Vec<String> },
    /// Send the caller's audio back until they hang up.
    Echo,
    /// Pause.
    Wait(Duration),
    /// Ring these endpoints (`PJSIP/<number>`) in parallel, for `timeout` if given.
    Dial { endpoints: Vec<String>, timeout: Option<Duration> },
    /// Hang up with this Q.850 cause (16, normal clearing, when not given).
    Hangup { cause: u16 },
    /// Hand the channel to ARI application `app` with `args` (Asterisk's `Stasis()`).
    Stasis { app: String, args: Vec<String> },
}

/// A custom app's parsed `extcode`: its steps in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Program {
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// Why an `extcode` was refused: the line (from 1) and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {reason}")]
pub struct ProgramError {
    /// The line, counted from 1.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

impl FromStr for Program {
    type Err = ProgramError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut steps = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line_number = index + 1;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let fail = |reason: String| ProgramError { line: line_number, reason };
            if steps.len() == MAX_STEPS {
                return Err(fail(format!("a program has at most {MAX_STEPS} steps")));
            }
            steps.push(step(line).map_err(fail)?);
        }
        Ok(Program { steps })
    }
}

/// Checks an `extcode` for the provisioning API: the reason it is refused, if it is.
pub fn check(text: &str) -> Result<(), String> {
    text.parse::<Program>().map(drop).map_err(|e| format!("The extcode is invalid: {e}."))
}

fn step(line: &str) -> Result<Step, String> {
    let (name, rest) = line.split_once('(').ok_or_else(|| format!("{line:?} is not Application(arguments)"))?;
    let arguments = rest.strip_suffix(')').ok_or_else(|| format!("{line:?} does not end with ')'"))?;
    if arguments.contains(['(', ')', ';', '$', '[', ']', '{', '}', '`', '"', '\\']) {
        return Err(format!("{name}: arguments may not hold ( ) ; $ [ ] {{ }} ` \" or \\"));
    }
    let args: Vec<&str> =
        if arguments.trim().is_empty() { Vec::new() } else { arguments.split(',').map(str::trim).collect() };
    match name.trim() {
        "Answer" => {
            let delay = match args.first() {
                Some(ms) => Duration::from_millis(number(ms, "Answer's delay in milliseconds", 0, 60_000)?),
                None => Duration::ZERO,
            };
            at_most(&args, 1, "Answer")?;
            Ok(Step::Answer { delay })
        }
        "Playback" => {
            let first = args.first().filter(|a| !a.is_empty()).ok_or("Playback needs a sound")?;
            let sounds = first.split('&').map(sound).collect::<Result<Vec<_>, _>>()?;
            at_most(&args, 2, "Playback")?;
            Ok(Step::Playback { sounds })
        }
        "Echo" => {
            at_most(&args, 0, "Echo")?;
            Ok(Step::Echo)
        }
        "Wait" => {
            let seconds = args.first().ok_or("Wait needs seconds")?;
            let seconds: f64 = seconds.parse().map_err(|_| format!("Wait: {seconds:?} is not a number of seconds"))?;
            if !(0.0..=3600.0).contains(&seconds) {
                return Err("Wait: seconds must be from 0 to 3600".into());
            }
            at_most(&args, 1, "Wait")?;
            Ok(Step::Wait(Duration::from_secs_f64(seconds)))
        }
        "Dial" => {
            let first = args.first().filter(|a| !a.is_empty()).ok_or("Dial needs an endpoint")?;
            let endpoints = first.split('&').map(endpoint).collect::<Result<Vec<_>, _>>()?;
            let timeout = match args.get(1).filter(|t| !t.is_empty()) {
                Some(secs) => Some(Duration::from_secs(number(secs, "Dial's timeout in seconds", 1, 3600)?)),
                None => None,
            };
            at_most(&args, 3, "Dial")?;
            Ok(Step::Dial { endpoints, timeout })
        }
        "Hangup" => {
            let cause = match args.first() {
                Some(cause) => u16::try_from(number(cause, "Hangup's cause", 1, 127)?).unwrap_or(16),
                None => 16,
            };
            at_most(&args, 1, "Hangup")?;
            Ok(Step::Hangup { cause })
        }
        "Stasis" => {
            let app = args.first().filter(|a| !a.is_empty()).ok_or("Stasis needs an application name")?;
            if app.len() > 80 || !app.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
                return Err(format!("Stasis: {app:?} is not an application name (letters, digits, - _ .)"));
            }
            let args: Vec<String> = args[1..].iter().map(|a| (*a).to_owned()).collect();
            Ok(Step::Stasis { app: (*app).to_owned(), args })
        }
        other => Err(format!(
            "{other:?} is not one of the applications custom apps may use: Answer, Playback, Echo, Wait, Dial, Hangup, Stasis"
        )),
    }
}

fn at_most(args: &[&str], most: usize, app: &str) -> Result<(), String> {
    if args.len() > most {
        return Err(format!("{app} takes at most {most} argument(s)"));
    }
    Ok(())
}

fn number(text: &str, what: &str, min: u64, max: u64) -> Result<u64, String> {
    text.parse::<u64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| format!("{what} must be a whole number from {min} to {max}, not {text:?}"))
}

/// A sound name as the media engine's library resolves it: no absolute paths, no `..`.
fn sound(name: &str) -> Result<String, String> {
    let name = name.trim();
    let safe = !name.is_empty()
        && !name.starts_with('/')
        && !name.split('/').any(|part| part == ".." || part.is_empty())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'));
    if safe {
        Ok(name.to_owned())
    } else {
        Err(format!("Playback: {name:?} is not a sound name"))
    }
}

/// A `PJSIP/<number>` endpoint.
fn endpoint(text: &str) -> Result<String, String> {
    let text = text.trim();
    match text.strip_prefix("PJSIP/") {
        Some(number)
            if !number.is_empty()
                && number.len() <= 40
                && number.chars().all(|c| c.is_ascii_alphanumeric() || c == '+') =>
        {
            Ok(text.to_owned())
        }
        _ => Err(format!("Dial: {text:?} is not PJSIP/<number>")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(text: &str) -> Vec<Step> {
        text.parse::<Program>().unwrap_or_else(|e| panic!("{text:?}: {e}")).steps
    }

    fn refusal(text: &str) -> ProgramError {
        text.parse::<Program>().expect_err(text)
    }

    #[test]
    fn each_safe_application_parses_with_asterisks_arguments() {
        assert_eq!(
            program("Answer()\n  Playback(hello-world&demo/tt-monkeys,noanswer)\r\nWait(1.5)\n\nEcho()\nHangup(17)"),
            [
                Step::Answer { delay: Duration::ZERO },
                Step::Playback { sounds: vec!["hello-world".into(), "demo/tt-monkeys".into()] },
                Step::Wait(Duration::from_millis(1500)),
                Step::Echo,
                Step::Hangup { cause: 17 },
            ]
        );
        assert_eq!(
            program("Dial(PJSIP/1002&PJSIP/1003,20,tT)\nStasis(demo,first arg,2)\nHangup()"),
            [
                Step::Dial {
                    endpoints: vec!["PJSIP/1002".into(), "PJSIP/1003".into()],
                    timeout: Some(Duration::from_secs(20))
                },
                Step::Stasis { app: "demo".into(), args: vec!["first arg".into(), "2".into()] },
                Step::Hangup { cause: 16 },
            ]
        );
        assert_eq!(program("Stasis(demo)"), [Step::Stasis { app: "demo".into(), args: vec![] }]);
        assert_eq!(program(""), [], "an empty program is allowed (the app does nothing)");
    }

    #[test]
    fn anything_else_is_refused_with_its_line_and_reason() {
        let e = refusal("Answer()\nSystem(rm -rf /)");
        assert_eq!(e.line, 2);
        assert!(e.reason.contains("\"System\" is not one of"), "{e}");
        for (text, reason) in [
            ("Stasis()", "Stasis needs an application name"),
            ("Stasis(my app)", "is not an application name"),
            ("Playback(../../etc/passwd)", "is not a sound name"),
            ("Playback(/etc/passwd)", "is not a sound name"),
            ("Wait(forever)", "is not a number of seconds"),
            ("Wait(7200)", "from 0 to 3600"),
            ("Dial(SIP/1002)", "is not PJSIP/<number>"),
            ("Dial(PJSIP/1002,0)", "from 1 to 3600"),
            ("Hangup(200)", "from 1 to 127"),
            ("Echo(1)", "at most 0 argument"),
            ("Playback(${SHELL})", "may not hold"),
            ("Answer(", "does not end with ')'"),
            ("Answer", "is not Application(arguments)"),
        ] {
            let e = refusal(text);
            assert!(e.reason.contains(reason), "{text:?}: {e}");
        }
        let long = "Echo()\n".repeat(MAX_STEPS + 1);
        assert_eq!(refusal(&long).line, MAX_STEPS + 1);
    }

    #[test]
    fn the_api_check_names_the_field_and_the_line() {
        assert_eq!(check("Answer()\nHangup()"), Ok(()));
        assert_eq!(
            check("Wait(x)"),
            Err("The extcode is invalid: line 1: Wait: \"x\" is not a number of seconds.".to_owned())
        );
    }
}
