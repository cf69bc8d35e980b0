//! The qualification server over real TLS: who gets in, who is turned away and why, and what a
//! browser on the terminal sees.

use oqs_certs::{Authority, ClientSpec, Validity};
use oqs_proto::api::{ChangeReason, InstitutionInfo, LoginRequest, LoginResponse, PasswordChange};
use oqs_sim::qualification::tls::Rejection;
use oqs_sim::windows::edge::{BrowseError, Edge};
use oqs_sim::windows::{FakeTerminal, ImportOptions};
use oqs_sim::{PORTAL_URL, World};
use std::sync::Arc;

const CODE: &str = "1312345678";

fn install(t: &FakeTerminal, spec: ClientSpec) {
    let p12 = oqs_certs::Pki::shared().client(&spec).to_pkcs12("1357");
    t.import_pfx(&p12, "1357", ImportOptions::default(), |_| true)
        .unwrap();
}

async fn visit_with(spec: Option<ClientSpec>) -> (World, oqs_sim::windows::edge::Visit) {
    let world = World::builder().seed(42).build().unwrap();
    world.qualification().await.unwrap();
    let t = world.terminal("T1").unwrap();
    if let Some(s) = spec {
        install(&t, s);
    }
    let visit = Edge::new(Arc::new(t)).open(PORTAL_URL).await;
    (world, visit)
}

async fn first_rejection(world: &World) -> Rejection {
    let log = world.qualification().await.unwrap().rejections().clone();
    // the server logs right after the handshake; the bound only stops a hung test
    tokio::time::timeout(std::time::Duration::from_secs(30), log.next_after(0))
        .await
        .expect("the server logged no rejection")
}

#[tokio::test]
async fn a_registered_terminal_reaches_the_portal() {
    let (world, v) = visit_with(Some(ClientSpec::new(CODE, "T1"))).await;
    let page = v.outcome.unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(page.title(), Some("オンライン資格確認等システム"));
    assert!(page.body.contains("システムの利用を始める"));
    assert_eq!(
        v.certificate_prompt.unwrap(),
        vec![format!("{CODE} / Online Billing NW Common Root CA")]
    );
    assert!(
        world
            .qualification()
            .await
            .unwrap()
            .rejections()
            .all()
            .is_empty()
    );
}

#[tokio::test]
async fn each_rejection_has_its_own_reason() {
    let cases = [
        (None, Rejection::NoCertificate),
        (
            Some(ClientSpec::new(CODE, "T1").authority(Authority::Foreign)),
            Rejection::ForeignCa,
        ),
        (
            Some(ClientSpec::new(CODE, "T1").validity(Validity::Expired)),
            Rejection::Expired,
        ),
        (
            Some(ClientSpec::new(CODE, "T1").validity(Validity::NotYetValid)),
            Rejection::NotYetValid,
        ),
        (
            Some(ClientSpec::new("2712345678", "T1")),
            Rejection::UnregisteredInstitution("2712345678".into()),
        ),
        (
            Some(ClientSpec::new("RECEPTION", "T1")),
            Rejection::NotAnInstitutionCertificate("RECEPTION".into()),
        ),
    ];
    let mut messages = std::collections::BTreeSet::new();
    for (spec, want) in cases {
        let (world, v) = visit_with(spec.clone()).await;
        assert_eq!(first_rejection(&world).await, want, "{spec:?}");
        match want {
            Rejection::UnregisteredInstitution(_) => {
                let p = v.outcome.unwrap();
                assert_eq!(p.status, 403);
                assert!(p.body.contains("利用登録されていません"));
            }
            Rejection::NoCertificate => {
                assert!(
                    v.certificate_prompt.is_none(),
                    "no dialog without a certificate"
                );
                assert!(
                    matches!(
                        v.outcome,
                        Err(BrowseError::ClientCertificateRejected { .. })
                    ),
                    "{:?}",
                    v.outcome
                );
            }
            _ => assert!(
                matches!(
                    v.outcome,
                    Err(BrowseError::ClientCertificateRejected { .. })
                ),
                "{:?}",
                v.outcome
            ),
        }
        assert!(
            messages.insert(want.message()),
            "two reasons read alike: {}",
            want.message()
        );
    }
    assert_eq!(messages.len(), 6);
}

#[tokio::test]
async fn a_browser_without_the_root_does_not_trust_the_server() {
    use oqs_host::CertificateStore;
    let world = World::builder().build().unwrap();
    world.qualification().await.unwrap();
    let t = world.terminal("T1").unwrap();
    for c in t.list(oqs_host::StoreName::Root).unwrap() {
        t.remove(oqs_host::StoreName::Root, &c.thumbprint).unwrap();
    }
    let v = Edge::new(Arc::new(t)).open(PORTAL_URL).await;
    assert!(
        matches!(v.outcome, Err(BrowseError::UntrustedServer { .. })),
        "{:?}",
        v.outcome
    );
}

#[tokio::test]
async fn unknown_names_do_not_resolve() {
    let (world, _) = visit_with(Some(ClientSpec::new(CODE, "T1"))).await;
    let t = world.terminal("T1").unwrap();
    let v = Edge::new(Arc::new(t))
        .open("https://hweb.oqs.onshikaku.com/web/")
        .await;
    assert_eq!(
        v.outcome.unwrap_err(),
        BrowseError::NameNotResolved {
            host: "hweb.oqs.onshikaku.com".into()
        }
    );
}

#[tokio::test]
async fn clock_jump_makes_the_master_password_expire() {
    let (world, edge) = registered_terminal(3).await;
    let (id, pw) = master_letter(&world);
    let info: InstitutionInfo = edge
        .api::<(), _>(
            "GET",
            "https://hweb.oqs.onshikaku.org/web/api/institution",
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(info.code, CODE);
    let login = LoginRequest {
        user_id: id,
        password: pw.clone(),
    };
    let url = "https://hweb.oqs.onshikaku.org/web/api/login";
    let r: LoginResponse = edge.api("POST", url, None, Some(&login)).await.unwrap();
    assert_eq!(r.password_change_required, None);
    world.clock().advance(time::Duration::days(61));
    let r: LoginResponse = edge.api("POST", url, None, Some(&login)).await.unwrap();
    assert_eq!(r.password_change_required, Some(ChangeReason::Expired));
    let change = PasswordChange {
        old_password: pw,
        new_password: "Haru#2025xyz".into(),
        new_password_confirm: "Haru#2025xyz".into(),
    };
    let _: serde_json::Value = edge
        .api(
            "POST",
            "https://hweb.oqs.onshikaku.org/web/api/password",
            Some(&r.session),
            Some(&change),
        )
        .await
        .unwrap();
}

/// A World with its server running and a terminal holding the site's certificate.
async fn registered_terminal(seed: u64) -> (World, Edge) {
    let world = World::builder().seed(seed).build().unwrap();
    world.qualification().await.unwrap();
    let t = world.terminal("T1").unwrap();
    install(&t, ClientSpec::new(CODE, "T1"));
    (world, Edge::new(Arc::new(t)))
}

/// The master account ID and password of the usage application letter.
fn master_letter(world: &World) -> (String, String) {
    let code = CODE.parse().unwrap();
    world
        .with_site(&code, |s| {
            (
                s.master_id.clone(),
                s.current_password(&s.master_id).unwrap().to_owned(),
            )
        })
        .unwrap()
}

async fn master_session(world: &World, edge: &Edge) -> String {
    let (id, pw) = master_letter(world);
    let r: LoginResponse = edge
        .api(
            "POST",
            "https://hweb.oqs.onshikaku.org/web/api/login",
            None,
            Some(&LoginRequest {
                user_id: id,
                password: pw,
            }),
        )
        .await
        .unwrap();
    r.session
}

#[tokio::test]
async fn lookups_over_https_cover_every_validity() {
    use oqs_proto::qualification::{ALL_VALIDITIES, QualificationResult};
    let (world, edge) = registered_terminal(11).await;
    let session = master_session(&world, &edge).await;
    for v in ALL_VALIDITIES {
        let q = world.registry().insured.example(v);
        let r: QualificationResult = edge
            .api(
                "POST",
                "https://hweb.oqs.onshikaku.org/web/api/qualification",
                Some(&session),
                Some(&q),
            )
            .await
            .unwrap();
        assert_eq!(r.qualification_validity, v);
    }
}

#[tokio::test]
async fn malformed_bodies_get_a_reason_and_change_nothing() {
    let (world, edge) = registered_terminal(12).await;
    let session = master_session(&world, &edge).await;
    let v = edge
        .request(
            "POST",
            "https://hweb.oqs.onshikaku.org/web/api/accounts",
            Some(&session),
            Some(br#"{"kind":"general","user_id":"#.to_vec()),
        )
        .await;
    let page = v.outcome.unwrap();
    assert_eq!(page.status, 400);
    let e: oqs_proto::api::ApiError = serde_json::from_str(&page.body).unwrap();
    assert_eq!(e.code, "bad_request");
    assert!(
        e.message.contains("リクエストの形式に誤りがあります"),
        "{}",
        e.message
    );
    // nothing was registered
    let code = CODE.parse().unwrap();
    assert_eq!(world.with_site(&code, |s| s.accounts().count()).unwrap(), 1);
}
