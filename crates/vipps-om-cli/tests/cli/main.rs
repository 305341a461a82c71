//! `vipps-om` as users run it: every command against a simulator started
//! in this process, with exit codes, messages, `--json` shapes, snapshots
//! of the rendered order and of error output, configuration precedence,
//! secrets kept out of logs, and a bulk run through injected faults.
//!
//! Each test starts its own simulator (`vipps_om_sim::spawn_default`) and
//! runs the binary on a blocking thread so the simulator keeps serving.
//! Runs never read the developer's config file or `VIPPS_*` variables
//! (see `support::Env::bare`).

mod bulk;
mod category;
mod checklist;
mod checks;
mod completions;
mod demo;
mod doctor;
mod examples;
mod hostile;
mod image;
mod limits;
mod newcomer;
mod order;
mod partners;
mod profiles;
mod receipt;
mod secrets;
mod support;
mod token;
