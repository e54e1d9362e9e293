//! `trycmd` snapshots of every command and error path (`tests/cmd/`). Refresh after a
//! deliberate change with `TRYCMD=overwrite cargo test -p kuvert --test cli`, then review.

#[test]
fn cli_snapshots() {
    trycmd::TestCases::new()
        .case("tests/cmd/*.md")
        .case("tests/cmd/*.toml")
        .env("NO_COLOR", "1");
}
