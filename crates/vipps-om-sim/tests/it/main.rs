//! Integration tests of the simulator, one module per topic. Most go
//! through real HTTP against a simulator spawned on a free port; the
//! generated-request test calls the router in-process.

mod auth;
mod categories;
mod checklist;
mod client;
mod conformance;
mod control;
mod epayment;
mod faults;
mod generated;
mod images;
mod isolation;
mod limits;
mod partners;
mod postman;
mod receipts;
mod rules;
mod support;
mod validation;
