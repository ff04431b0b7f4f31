//! The guest command line (xl `extra=`): space-separated `key=value` words and flags.

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
}

/// The options the kernel understands on its command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The behaviour after boot.
    pub selftest: Selftest,
    /// How long `selftest=idle` sleeps, in seconds.
    pub idle_secs: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            selftest: Selftest::Auto,
            idle_secs: 5,
        }
    }
}

/// A word of the command line that the kernel did not accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unknown<'a>(pub &'a str);

impl Options {
    /// Parses `cmdline`; words that are not understood are returned so the caller can warn
    /// about them (at most eight are kept) and are otherwise ignored.
    pub fn parse(cmdline: &str) -> (Options, heapless::Vec<Unknown<'_>, 8>) {
        let mut opts = Options::default();
        let mut unknown = heapless::Vec::new();
        for word in cmdline.split_ascii_whitespace() {
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
        let (o, u) = Options::parse("selftest=bogus idle_secs=0 idle_secs=x click=a.click");
        assert_eq!(o, Options::default());
        assert_eq!(
            u.as_slice(),
            &[
                Unknown("selftest=bogus"),
                Unknown("idle_secs=0"),
                Unknown("idle_secs=x"),
                Unknown("click=a.click")
            ]
        );
    }
}
