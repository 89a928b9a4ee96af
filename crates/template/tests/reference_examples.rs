//! Every template example in the compatibility references renders as documented:
//! `external-secrets.md` §5 (engine v2, `missingkey=error`) and `sealed-secrets.md` §4.5 (Go's
//! default missing-key option over a `map[string]string` context, the functions its docs use).

use kubeseal_template::{Error, FunctionSet, MissingKey, Options, Template, Value};

fn eso(text: &str, data: &Value) -> Result<String, Error> {
    let opts = Options { missing_key: MissingKey::Error, ..Options::default() };
    Template::parse("password", text, &opts, &FunctionSet::sprig())?.render(data)
}

fn sealed(text: &str, data: &Value) -> Result<String, Error> {
    let opts = Options { string_maps: true, ..Options::default() };
    Template::parse("config", text, &opts, &FunctionSet::sprig())?.render(data)
}

fn fetched() -> Value {
    Value::string_map([("password", "s3cr3t"), ("user", "admin"), ("tls.crt", "-----BEGIN CERTIFICATE-----")])
}

#[test]
fn eso_fields_and_index_for_keys_that_are_not_identifiers() {
    assert_eq!(eso("{{ .password }}", &fetched()).unwrap(), "s3cr3t");
    assert_eq!(eso(r#"{{ index . "tls.crt" }}"#, &fetched()).unwrap(), "-----BEGIN CERTIFICATE-----");
}

#[test]
fn eso_range_over_the_data_is_in_sorted_key_order() {
    let out = eso("{{ range $k, $v := . }}{{ $k }};{{ end }}", &fetched()).unwrap();
    assert_eq!(out, "password;tls.crt;user;");
}

#[test]
fn eso_referencing_a_missing_key_is_an_error_that_names_the_key_not_the_values() {
    // The expected text is what Go 1.19 prints for the same template and options.
    let err = eso("user={{ .user }} db={{ .database }}", &fetched()).unwrap_err().to_string();
    assert_eq!(
        err,
        r#"template: password:1:23: executing "password" at <.database>: map has no entry for key "database""#
    );
    assert!(!err.contains("s3cr3t") && !err.contains("admin"));
}

#[test]
fn eso_rewrite_transform_sees_the_key_as_value() {
    let root = Value::string_map([("value", "db/prod/password")]);
    assert_eq!(eso(r#"{{ .value | replace "/" "_" | upper }}"#, &root).unwrap(), "DB_PROD_PASSWORD");
}

#[test]
fn eso_typical_templates_with_sprig() {
    let data = fetched();
    assert_eq!(
        eso(r#"{{ printf "postgres://%s:%s@db:5432/app" .user .password }}"#, &data).unwrap(),
        "postgres://admin:s3cr3t@db:5432/app"
    );
    assert_eq!(eso("{{ .user | b64enc }}", &data).unwrap(), "YWRtaW4=");
    assert_eq!(
        eso(r#"{{ dict "username" .user "password" .password | toJson }}"#, &data).unwrap(),
        r#"{"password":"s3cr3t","username":"admin"}"#
    );
    assert_eq!(eso(r#"{{ .password | sha256sum }}"#, &data).unwrap().len(), 64);
}

#[test]
fn sealed_secrets_missing_keys_print_no_value_but_index_gives_empty() {
    // Checked against Go 1.19 with a map[string]string context (the reference marked it
    // [verify]): `.missing` prints "<no value>", `index . "missing"` prints "".
    let data = Value::string_map([("a", "1")]);
    assert_eq!(sealed("[{{ .missing }}]", &data).unwrap(), "[<no value>]");
    assert_eq!(sealed(r#"[{{ index . "missing" }}]"#, &data).unwrap(), "[]");
    assert_eq!(sealed(r#"[{{ index . "missing" | len }}]"#, &data).unwrap(), "[0]");
}

#[test]
fn sealed_secrets_documented_functions() {
    let data = Value::string_map([("username", "admin"), ("password", "hunter2"), ("db-host", "pg.local")]);
    assert_eq!(sealed(r#"{{ index . "db-host" }}"#, &data).unwrap(), "pg.local");
    assert_eq!(
        sealed(r#"{{ dict "user" .username "pass" .password | toJson }}"#, &data).unwrap(),
        r#"{"pass":"hunter2","user":"admin"}"#
    );
    assert_eq!(sealed("{{ .username | b64enc }}", &data).unwrap(), "YWRtaW4=");
    assert_eq!(sealed(r#"{{ "aHVudGVyMg==" | b64dec }}"#, &data).unwrap(), "hunter2");
    assert_eq!(sealed("{{ .username | quote }}", &data).unwrap(), r#""admin""#);
    assert_eq!(sealed(r#"{{ printf "%s:%s" .username .password }}"#, &data).unwrap(), "admin:hunter2");
}

#[test]
fn secret_exfiltration_functions_are_not_defined() {
    for f in ["env", "expandenv", "getHostByName"] {
        let err = eso(&format!("{{{{ {f} \"HOME\" }}}}"), &fetched()).unwrap_err().to_string();
        assert!(err.contains(&format!("function \"{f}\" not defined")), "{err}");
    }
}

#[test]
fn sprig_set_mutates_the_dict_a_variable_holds() {
    let out = eso(r#"{{ $d := dict "a" "1" }}{{ $_ := set $d "b" "2" }}{{ $d | toJson }}"#, &fetched()).unwrap();
    assert_eq!(out, r#"{"a":"1","b":"2"}"#);
}

#[test]
fn eso_functions_are_in_external_secret_templates_only() {
    let opts = Options { missing_key: MissingKey::Error, ..Options::default() };
    let pem = "junk\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n";
    let data = Value::string_map([("bundle", pem)]);
    let t = Template::parse(
        "tls.crt",
        r#"{{ .bundle | filterPEM "CERTIFICATE" }}"#,
        &opts,
        &FunctionSet::external_secrets(),
    )
    .unwrap();
    assert_eq!(t.render(&data).unwrap(), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    let err = Template::parse("tls.crt", r#"{{ .bundle | filterPEM "CERTIFICATE" }}"#, &opts, &FunctionSet::sprig())
        .unwrap_err();
    assert!(err.to_string().contains(r#"function "filterPEM" not defined"#), "{err}");
}
