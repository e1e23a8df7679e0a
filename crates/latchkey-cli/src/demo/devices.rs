//! Chapter 4: Jane's remembered devices, listed and revoked, and a
//! password change that ends every other device and session.

use latchkey::{ClientContext, PasswordChanged, Sensitive, SignIn, SignedIn};
use latchkey_core::SecretString;
use time::Duration;

use super::chapters::{Jane, answer_mailed_code, start_for_mailed_code};
use super::stage::Stage;
use super::{DemoResult, step};

/// The password Jane changes to.
const NEW_PASSWORD: &str = "copper lantern meadow";

/// 4. Returns the laptop's session after the change, and the new password.
pub(super) async fn devices(
    flow: &SignIn,
    stage: &Stage,
    jane: &Jane,
    laptop: SignedIn,
) -> DemoResult<(SignedIn, String)> {
    step(
        4,
        "Jane's remembered devices: listed, one revoked; a password change ends the rest",
    );
    let (login, password) = (jane.login.as_str(), jane.password.as_str());
    stage.wait(Duration::minutes(2));
    let tablet = ClientContext::new()
        .with_client("198.51.100.9")
        .with_device_label("Safari on the tablet");
    let (challenge, _) = start_for_mailed_code(flow, stage, login, password, &tablet).await?;
    let on_tablet = answer_mailed_code(flow, stage, &challenge, &tablet).await?;
    out!("  signed in on the tablet too (a code, then the tablet is remembered)");
    let tablet_token = on_tablet.device_token.clone().ok_or("no device token")?;
    out!(
        "  the tablet's cookie holds only an opaque token: {}…",
        &tablet_token[..13]
    );
    let list = flow.devices(&jane.account).await?;
    for device in &list {
        out!(
            "  device {:<22} remembered {}, last from {}",
            device.label,
            device.created_at.date(),
            device.last_client.as_deref().unwrap_or("-")
        );
    }
    let tablet_device = list
        .iter()
        .find(|d| d.label.contains("tablet"))
        .ok_or("the tablet is not listed")?;
    flow.revoke_device(&jane.account, &tablet_device.id).await?;
    out!("  Jane revokes \"{}\"", tablet_device.label);
    stage.wait(Duration::minutes(2));
    let tablet = tablet.with_device_token(tablet_token);
    start_for_mailed_code(flow, stage, login, password, &tablet).await?;
    out!("  the tablet signs in again: its token no longer works, a code is mailed");

    stage.wait(Duration::minutes(2));
    let changed = flow
        .change_password(
            &laptop.authentication,
            login,
            &SecretString::new(password.to_owned()),
            &SecretString::new(NEW_PASSWORD.to_owned()),
        )
        .await?;
    let Sensitive::Done {
        outcome: PasswordChanged::Changed,
        authentication,
    } = changed
    else {
        return Err(format!("the password change failed: {changed:?}").into());
    };
    out!(
        "  Jane changes her password on the laptop: her other sessions end (tablet session current: {}), this one goes on (current: {})",
        flow.is_current(&on_tablet.authentication).await?,
        flow.is_current(&authentication).await?
    );
    out!(
        "  remembered devices left: {}",
        flow.devices(&jane.account).await?.len()
    );
    let laptop_again = ClientContext::new()
        .with_client("203.0.113.7")
        .with_device_label("Firefox on the laptop")
        .with_device_token(laptop.device_token.clone().unwrap_or_default());
    stage.wait(Duration::minutes(2));
    let (challenge, _) =
        start_for_mailed_code(flow, stage, login, NEW_PASSWORD, &laptop_again).await?;
    out!("  the laptop's old token no longer skips the code");
    let laptop = answer_mailed_code(flow, stage, &challenge, &laptop_again).await?;
    Ok((laptop, NEW_PASSWORD.to_owned()))
}
