//! When to try again: exponential backoff with full jitter, and a circuit breaker for a GL that is
//! down.
//!
//! Both are plain arithmetic on durations and instants handed in: the random numbers for the
//! jitter and the current time come from the caller, so every schedule can be replayed in a test.
//!
//! * **Backoff**: the n-th retry of a journal waits a uniformly random time between half of and
//!   all of `min(cap, base · 2ⁿ)`. The randomness spreads the retries of many journals (and of many
//!   Folio installations) so they do not hit a recovering GL in lockstep; the half that is kept
//!   makes sure a retry is never immediate.
//! * **Circuit breaker**: after `threshold` failures in a row that say "the GL is not there"
//!   (retryable or unknown outcome), the circuit opens and nothing is sent until `open_for` has
//!   passed; then one batch probes the GL (half-open). Success closes the circuit; failure opens it
//!   again for twice as long, up to `max_open`. While it is open the outbox only waits, so an
//!   offline laptop does not spin, and a GL that comes back is noticed within `max_open`.

use std::time::Duration;

/// Exponential backoff with jitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff {
            base: Duration::from_millis(250),
            cap: Duration::from_secs(5),
        }
    }
}

impl Backoff {
    /// The wait before attempt `attempt + 1` (attempt 1 is the first send), from a uniformly
    /// random `random`.
    pub fn delay(&self, attempt: u32, random: u64) -> Duration {
        let exp = attempt.saturating_sub(1).min(30);
        let ceiling = self
            .base
            .saturating_mul(1u32 << exp)
            .min(self.cap)
            .as_millis();
        let ceiling = u64::try_from(ceiling).unwrap_or(u64::MAX).max(1);
        let half = ceiling / 2;
        Duration::from_millis(half + random % (ceiling - half + 1))
    }
}

/// Where the breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Sending normally.
    Closed,
    /// Not sending until the instant given (in the caller's time, as a duration since its epoch).
    Open { until: Duration },
    /// One probe may go out.
    HalfOpen,
}

/// A circuit breaker over the caller's monotonic time (a `Duration` since any fixed instant).
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    pub threshold: u32,
    pub open_for: Duration,
    pub max_open: Duration,
    failures: u32,
    current_open: Duration,
    state: BreakerState,
}

impl Default for CircuitBreaker {
    fn default() -> CircuitBreaker {
        CircuitBreaker::new(3, Duration::from_millis(500), Duration::from_secs(5))
    }
}

impl CircuitBreaker {
    pub fn new(threshold: u32, open_for: Duration, max_open: Duration) -> CircuitBreaker {
        CircuitBreaker {
            threshold,
            open_for,
            max_open,
            failures: 0,
            current_open: open_for,
            state: BreakerState::Closed,
        }
    }

    /// The state at `now`: an open circuit whose time is up becomes half-open.
    pub fn state(&mut self, now: Duration) -> BreakerState {
        if let BreakerState::Open { until } = self.state
            && now >= until
        {
            self.state = BreakerState::HalfOpen;
        }
        self.state
    }

    /// How long to wait at `now` before sending anything.
    pub fn wait(&mut self, now: Duration) -> Option<Duration> {
        match self.state(now) {
            BreakerState::Open { until } => Some(until.saturating_sub(now)),
            _ => None,
        }
    }

    /// The GL answered (with a success or a refusal of the journal itself).
    pub fn success(&mut self) {
        self.failures = 0;
        self.current_open = self.open_for;
        self.state = BreakerState::Closed;
    }

    /// The GL was not there. Opens the circuit after `threshold` in a row, or at once when a
    /// half-open probe fails.
    pub fn failure(&mut self, now: Duration) {
        self.failures += 1;
        match self.state {
            BreakerState::HalfOpen => {
                self.current_open = self.current_open.saturating_mul(2).min(self.max_open);
                self.state = BreakerState::Open {
                    until: now + self.current_open,
                };
            }
            BreakerState::Closed if self.failures >= self.threshold => {
                self.state = BreakerState::Open {
                    until: now + self.current_open,
                };
            }
            _ => {}
        }
    }

    /// Nothing may be sent before `until` (a GL's `Retry-After`).
    pub fn pause_until(&mut self, until: Duration) {
        match self.state {
            BreakerState::Open { until: current } if current >= until => {}
            _ => self.state = BreakerState::Open { until },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_and_keeps_half() {
        let b = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
        };
        let cases = [
            (1, 0, 50),
            (1, 1000, 50 + 1000 % 51),
            (2, 0, 100),
            (3, 7, 200 + 7),
            (6, 0, 1000),
            (30, 0, 1000),
            (u32::MAX, 1000, 2000),
        ];
        for (attempt, random, millis) in cases {
            assert_eq!(
                b.delay(attempt, random),
                Duration::from_millis(millis),
                "attempt {attempt}"
            );
        }
        for random in 0..1000 {
            let d = b.delay(4, random);
            assert!(d >= Duration::from_millis(400) && d <= Duration::from_millis(800));
        }
    }

    #[test]
    fn breaker_opens_probes_and_closes() {
        let s = Duration::from_secs;
        let mut cb = CircuitBreaker::new(2, s(1), s(4));
        assert_eq!(cb.state(s(0)), BreakerState::Closed);
        cb.failure(s(0));
        assert_eq!(cb.wait(s(0)), None);
        cb.failure(s(0));
        assert_eq!(cb.wait(s(0)), Some(s(1)));
        assert_eq!(cb.state(s(1)), BreakerState::HalfOpen);
        // A failed probe doubles the wait, up to the maximum.
        cb.failure(s(1));
        assert_eq!(cb.wait(s(1)), Some(s(2)));
        assert_eq!(cb.state(s(3)), BreakerState::HalfOpen);
        cb.failure(s(3));
        assert_eq!(cb.wait(s(3)), Some(s(4)));
        cb.failure(s(3));
        assert_eq!(cb.state(s(7)), BreakerState::HalfOpen);
        cb.failure(s(7));
        assert_eq!(cb.wait(s(7)), Some(s(4)));
        cb.success();
        assert_eq!(cb.state(s(7)), BreakerState::Closed);
        // Retry-After pauses without counting as a failure, and never shortens a pause.
        cb.pause_until(s(10));
        cb.pause_until(s(9));
        assert_eq!(cb.wait(s(8)), Some(s(2)));
    }
}
