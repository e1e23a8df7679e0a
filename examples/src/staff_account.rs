//! The staff account, `staff`: made at the first start, with the password
//! from `LATCHKEY_EXAMPLE_STAFF_PASSWORD`, or a generated one printed once.

use latchkey::core::{AccountId, random};
use latchkey::{Registered, SignIn};

use crate::book::Book;

/// The staff account's login.
pub const LOGIN: &str = "staff";
/// Its address of record (its sign-in codes go there).
pub const ADDRESS: &str = "staff@example.com";
/// The variable that chooses its password.
pub const PASSWORD_VAR: &str = "LATCHKEY_EXAMPLE_STAFF_PASSWORD";

/// Makes the staff account if it is not there yet; says what happened
/// (with the password only when it was generated now).
pub async fn ensure(flow: &SignIn, book: &Book) -> Result<String, String> {
    let (password, generated) = match std::env::var(PASSWORD_VAR) {
        Ok(password) => (password, false),
        Err(_) => (generate()?, true),
    };
    let account = AccountId::new("staff").map_err(|e| e.to_string())?;
    let registered = flow
        .register_as(&account, LOGIN, ADDRESS, &password)
        .await
        .map_err(|e| format!("cannot make the staff account: {e}"))?;
    match registered {
        Registered::Created { account } => {
            book.set_login(&account, LOGIN, true)
                .await
                .map_err(|e| format!("cannot make the staff account: {e}"))?;
            Ok(if generated {
                format!(
                    "staff: account \"{LOGIN}\" created, password {password} (shown once; \
                     set {PASSWORD_VAR} to choose it)"
                )
            } else {
                format!("staff: account \"{LOGIN}\" created with the password in {PASSWORD_VAR}")
            })
        }
        Registered::LoginTaken => Ok(format!(
            "staff: account \"{LOGIN}\" kept from an earlier run (its password is unchanged)"
        )),
        Registered::Refused(reasons) => {
            let reasons: Vec<String> = reasons.iter().map(ToString::to_string).collect();
            Err(format!(
                "{PASSWORD_VAR} is refused by the password policy: {}",
                reasons.join("; ")
            ))
        }
        other => Err(format!("cannot make the staff account: {other:?}")),
    }
}

/// 20 random letters and digits (about 100 bits).
fn generate() -> Result<String, String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut out = String::with_capacity(20);
    let mut rng = random::SysRng;
    for _ in 0..20 {
        let i = random::uniform_below(&mut rng, ALPHABET.len() as u64)
            .map_err(|e| format!("the random generator failed: {e}"))?;
        out.push(char::from(ALPHABET[usize::try_from(i).unwrap_or(0)]));
    }
    Ok(out)
}
