//! The stage driver: makes each call (scenario → CEL → `call_full` per
//! stage, as `generate` does), then walks its stages in order: the requests
//! due before a stage's hook, the CRM side put into the stage, the stage
//! handed to the sink, the requests the stage triggers. A failed request
//! ends its call; the run goes on with the next one.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use callfull_cel::Assembler;
use callfull_gen::{GenError, Generator, Scenario};
use callfull_model::{CallFull, CallStage};
use callfull_world::World;

use crate::amocrm::{self, AmoCrm, AmoSettings};
use crate::bitrix24::{self, Bitrix24};
use crate::error::ReplayError;
use crate::http::Http;
use crate::lookup::{CallFacts, ReplayLookup};
use crate::summary::{Failure, Summary};
use crate::target::Target;
use crate::users::Users;

/// What to replay.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The seed of the calls (the same as the world's, for a fake served with it).
    pub seed: u64,
    /// The scenarios, cycled (or picked by the world's mix).
    pub scenarios: Vec<&'static Scenario>,
    /// How many calls.
    pub count: u64,
    /// The first call's index (default 0).
    pub first: u64,
}

/// A connector replay against one CRM.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use callfull_replay::{Bitrix24Auth, Http, Replay, RunOptions, Target};
/// use callfull_world::World;
///
/// let world = World::from_seed(1);
/// let target = Target::Bitrix24(Bitrix24Auth::Webhook("http://127.0.0.1:8080/rest/1/code/".into()));
/// let replay = Replay::new(&world, target, Http::builder().build()?);
/// let options = RunOptions { seed: 1, scenarios: callfull_gen::CATALOG.iter().collect(), count: 25, first: 0 };
/// let summary = replay.run(&options, |_call, stage, call_full| println!("{stage:?} {}", call_full.result.0)).await?;
/// assert!(summary.is_ok(), "{summary}");
/// # Ok(()) }
/// ```
pub struct Replay<'w> {
    world: &'w World,
    target: Target,
    http: Http,
    amocrm: AmoSettings,
}

enum Connector<'w> {
    Bitrix24(Bitrix24<'w>),
    AmoCrm(AmoCrm<'w>),
}

impl<'w> Replay<'w> {
    /// A replay of calls made from `world` (the PBX's and connector's
    /// settings: extensions, trunks, prefixes) against `target`.
    pub fn new(world: &'w World, target: Target, http: Http) -> Self {
        Replay { world, target, http, amocrm: AmoSettings::default() }
    }

    /// What the amoCRM connector does for unknown numbers (default [`AmoSettings::default`]).
    #[must_use]
    pub fn amocrm_settings(mut self, settings: AmoSettings) -> Self {
        self.amocrm = settings;
        self
    }

    /// Replays `options.count` calls; every stage goes to `sink` with the
    /// call's index. Errors only when the run cannot start (a bad URL, an
    /// unknown scenario in the world's mix); a failed call is in the summary.
    pub async fn run(
        &self,
        options: &RunOptions,
        mut sink: impl FnMut(u64, CallStage, &CallFull),
    ) -> Result<Summary, ReplayError> {
        let started = Instant::now();
        let crm = self.target.crm();
        let mut connector = match &self.target {
            Target::Bitrix24(auth) => Connector::Bitrix24(Bitrix24::new(self.http.clone(), auth.clone(), self.world)?),
            Target::AmoCrm { url, token } => {
                Connector::AmoCrm(AmoCrm::new(self.http.clone(), url, token.clone(), self.world, self.amocrm.clone())?)
            }
        };
        let generator = Generator::new(self.world, crm, options.seed, options.scenarios.clone())
            .with_mix()
            .map_err(|e: GenError| ReplayError::BadUrl { url: String::new(), reason: e.to_string() })?;
        let base = Snapshot::of(&self.http);
        let mut summary = Summary { crm, seed: options.seed, ..Summary::default() };

        let users = match &mut connector {
            Connector::Bitrix24(c) => c.users().await,
            Connector::AmoCrm(c) => c.users().await,
        };
        let users = match users {
            Ok(users) => users,
            Err(error) => {
                summary.setup = Some(error);
                summary.finish(&base.since(&self.http), started.elapsed());
                return Ok(summary);
            }
        };
        let mut build = Duration::ZERO;
        for index in options.first..options.first + options.count {
            let t = Instant::now();
            let generated = generator.cel(index);
            let lookup = ReplayLookup { world: generator.lookup(), users: &users, facts: RefCell::new(None) };
            let mut stages: Vec<(CallStage, CallFull)> = Vec::new();
            let _ = Assembler::new(&lookup, crm, generator.utc_offset_secs())
                .assemble(&generated.rows, |stage, call| stages.push((stage, call.clone())));
            build += t.elapsed();
            let Some(facts) = lookup.facts.into_inner() else { continue };
            summary.calls += 1;
            let result =
                replay_call(&connector, &facts, &users, stages, &mut build, |stage, cf| sink(index, stage, cf)).await;
            match result {
                Ok(()) => summary.ok += 1,
                Err(error) => summary.failures.push(Failure { index, scenario: generated.scenario.name, error }),
            }
        }
        summary.build = build;
        summary.finish(&base.since(&self.http), started.elapsed());
        Ok(summary)
    }
}

async fn replay_call(
    connector: &Connector<'_>,
    facts: &CallFacts,
    users: &Users,
    stages: Vec<(CallStage, CallFull)>,
    build: &mut Duration,
    mut sink: impl FnMut(CallStage, &CallFull),
) -> Result<(), ReplayError> {
    match connector {
        Connector::Bitrix24(c) => {
            let mut state = bitrix24::CallState::default();
            for (index, (stage, mut cf)) in stages.into_iter().enumerate() {
                c.before(facts, index, stage, &cf, users, &mut state).await?;
                let t = Instant::now();
                c.fill(&state, &mut cf);
                *build += t.elapsed();
                sink(stage, &cf);
                c.after(facts, index, stage, &cf, users, &mut state).await?;
            }
        }
        Connector::AmoCrm(c) => {
            let mut state = amocrm::CallState::default();
            for (index, (stage, mut cf)) in stages.into_iter().enumerate() {
                c.before(facts, index, stage, &cf, users, &mut state).await?;
                let t = Instant::now();
                c.fill(&state, &mut cf);
                *build += t.elapsed();
                sink(stage, &cf);
            }
        }
    }
    Ok(())
}

/// The HTTP counters at one moment.
struct Snapshot {
    requests: u64,
    retries: u64,
    nanos: u64,
}

impl Snapshot {
    fn of(http: &Http) -> Snapshot {
        use std::sync::atomic::Ordering::Relaxed;
        let c = &http.counters;
        Snapshot { requests: c.requests.load(Relaxed), retries: c.retries.load(Relaxed), nanos: c.nanos.load(Relaxed) }
    }

    fn since(&self, http: &Http) -> (u64, u64, Duration) {
        let now = Snapshot::of(http);
        (now.requests - self.requests, now.retries - self.retries, Duration::from_nanos(now.nanos - self.nanos))
    }
}

/// Seconds from the first answer to the last hang-up among the answered
/// conversations (`DURATION`, amoCRM `duration`); 0 when none was answered.
pub(crate) fn duration_secs(cf: &CallFull) -> i64 {
    let answered = cf.conversations.values().map(|c| &c.channel).filter(|ch| ch.was_answered);
    let mut first = None;
    let mut last = None;
    for channel in answered {
        first = Some(first.map_or(channel.answer_time, |f: callfull_model::DateTime| f.min(channel.answer_time)));
        let end = if channel.end_time.is_zero() { cf.channel.end_time } else { channel.end_time };
        last = Some(last.map_or(end, |l: callfull_model::DateTime| l.max(end)));
    }
    match (first, last) {
        (Some(first), Some(last)) if !last.is_zero() => last.seconds_since(first).max(0),
        _ => 0,
    }
}

/// The CRM user id of the conversation answered last, if it has a user.
pub(crate) fn last_answered_user(cf: &CallFull) -> Option<String> {
    cf.conversations
        .values()
        .filter(|c| c.channel.was_answered)
        .max_by_key(|c| c.channel.answer_time)
        .and_then(|c| c.user.as_ref())
        .map(|u| u.id.clone())
}
