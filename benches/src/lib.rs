//! Criterion benches of latchkey; the benches themselves are the `[[bench]]`
//! targets of this package (see `Cargo.toml`), e.g.
//! `cargo bench -p latchkey-benches --bench argon2`. This library is empty.
