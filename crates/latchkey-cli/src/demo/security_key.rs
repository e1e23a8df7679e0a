//! 12 and 13. A security key, npm's second factor today: added (2FA on,
//! recovery codes made), then used to sign in; its assertion works once.
//! The key is kanidm's software authenticator (`SoftPasskey`), playing
//! the part of a browser and a key at the page's origin.

use latchkey::webauthn::{
    PublicKeyCredential, RegistrationBegin, RequestChallengeResponse, Url, parse_assertion,
    parse_registration,
};
use latchkey::{
    Answer, Authentication, ClientContext, KeyAdded, Sensitive, SignIn, SignInStep, Submitted,
};
use time::Duration;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

use super::chapters::{Jane, fresh};
use super::stage::Stage;
use super::{DemoResult, step};

/// The demo's relying party: the RP id keys are bound to.
pub(super) const RP_ID: &str = "localhost";
/// The origin the demo's "pages" are served from.
pub(super) const ORIGIN: &str = "https://localhost";

/// 12 and 13.
pub(super) async fn security_key(
    flow: &SignIn,
    stage: &Stage,
    jane: &Jane,
    session: Authentication,
) -> DemoResult<()> {
    step(
        12,
        "Jane adds a security key (software: kanidm's SoftPasskey) as her second factor",
    );
    let origin = Url::parse(ORIGIN)?;
    let mut key = SoftPasskey::new(true);
    let session = fresh(flow, jane, session).await?;
    let Sensitive::Done {
        outcome: RegistrationBegin::Started(started),
        ..
    } = flow
        .begin_security_key(&session, &jane.login, "Demo security key")
        .await?
    else {
        return Err("the key could not be started (not fresh, or a refused name)".into());
    };
    out!(
        "  the page asks the browser to create a credential for RP id {RP_ID} \
         (user verification required, attestation none)"
    );
    let made = key
        .do_registration(origin.clone(), started.options)
        .map_err(|e| format!("the software key refused: {e:?}"))?;
    let answer = parse_registration(&serde_json::to_string(&made)?)?;
    let Sensitive::Done { outcome, .. } = flow
        .finish_security_key(&session, &started.ceremony, &answer)
        .await?
    else {
        return Err("a fresh authentication was refused".into());
    };
    let KeyAdded::Added {
        key: record,
        recovery_codes,
    } = outcome
    else {
        return Err(format!("the key was not added: {outcome:?}").into());
    };
    out!(
        "  key \"{}\" added (its public key is stored; counter {}, backed up: {})",
        record.name,
        record.counter,
        record.backed_up
    );
    if let Some(codes) = recovery_codes {
        out!(
            "  2FA is on again, backed up by {} new recovery codes (shown once)",
            codes.iter().count()
        );
    }

    step(13, "Signing in with the security key (no mailed code)");
    stage.wait(Duration::minutes(2));
    let laptop = ClientContext::new().with_client("203.0.113.80");
    let (challenge, request) = match flow.start(&jane.login, &jane.password, &laptop).await? {
        SignInStep::SecondFactorRequired {
            challenge, factors, ..
        } => {
            out!(
                "  password accepted; the form offers: security key{}",
                if factors.recovery_codes {
                    ", or a recovery code"
                } else {
                    ""
                }
            );
            let request = factors.security_key.ok_or("no security key was offered")?;
            (challenge, request)
        }
        other => return Err(format!("expected a second factor, got {other:?}").into()),
    };
    let assertion = sign(&mut key, &origin, request.options)?;
    let answer = Answer::SecurityKey {
        ceremony: &request.ceremony,
        credential: &assertion,
    };
    match flow.submit(&challenge, answer, &laptop).await? {
        Submitted::SignedIn(done) => out!("  signed in as {} by {:?}", done.account, done.method),
        other => return Err(format!("the key was refused: {other:?}").into()),
    }
    stage.wait(Duration::minutes(2));
    let SignInStep::SecondFactorRequired { challenge, .. } =
        flow.start(&jane.login, &jane.password, &laptop).await?
    else {
        return Err("expected a second factor".into());
    };
    out!(
        "  the same signed answer, replayed on a new sign-in: {:?}. The end.",
        flow.submit(&challenge, answer, &laptop).await?
    );
    Ok(())
}

/// The browser's answer: the key signs the options' challenge at `origin`.
fn sign(
    key: &mut SoftPasskey,
    origin: &Url,
    options: RequestChallengeResponse,
) -> DemoResult<PublicKeyCredential> {
    let signed = key
        .do_authentication(origin.clone(), options)
        .map_err(|e| format!("the software key refused: {e:?}"))?;
    Ok(parse_assertion(&serde_json::to_string(&signed)?)?)
}
