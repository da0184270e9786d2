//! verify against journals of real replays (both CRMs, every scenario),
//! hand-made broken journals, and input that is not a journal.

mod broken;
mod input;
mod replays;
