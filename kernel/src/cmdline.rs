//! The guest command line (xl `extra=`): space-separated `key=value` words, optionally
//! followed by `click=` and a Click configuration that runs at boot (the rest of the line).

/// What the guest does after booting, selected with `selftest=` on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selftest {
    /// The default: run the network function when the domain has vifs, else `Sched`.
    Auto,
    /// Run the scheduler self-test and power off.
    Sched,
    /// Panic with a known message: the domain must crash with it on the console.
    Panic,
    /// Read an unmapped address: the trap handler must print the fault and crash.
    Fault,
    /// Sleep on the timer for `idle_secs` seconds, then power off: the domain must block.
    Idle,
    /// Recurse until the stack overflows: the guard page must stop it with a crash.
    Stack,
}

/// The options the kernel understands on its command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options<'a> {
    /// The behaviour after boot.
    pub selftest: Selftest,
    /// How long `selftest=idle` sleeps, in seconds.
    pub idle_secs: u32,
    /// The Click configuration after `click=`, if any.
    pub click: Option<&'a str>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            selftest: Selftest::Auto,
            idle_secs: 5,
            click: None,
        }
    }
}

/// The marker of a configuration on the command line: everything after it is the config.
const CLICK_MARKER: &str = "click=";

/// A word of the command line that the kernel did not accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unknown<'a>(pub &'a str);

impl Options<'_> {
    /// Parses `cmdline`; words that are not understood are returned so the caller can warn
    /// about them (at most eight are kept) and are otherwise ignored.
    pub fn parse(cmdline: &str) -> (Options<'_>, heapless::Vec<Unknown<'_>, 8>) {
        let mut opts = Options::default();
        let mut unknown = heapless::Vec::new();
        let words = match find_click(cmdline) {
            Some(at) => {
                opts.click = Some(&cmdline[at + CLICK_MARKER.len()..]);
                &cmdline[..at]
            }
            None => cmdline,
        };
        for word in words.split_ascii_whitespace() {
            let accepted = match word.split_once('=') {
                Some(("selftest", "sched")) => {
                    opts.selftest = Selftest::Sched;
                    true
                }
                Some(("selftest", "panic")) => {
                    opts.selftest = Selftest::Panic;
                    true
                }
                Some(("selftest", "fault")) => {
                    opts.selftest = Selftest::Fault;
                    true
                }
                Some(("selftest", "idle")) => {
                    opts.selftest = Selftest::Idle;
                    true
                }
                Some(("selftest", "stack")) => {
                    opts.selftest = Selftest::Stack;
                    true
                }
                Some(("idle_secs", v)) => match v.parse::<u32>() {
                    Ok(secs) if (1..=3600).contains(&secs) => {
                        opts.idle_secs = secs;
                        true
                    }
                    _ => false,
                },
                _ => false,
            };
            if !accepted {
                // Only the first few unknown words are reported.
                let _ = unknown.push(Unknown(word));
            }
        }
        (opts, unknown)
    }
}

/// Where `click=` starts a word of `cmdline`.
fn find_click(cmdline: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = cmdline[from..].find(CLICK_MARKER) {
        let at = from + i;
        if at == 0 || cmdline.as_bytes()[at - 1].is_ascii_whitespace() {
            return Some(at);
        }
        from = at + CLICK_MARKER.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_default() {
        let (o, u) = Options::parse("");
        assert_eq!(o, Options::default());
        assert!(u.is_empty());
    }

    #[test]
    fn selftests_and_idle_secs() {
        assert_eq!(Options::parse("selftest=panic").0.selftest, Selftest::Panic);
        assert_eq!(Options::parse("selftest=sched").0.selftest, Selftest::Sched);
        assert_eq!(Options::parse("").0.selftest, Selftest::Auto);
        assert_eq!(Options::parse("selftest=fault").0.selftest, Selftest::Fault);
        let (o, u) = Options::parse("  selftest=idle   idle_secs=7 ");
        assert_eq!(o.selftest, Selftest::Idle);
        assert_eq!(o.idle_secs, 7);
        assert!(u.is_empty());
    }

    #[test]
    fn bad_words_are_reported_not_fatal() {
        let (o, u) = Options::parse("selftest=bogus idle_secs=0 idle_secs=x noclick=a");
        assert_eq!(o, Options::default());
        assert_eq!(
            u.as_slice(),
            &[
                Unknown("selftest=bogus"),
                Unknown("idle_secs=0"),
                Unknown("idle_secs=x"),
                Unknown("noclick=a")
            ]
        );
    }

    #[test]
    fn click_takes_the_rest_of_the_line() {
        let (o, u) = Options::parse("idle_secs=7 click=Idle -> c :: Counter -> Discard; // x=1");
        assert_eq!(o.idle_secs, 7);
        assert_eq!(o.click, Some("Idle -> c :: Counter -> Discard; // x=1"));
        assert!(u.is_empty());
        assert_eq!(Options::parse("click=").0.click, Some(""));
        assert_eq!(Options::parse("xclick=a").0.click, None);
    }
}
