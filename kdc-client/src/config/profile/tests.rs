use super::*;

fn mem(files: &[(&str, &str)]) -> MemSource {
    MemSource(
        files
            .iter()
            .map(|(p, t)| (PathBuf::from(p), t.to_string()))
            .collect(),
    )
}

fn parse(text: &str) -> Profile {
    Profile::parse(text, "test.conf", &MemSource::default()).unwrap()
}

fn vals<'a>(p: &'a Profile, path: &[&str]) -> Vec<&'a str> {
    p.values(path).into_iter().map(|(v, _)| v).collect()
}

fn syntax_line(text: &str) -> usize {
    match Profile::parse(text, "bad.conf", &MemSource::default()) {
        Err(ConfigError::Syntax { file, line, .. }) => {
            assert_eq!(&*file, "bad.conf");
            line
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

/// The example of MIT's krb5.conf(5), plus the syntax corners.
const SAMPLE: &str = r#"
this text before the first section is ignored, as MIT does
[libdefaults]
    default_realm = ATHENA.MIT.EDU
  # a comment
  ; another comment
    dns_lookup_kdc = true

[realms]
    ATHENA.MIT.EDU = {
        admin_server = KERBEROS.MIT.EDU
        default_domain = MIT.EDU
        kdc = kerberos.mit.edu
        kdc = kerberos-1.mit.edu
        v4_instance_convert = {
            mit = mit.edu
            lithium = lithium.lcs.mit.edu
        }
    }
    ANDREW.CMU.EDU =
    {
        admin_server = vice28.fs.andrew.cmu.edu
    }
[libdefaults]
    quoted = "a \"b\"\tc" ignored after the quote
    spaced   =   value with spaces   
"#;

#[test]
fn parses_sections_lists_and_subsections() {
    let p = parse(SAMPLE);
    assert_eq!(
        vals(&p, &["libdefaults", "default_realm"]),
        ["ATHENA.MIT.EDU"]
    );
    assert_eq!(
        vals(&p, &["realms", "ATHENA.MIT.EDU", "kdc"]),
        ["kerberos.mit.edu", "kerberos-1.mit.edu"]
    );
    assert_eq!(
        vals(
            &p,
            &["realms", "ATHENA.MIT.EDU", "v4_instance_convert", "lithium"]
        ),
        ["lithium.lcs.mit.edu"]
    );
    assert_eq!(
        vals(&p, &["realms", "ANDREW.CMU.EDU", "admin_server"]),
        ["vice28.fs.andrew.cmu.edu"]
    );
    // The second [libdefaults] merges into the first.
    assert_eq!(vals(&p, &["libdefaults", "quoted"]), ["a \"b\"\tc"]);
    assert_eq!(vals(&p, &["libdefaults", "spaced"]), ["value with spaces"]);
    assert_eq!(p.names(&["realms"]), ["ATHENA.MIT.EDU", "ANDREW.CMU.EDU"]);
    let (_, origin) = p.value(&["libdefaults", "dns_lookup_kdc"]).unwrap();
    assert_eq!((&*origin.file, origin.line), ("test.conf", 7));
    // A path ending at a subsection has no values, and a relation has no children.
    assert!(vals(&p, &["realms", "ATHENA.MIT.EDU"]).is_empty());
    assert!(vals(&p, &["libdefaults", "default_realm", "x"]).is_empty());
}

#[test]
fn earlier_files_win_and_final_stops_the_search() {
    let files = mem(&[
        (
            "/a",
            "[libdefaults]\n x = a1\n y = a\n[realms]*\n R = {\n kdc = k1\n }\n",
        ),
        (
            "/b",
            "[libdefaults]\n x = b1\n z = b\n[realms]\n R = {\n kdc = k2\n }\n S = {\n }\n",
        ),
    ]);
    let p = Profile::load(
        &[PathBuf::from("/a"), "/missing".into(), "/b".into()],
        &files,
    )
    .unwrap();
    assert_eq!(p.value(&["libdefaults", "x"]).unwrap().0, "a1");
    assert_eq!(vals(&p, &["libdefaults", "x"]), ["a1", "b1"]);
    assert_eq!(vals(&p, &["libdefaults", "z"]), ["b"]);
    // [realms] is final in /a: /b's realms are not searched.
    assert_eq!(vals(&p, &["realms", "R", "kdc"]), ["k1"]);
    assert_eq!(p.names(&["realms"]), ["R"]);
}

#[test]
fn final_markers_on_subsections_and_relations() {
    let a = "[realms]\n R = {\n kdc = k1\n }*\n[libdefaults]\n t* = 1\n";
    let b = "[realms]\n R = {\n kdc = k2\n }\n[libdefaults]\n t = 2\n u = 3\n";
    let files = mem(&[("/a", a), ("/b", b)]);
    let p = Profile::load(&["/a".into(), "/b".into()], &files).unwrap();
    assert_eq!(vals(&p, &["realms", "R", "kdc"]), ["k1"]);
    assert_eq!(vals(&p, &["libdefaults", "t"]), ["1"]);
    assert_eq!(vals(&p, &["libdefaults", "u"]), ["3"]);
}

#[test]
fn include_and_includedir() {
    let files = mem(&[
        (
            "/etc/krb5.conf",
            "include /etc/extra.conf\n[libdefaults]\n a = main\nincludedir /etc/d\n",
        ),
        ("/etc/extra.conf", "[libdefaults]\n b = extra\n"),
        ("/etc/d/20-second.conf", "[libdefaults]\n c = second\n"),
        ("/etc/d/10_first", "[libdefaults]\n c = first\n"),
        ("/etc/d/skipped~", "[libdefaults]\n c = backup\n"),
        ("/etc/d/also.skipped", "[libdefaults]\n c = dotted\n"),
    ]);
    let p = Profile::load(&["/etc/krb5.conf".into()], &files).unwrap();
    assert_eq!(vals(&p, &["libdefaults", "a"]), ["main"]);
    assert_eq!(vals(&p, &["libdefaults", "b"]), ["extra"]);
    assert_eq!(vals(&p, &["libdefaults", "c"]), ["first", "second"]);
    let (_, origin) = p.value(&["libdefaults", "b"]).unwrap();
    assert_eq!(&*origin.file, "/etc/extra.conf");
}

#[test]
fn include_errors_are_reported_and_cycles_bounded() {
    let files = mem(&[("/a", "include /b\n"), ("/b", "[s]\ninclude /a\n")]);
    let err = Profile::load(&["/a".into()], &files).unwrap_err();
    assert!(matches!(err, ConfigError::Syntax { reason, .. } if reason.contains("deeply")));
    let files = mem(&[("/a", "[s]\n x = 1\ninclude /nowhere\n")]);
    let err = Profile::load(&["/a".into()], &files).unwrap_err();
    assert!(matches!(err, ConfigError::Include { line: 3, .. }), "{err}");
    assert!(err.to_string().starts_with("/a:3: cannot include /nowhere"));
}

#[test]
fn syntax_errors_name_the_line() {
    assert_eq!(syntax_line("[s]\n x = 1\n no equals sign\n"), 3);
    assert_eq!(syntax_line("[s\n"), 1);
    assert_eq!(syntax_line("[s] junk\n"), 1);
    assert_eq!(syntax_line("[s]\n}\n"), 2);
    assert_eq!(syntax_line("[s]\n r = {\n x = 1\n"), 3);
    assert_eq!(syntax_line("[s]\n r =\n x = 1\n"), 3);
    assert_eq!(syntax_line("[s]\n r = {\n [t]\n }\n"), 3);
    assert_eq!(syntax_line("[s]\n a b = 1\n"), 2);
    assert_eq!(syntax_line("[s]\n = 1\n"), 2);
    assert_eq!(syntax_line("[s]\n r = {\n } x\n"), 3);
}

#[test]
fn config_files_from_env() {
    assert_eq!(config_files(None), [PathBuf::from("/etc/krb5.conf")]);
    assert_eq!(
        config_files(Some("/a:/b::")),
        [PathBuf::from("/a"), PathBuf::from("/b")]
    );
}

#[test]
fn loads_from_the_file_system() {
    let dir = std::env::temp_dir().join(format!("profile-fs-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("d")).unwrap();
    let main = dir.join("krb5.conf");
    let text = format!("[a]\n x = 1\nincludedir {}\n", dir.join("d").display());
    std::fs::write(&main, text).unwrap();
    std::fs::write(dir.join("d").join("x.conf"), "[a]\n x = 2\n").unwrap();
    let p = Profile::load(&[main], &FsSource).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(vals(&p, &["a", "x"]), ["1", "2"]);
}

proptest::proptest! {
    /// Arbitrary text made of profile punctuation gives errors, never panics.
    #[test]
    fn garbage_never_panics(text in "([\\[\\]{}=*#;\" \\\\\n]|[a-z]{1,3}|include |includedir ){0,40}") {
        let _ = Profile::parse(&text, "fuzz.conf", &MemSource::default());
    }
}
