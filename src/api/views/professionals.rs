//! A local currency's professionals: requests to accept it and the association's decisions.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::association::professionals::{self, State};

/// An enterprise and a local currency: its request and the association's decision.
#[derive(Debug, Serialize, ToSchema)]
pub struct Professional {
    pub enterprise_id: String,
    pub enterprise_slug: String,
    pub enterprise_name: String,
    /// `producer`, `hub` or `producer_hub`.
    pub kind: String,
    pub city: String,
    pub currency: String,
    pub state: State,
    /// Why it was refused or suspended (empty otherwise).
    pub reason: String,
    pub requested_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<professionals::Professional> for Professional {
    fn from(p: professionals::Professional) -> Professional {
        Professional {
            enterprise_id: p.enterprise_id,
            enterprise_slug: p.enterprise_slug,
            enterprise_name: p.enterprise_name,
            kind: p.kind,
            city: p.city,
            currency: p.currency,
            state: p.state,
            reason: p.reason,
            requested_at: p.requested_at.map(|t| t.and_utc()),
            decided_at: p.decided_at.map(|t| t.and_utc()),
        }
    }
}

/// Why a request is refused or an approval suspended (the enterprise is mailed it).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// 1 to 500 characters.
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// The list's filter.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StateFilter {
    /// Only these (`requested` for the queue).
    pub state: Option<State>,
}
