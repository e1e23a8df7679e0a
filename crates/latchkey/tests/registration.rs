//! Sign-up through the flow: `register` and `register_as` answer with a
//! `Registered` outcome, never an error, for what the user typed.

mod common;

use std::sync::Arc;

use common::CountingExecutor;
use latchkey::core::{AccountId, EmailAddress};
use latchkey::credentials::Refusal;
use latchkey::testing::{Fixture, PASSWORD};
use latchkey::{Accounts, ClientContext, Registered, SignInStep};

fn address(text: &str) -> EmailAddress {
    EmailAddress::parse(text).unwrap()
}

#[tokio::test]
async fn a_registered_account_signs_in_and_its_code_goes_to_its_address() {
    let executor = Arc::new(CountingExecutor::default());
    let f = Fixture::with(|b| b.executor(executor.clone())).unwrap();
    let jobs = executor.jobs();
    let Registered::Created { account } = f
        .flow
        .register("jane", "jane@example.com", PASSWORD)
        .await
        .unwrap()
    else {
        panic!("jane registers");
    };
    assert_eq!(executor.jobs() - jobs, 1, "the hash ran on the executor");
    assert_eq!(
        f.accounts.address(&account).await.unwrap(),
        Some(address("jane@example.com"))
    );
    let SignInStep::MailedCodeSent { .. } = f
        .flow
        .start("jane", PASSWORD, &ClientContext::new())
        .await
        .unwrap()
    else {
        panic!("a mailed code");
    };
    assert_eq!(f.mailer.last().unwrap().to.as_str(), "jane@example.com");
    // register_as keeps the host's own id.
    let joe = AccountId::new("joe-42").unwrap();
    assert_eq!(
        f.flow
            .register_as(&joe, "joe", "joe@example.com", "orange kettle drum")
            .await
            .unwrap(),
        Registered::Created {
            account: joe.clone()
        }
    );
    assert_eq!(
        f.accounts.address(&joe).await.unwrap(),
        Some(address("joe@example.com"))
    );
}

#[tokio::test]
async fn the_password_policy_refuses_with_its_reasons_and_creates_nothing() {
    let f = Fixture::new().unwrap();
    let cases: [(&str, Vec<Refusal>); 4] = [
        ("qz7#vk", vec![Refusal::TooShort { min: 8, actual: 6 }]),
        ("password", vec![Refusal::Common]),
        ("joe under the violet sky", vec![Refusal::ContainsUsername]),
        ("my violet npm umbrella", vec![Refusal::ContainsServiceName]),
    ];
    for (password, reasons) in cases {
        assert_eq!(
            f.flow
                .register("joe", "joe@example.com", password)
                .await
                .unwrap(),
            Registered::Refused(reasons),
            "{password:?}"
        );
    }
    let joe = AccountId::new("joe-42").unwrap();
    assert!(matches!(
        f.flow
            .register_as(&joe, "joe", "joe@example.com", "password")
            .await
            .unwrap(),
        Registered::Refused(_)
    ));
    // Nothing was created: no address, and the login is still free.
    assert_eq!(f.accounts.address(&joe).await.unwrap(), None);
    assert!(matches!(
        f.flow
            .start("joe", "password", &ClientContext::new())
            .await
            .unwrap(),
        SignInStep::Denied
    ));
    assert!(matches!(
        f.flow
            .register_as(&joe, "joe", "joe@example.com", "orange kettle drum")
            .await
            .unwrap(),
        Registered::Created { .. }
    ));
}

#[tokio::test]
async fn a_taken_login_leaves_the_other_accounts_address_untouched() {
    let f = Fixture::new().unwrap();
    let jane = f.register("jane").await.unwrap();
    let mallory = AccountId::new("mallory").unwrap();
    assert_eq!(
        f.flow
            .register_as(
                &mallory,
                "jane",
                "mallory@example.com",
                "orange kettle drum"
            )
            .await
            .unwrap(),
        Registered::LoginTaken
    );
    assert_eq!(
        f.flow
            .register("jane", "mallory@example.com", "orange kettle drum")
            .await
            .unwrap(),
        Registered::LoginTaken
    );
    // An account that has a login cannot take a second one either, and
    // its address stays.
    assert_eq!(
        f.flow
            .register_as(&jane, "jane2", "mallory@example.com", "orange kettle drum")
            .await
            .unwrap(),
        Registered::LoginTaken
    );
    assert_eq!(
        f.accounts.address(&jane).await.unwrap(),
        Some(address("jane@example.com"))
    );
    assert_eq!(f.accounts.address(&mallory).await.unwrap(), None);
    // Jane's password still works, and her code still goes to her.
    assert!(matches!(
        f.flow
            .start("jane", PASSWORD, &ClientContext::new())
            .await
            .unwrap(),
        SignInStep::MailedCodeSent { .. }
    ));
    assert_eq!(f.mailer.last().unwrap().to.as_str(), "jane@example.com");
    assert!(matches!(
        f.flow
            .start("jane", "orange kettle drum", &ClientContext::new())
            .await
            .unwrap(),
        SignInStep::Denied
    ));
}

#[tokio::test]
async fn an_invalid_login_or_email_is_an_outcome() {
    let f = Fixture::new().unwrap();
    let too_long = "j".repeat(321);
    for login in ["", " jane", "jane ", too_long.as_str()] {
        assert_eq!(
            f.flow
                .register(login, "jane@example.com", PASSWORD)
                .await
                .unwrap(),
            Registered::InvalidLogin,
            "{login:?}"
        );
    }
    for email in ["", "not an address", "jane@", "@example.com"] {
        assert_eq!(
            f.flow.register("jane", email, PASSWORD).await.unwrap(),
            Registered::InvalidEmail,
            "{email:?}"
        );
    }
    // Nothing was created: the login is still free.
    assert!(matches!(
        f.flow
            .register("jane", "jane@example.com", PASSWORD)
            .await
            .unwrap(),
        Registered::Created { .. }
    ));
}
