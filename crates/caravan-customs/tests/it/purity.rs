//! `caravan-customs` stays a pure domain crate: no I/O, async, CLI or database crate among its
//! normal dependencies (STYLE.md section 2; the workspace tidy test checks the whole graph).

#[test]
fn normal_dependencies_have_no_io_crates() {
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let dependencies = manifest
        .split("\n[dependencies]\n")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("a [dependencies] section");
    let names: Vec<&str> = dependencies
        .lines()
        .filter_map(|line| line.split(['=', '.']).next())
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .collect();
    assert!(names.contains(&"caravan-types"), "{names:?}");
    for io in ["tokio", "axum", "sqlx", "rusqlite", "clap", "indicatif", "reqwest", "ureq", "hyper"]
    {
        assert!(!names.contains(&io), "caravan-customs must stay pure but depends on {io}");
    }
}
