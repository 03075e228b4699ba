//! One enterprise resolver for every route that names an enterprise in its path: its id or
//! its slug, answered 404 when it does not exist or is hidden from the caller
//! ([`crate::enterprises::resolve`]); the policy then decides what the caller may do there.

use crate::api::error::ApiError;
use crate::api::AppState;
use crate::auth::actor::Actor;

/// The id of the enterprise `key` names, as `actor` may see it.
pub async fn enterprise(state: &AppState, actor: &Actor, key: String) -> Result<String, ApiError> {
    let actor = actor.clone();
    state
        .db
        .run(move |conn| Ok::<_, ApiError>(crate::enterprises::resolve(conn, &actor, &key)?))
        .await
}

/// The ids of the two enterprises a path names (a producer and a hub), in that order.
pub async fn pair(
    state: &AppState,
    actor: &Actor,
    (first, second): (String, String),
) -> Result<(String, String), ApiError> {
    let actor = actor.clone();
    state
        .db
        .run(move |conn| {
            Ok::<_, ApiError>((
                crate::enterprises::resolve(conn, &actor, &first)?,
                crate::enterprises::resolve(conn, &actor, &second)?,
            ))
        })
        .await
}
