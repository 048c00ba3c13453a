//! The checks every front end's evidence capture goes through: the page's site in the caller's
//! scope (`capture::target`), and the operators (`capture::check_operators`): names as given
//! before any user exists, afterwards active users who may capture the site, named `user:NAME`.

use domain::Role;
use store::{Actor, NewUser, Scope, SiteFilter};
use sweep::capture::{check_operators, target};
use sweep::{CaptureRefusal, SweepError};

use crate::support::Fixture;

fn user(name: &str, role: Role, districts: &[domain::DistrictCode]) -> NewUser {
    NewUser {
        username: name.into(),
        display_name: name.into(),
        role,
        districts: districts.to_vec(),
        entities: vec![],
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
    }
}

fn refusal(r: Result<Vec<String>, SweepError>) -> CaptureRefusal {
    match r {
        Err(SweepError::Capture(c)) => c,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn operators_and_targets_are_checked() {
    let fx = Fixture::new(6, 1).await;
    let store = fx.store.as_ref();
    let site = store
        .list_sites(Scope::City, &SiteFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.district.is_some() && s.path_prefix.is_empty())
        .unwrap();
    let district = site.district.unwrap();
    let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    // Before any user exists the names are taken as given (two distinct ones).
    assert_eq!(
        check_operators(store, &names(&["张三", "李四"]), &site)
            .await
            .unwrap(),
        ["张三", "李四"]
    );
    assert_eq!(
        refusal(check_operators(store, &names(&["张三", " 张三"]), &site).await),
        CaptureRefusal::TooFewOperators { needed: 2, got: 1 }
    );

    let sys = Actor::system("test");
    let other = if district.to_string() == "450102" {
        "450103"
    } else {
        "450102"
    };
    let other = domain::DistrictCode::parse(other).unwrap();
    for u in [
        user("li", Role::Inspector, &[district]),
        user("wang", Role::Supervisor, &[]),
        user("zhao", Role::Inspector, &[other]),
        user("audit", Role::Auditor, &[]),
        user("gone", Role::Inspector, &[district]),
    ] {
        store.create_user(&u, &sys).await.unwrap();
    }
    let gone = store.user_by_name("gone").await.unwrap().unwrap();
    store
        .change_user(gone.id, &store::UserChange::Disabled(true), &sys)
        .await
        .unwrap();

    assert_eq!(
        check_operators(store, &names(&["li", "user:wang"]), &site)
            .await
            .unwrap(),
        ["user:li", "user:wang"]
    );
    // `NAME` and `user:NAME` are one person.
    assert_eq!(
        refusal(check_operators(store, &names(&["li", "user:li"]), &site).await),
        CaptureRefusal::TooFewOperators { needed: 2, got: 1 }
    );
    let host = format!("{}{}", site.host, site.path_prefix);
    for (second, want) in [
        (
            "张三",
            CaptureRefusal::UnknownOperator {
                name: "张三".into(),
            },
        ),
        (
            "gone",
            CaptureRefusal::OperatorDisabled {
                name: "gone".into(),
            },
        ),
        (
            "audit",
            CaptureRefusal::OperatorMayNotCapture {
                name: "audit".into(),
            },
        ),
        (
            "zhao",
            CaptureRefusal::OperatorOutOfScope {
                name: "zhao".into(),
                site: host.clone(),
            },
        ),
    ] {
        assert_eq!(
            refusal(check_operators(store, &names(&["li", second]), &site).await),
            want
        );
    }

    // The target: a page of a known site in scope.
    let url = format!("http://{}/", site.host);
    let t = target(store, Scope::district(district), Some(&url), None)
        .await
        .unwrap();
    assert_eq!(t.site.id, site.id);
    let refused = |r: Result<sweep::capture::CaptureTarget, SweepError>| match r {
        Err(SweepError::Capture(c)) => c,
        other => panic!("expected a refusal, got {other:?}"),
    };
    // Outside the caller's scope the site is not known.
    assert_eq!(
        refused(target(store, Scope::district(other), Some(&url), None).await),
        CaptureRefusal::UnknownSite { url: url.clone() }
    );
    assert_eq!(
        refused(target(store, Scope::City, Some("http://nowhere.test/"), None).await),
        CaptureRefusal::UnknownSite {
            url: "http://nowhere.test/".into()
        }
    );
    assert_eq!(
        refused(target(store, Scope::City, Some("ftp://x/"), None).await),
        CaptureRefusal::BadUrl {
            url: "ftp://x/".into()
        }
    );
    assert_eq!(
        refused(target(store, Scope::City, None, None).await),
        CaptureRefusal::NoTarget
    );
    assert_eq!(
        refused(target(store, Scope::City, None, Some(domain::ClueId(9))).await),
        CaptureRefusal::NoClue {
            clue: domain::ClueId(9)
        }
    );
}
