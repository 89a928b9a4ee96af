//! `kubeseal-controller`: the controller binary.
fn main() {}
