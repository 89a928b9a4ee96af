//! Sprig's certificate functions through the engine: results are `{Cert, Key}` maps whose fields
//! templates read with `.Cert` and `.Key`, and a `genCA` result can be passed on as the `ca` of
//! `genSignedCert`.

use kubeseal_template::{FunctionSet, Options, Template, Value};

fn render(text: &str) -> String {
    let t = Template::parse("cert", text, &Options::default(), &FunctionSet::sprig()).unwrap();
    t.render(&Value::string_map([("cn", "svc")])).unwrap()
}

fn pem_blocks(out: &str, typ: &str) -> usize {
    out.matches(&format!("-----BEGIN {typ}-----\n")).count()
}

#[test]
fn a_ca_from_gen_ca_signs_a_certificate_in_the_same_template() {
    let out = render(
        r#"{{ $ca := genCA "my-ca" 365 }}{{ $c := genSignedCert "svc" (list "10.0.0.1") (list "svc.local") 30 $ca }}{{ $c.Cert }}"#,
    );
    assert!(out.starts_with("-----BEGIN CERTIFICATE-----\n"), "{out}");
    assert!(out.ends_with("-----END CERTIFICATE-----\n"));
    assert_eq!(pem_blocks(&out, "CERTIFICATE"), 1);
}

#[test]
fn cert_and_key_fields_render_as_pem_and_can_be_encoded() {
    let out = render(r#"{{ $c := genSelfSignedCert .cn nil (list "svc.local") 7 }}{{ $c.Cert }}{{ $c.Key }}"#);
    assert_eq!(pem_blocks(&out, "CERTIFICATE"), 1);
    assert_eq!(pem_blocks(&out, "RSA PRIVATE KEY"), 1);
    let out =
        render(r#"{{ $ca := genCA "ca" 1 }}{{ buildCustomCert ($ca.Cert | b64enc) ($ca.Key | b64enc) | toJson }}"#);
    assert!(out.starts_with(r#"{"Cert":"-----BEGIN CERTIFICATE-----\n"#), "{out}");
}

#[test]
fn a_failing_certificate_function_fails_the_render() {
    let t = Template::parse("cert", r#"{{ genCA "ca" }}"#, &Options::default(), &FunctionSet::sprig()).unwrap();
    let err = t.render(&Value::Nil).unwrap_err().to_string();
    assert!(err.contains("genCA: wrong number of args"), "{err}");
}

#[test]
fn openssl_verifies_the_chain_for_server_and_client_use() {
    let out = render(
        r#"{{ $ca := genCA "my-ca" 365 }}{{ $c := genSignedCert "svc" (list "10.0.0.1") (list "svc.local") 30 $ca }}{{ $ca.Cert }}|{{ $c.Cert }}"#,
    );
    let (ca, leaf) = out.split_once('|').unwrap();
    let dir = std::env::temp_dir().join(format!("kubeseal-template-certs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ca.pem"), ca).unwrap();
    std::fs::write(dir.join("leaf.pem"), leaf).unwrap();
    for purpose in ["sslserver", "sslclient"] {
        let run = std::process::Command::new("openssl")
            .args(["verify", "-purpose", purpose, "-verify_hostname", "svc.local", "-CAfile"])
            .arg(dir.join("ca.pem"))
            .arg(dir.join("leaf.pem"))
            .output()
            .expect("the openssl command line (an independent verifier) must be installed");
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stdout) + String::from_utf8_lossy(&run.stderr)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
