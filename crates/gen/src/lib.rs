//! Realistic calls, built the way a PBX builds them: a scenario scripts a call
//! on a simulated Asterisk ([`pbx`]), which writes CEL rows; the assembler of
//! `callfull-cel` turns them into the `call_full` a connector hands its
//! customizations at each stage.
//!
//! Where it sits: seed → world → **simulator** → CEL → assembler → `call_full`.
//!
//! # Brief overview
//!
//! - [`CATALOG`] lists the [`Scenario`]s (`incoming_answered`, `incoming_queue`,
//!   `outgoing_busy`, …); [`find_scenario`] looks one up by name.
//! - [`Generator`] makes call number `i` of a run: [`Generator::cel`] gives its
//!   CEL rows, [`Generator::payloads`] its `call_full` at every stage. Call `i`
//!   depends only on the seed, the world and `i`, so runs split across threads
//!   or shards give the same bytes.
//! - [`WorldLookup`] is the assembler's view of the world for one CRM.
//! - [`Importer`] runs a user's own CEL export through the same assembler
//!   (`callfull from-cel`).
//!
//! # Example
//!
//! ```
//! use callfull_gen::{Generator, find_scenario};
//! use callfull_model::{CallStage, Crm};
//! use callfull_world::World;
//!
//! let world = World::from_seed(7);
//! let generator = Generator::new(&world, Crm::Bitrix24, 7, vec![find_scenario("incoming_answered").unwrap()]);
//! let mut stages = Vec::new();
//! generator.payloads(0, |stage, _call| stages.push(stage));
//! assert_eq!(stages.first(), Some(&CallStage::ConversationRequested));
//! assert_eq!(stages.last(), Some(&CallStage::CallEnded));
//! ```

#![deny(missing_docs)]

mod import;
mod lookup;
pub mod pbx;
mod run;
mod scenarios;
pub mod seed;

use std::io::{self, Write};

use callfull_cel::{Assembler, CelEvent, EventTime};
use callfull_model::{CallFull, CallStage, Crm, DateTime};
use callfull_world::World;
use rand::RngExt;
use serde::Serialize;

pub use import::{ImportError, ImportOptions, ImportStats, Importer};
pub use lookup::WorldLookup;
pub use run::{Format, RunOptions, RunStats, generate_files, generate_to};
pub use scenarios::{CATALOG, Call, Scenario, find as find_scenario};

use crate::pbx::{Counters, Pbx};

/// One generated call: which scenario, and the CEL rows the PBX wrote.
#[derive(Debug, Clone)]
pub struct GeneratedCall {
    /// The call's index in the run.
    pub index: u64,
    /// The scenario it follows.
    pub scenario: &'static Scenario,
    /// Its CEL rows, in the order they were written.
    pub rows: Vec<CelEvent>,
}

/// Why a scenario list or mix cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GenError {
    /// A name that is not in the catalog.
    #[error("unknown scenario {name:?} (known: {known})")]
    UnknownScenario {
        /// The name given.
        name: String,
        /// Every valid name.
        known: String,
    },
}

/// Every scenario name, comma-separated (for error messages).
pub fn scenario_names() -> String {
    CATALOG.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

/// Scenarios by name, `all` for the whole catalog.
pub fn select_scenarios(names: &[String]) -> Result<Vec<&'static Scenario>, GenError> {
    if names.is_empty() || names.iter().any(|n| n == "all") {
        return Ok(CATALOG.iter().collect());
    }
    names
        .iter()
        .map(|name| {
            find_scenario(name).ok_or_else(|| GenError::UnknownScenario { name: name.clone(), known: scenario_names() })
        })
        .collect()
}

/// Makes the calls of one run.
pub struct Generator<'w> {
    world: &'w World,
    crm: Crm,
    seed: u64,
    scenarios: Vec<&'static Scenario>,
    /// Cumulative weights, when the world's mix applies.
    weights: Option<Vec<u32>>,
    day_start: EventTime,
    utc_offset_secs: i64,
    lookup: WorldLookup<'w>,
}

impl<'w> Generator<'w> {
    /// Calls for `crm` cycling through `scenarios` (call `i` follows
    /// `scenarios[i % len]`).
    pub fn new(world: &'w World, crm: Crm, seed: u64, scenarios: Vec<&'static Scenario>) -> Self {
        let utc_offset_secs = i64::from(world.settings.utc_offset_hours) * 3600;
        let day = DateTime::parse(&format!("{} 09:00:00", world.settings.date)).unwrap_or(DateTime::ZERO);
        let unix = day.seconds_since(DateTime::from_unix(0, 0)) - utc_offset_secs;
        Generator {
            world,
            crm,
            seed,
            scenarios,
            weights: None,
            day_start: EventTime::from_unix(unix, 0),
            utc_offset_secs,
            lookup: WorldLookup::new(world, crm, seed),
        }
    }

    /// The world lookup the calls are assembled with (built once: it holds
    /// every user and client as `call_full` shapes).
    pub fn lookup(&self) -> &WorldLookup<'w> {
        &self.lookup
    }

    /// Picks scenarios by the world's `mix` weights instead of cycling;
    /// scenarios the mix does not name get no calls. Errors on an unknown name.
    pub fn with_mix(mut self) -> Result<Self, GenError> {
        let mix = &self.world.settings.mix;
        if mix.is_empty() {
            return Ok(self);
        }
        for name in mix.keys() {
            if find_scenario(name).is_none() {
                return Err(GenError::UnknownScenario { name: name.to_string(), known: scenario_names() });
            }
        }
        let mut total = 0;
        let weights = self.scenarios.iter().map(|s| {
            total += mix.get(s.name).copied().unwrap_or(0);
            total
        });
        let weights: Vec<u32> = weights.collect();
        if total > 0 {
            self.weights = Some(weights);
        }
        Ok(self)
    }

    /// The CRM the payloads are for.
    pub fn crm(&self) -> Crm {
        self.crm
    }

    /// The PBX's offset from UTC, in seconds.
    pub fn utc_offset_secs(&self) -> i64 {
        self.utc_offset_secs
    }

    /// Call `index`'s CEL rows.
    pub fn cel(&self, index: u64) -> GeneratedCall {
        let mut pick = seed::call_rng(self.seed, index);
        let scenario = match &self.weights {
            Some(weights) => {
                let total = *weights.last().unwrap_or(&1);
                let draw = pick.random_range(0..total.max(1));
                let i = weights.iter().position(|w| draw < *w).unwrap_or(0);
                self.scenarios[i]
            }
            None => self.scenarios[(index % self.scenarios.len() as u64) as usize],
        };
        let spacing = pick.random_range(0..45);
        let start = self.day_start.plus_micros(((index as i64) * 53 + spacing) * 1_000_000);
        let counters = Counters {
            row: 1 + index * 400,
            uniqueid: 1_000 + index * 64,
            pjsip: (index * 24) as u32,
            local: (index * 8) as u32,
        };
        let mut rng = seed::scenario_rng(self.seed, index, scenario.name);
        let pbx = Pbx::new(&mut rng, start, counters);
        let mut call = Call { world: self.world, crm: self.crm, pbx };
        scenario.run(&mut call);
        GeneratedCall { index, scenario, rows: call.pbx.into_rows() }
    }

    /// Call `index`'s `call_full` at each stage, in order; returns its scenario.
    pub fn payloads(&self, index: u64, mut sink: impl FnMut(CallStage, &CallFull)) -> &'static Scenario {
        let call = self.cel(index);
        let assembler = Assembler::new(&self.lookup, self.crm, self.utc_offset_secs);
        // A scenario always writes rows, so the assembler always has a call.
        let _ = assembler.assemble(&call.rows, &mut sink);
        call.scenario
    }
}

/// The customization input `{"call_full": …, "call_stage": …}`, borrowed.
#[derive(Serialize)]
struct Envelope<'a> {
    call_full: &'a CallFull,
    call_stage: CallStage,
}

/// Writes one stage as a customization input, compact (one line) or pretty,
/// followed by a newline.
///
/// Implementation notes: compact payloads are printed by the model's own
/// writer ([`callfull_model::json`]), about twice as fast as going through
/// serde, with the same bytes as `serde_json::to_writer` (a test checks every
/// scenario for both CRMs); pretty output, which is for people, stays with
/// `serde_json`.
pub fn write_payload(out: &mut Vec<u8>, stage: CallStage, call: &CallFull, pretty: bool) -> io::Result<()> {
    if pretty {
        serde_json::to_writer_pretty(&mut *out, &Envelope { call_full: call, call_stage: stage })?;
    } else {
        callfull_model::json::write_customization_input(out, call, stage);
    }
    out.write_all(b"\n")
}
