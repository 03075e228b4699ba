//! What a ledger account is: its kind, its owner's kind, its status — the words the state
//! machine ([`super::engine`]) and the account rows ([`super::accounts`]) share.

use serde::Serialize;

use super::LedgerError;

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }

            pub fn parse(s: &str) -> Result<$name, LedgerError> {
                $name::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or_else(|| LedgerError::Invariant(format!("unknown {} `{s}`", stringify!($name))))
            }
        }
    };
}

string_enum! {
    /// What an account is for.
    AccountKind {
        /// A person's wallet.
        MemberWallet => "member_wallet",
        /// A producer's, hub's or association's wallet.
        EnterpriseWallet => "enterprise_wallet",
        /// Euros backing a local currency (held by the issuing association).
        GuaranteeFund => "guarantee_fund",
        /// Counterpart of the local currency in circulation; its balance is −circulation.
        Issuance => "issuance",
        /// Commissions kept by the association on reconversions.
        CommissionIncome => "commission_income",
        /// Euros entering or leaving the ledger (bank, card, cash office).
        EuroClearing => "euro_clearing",
        /// Euros owed to the marketplace (e.g. the euro part of an order).
        EuroReceivable => "euro_receivable",
        /// Euros owed by the association or a hub (e.g. a reconversion payout).
        EuroPayable => "euro_payable",
        VatCollected => "vat_collected",
        /// Conversion between currencies.
        Exchange => "exchange",
        /// What a hub's close captured (one per hub and currency), held apart until the
        /// cycle's settlement pays the producers, the hub's fees and their VAT out of it.
        Holding => "holding",
        /// Euros a hub owes its customers as credit (one per hub, in the legal currency;
        /// the per-customer detail is `customer_credits`).
        CustomerCredit => "customer_credit",
    }
}

string_enum! {
    /// Who owns an account.
    OwnerKind {
        User => "user",
        Enterprise => "enterprise",
        System => "system",
    }
}

string_enum! {
    /// Whether money may move through an account.
    AccountStatus {
        Active => "active",
        /// Holds may be released; nothing else moves.
        Frozen => "frozen",
        Closed => "closed",
    }
}

impl AccountKind {
    /// Kinds that may have no overdraft limit at all.
    pub fn may_be_unlimited(self) -> bool {
        matches!(
            self,
            AccountKind::Issuance
                | AccountKind::EuroClearing
                | AccountKind::Exchange
                | AccountKind::EuroReceivable
        )
    }

    pub fn is_wallet(self) -> bool {
        matches!(
            self,
            AccountKind::MemberWallet | AccountKind::EnterpriseWallet
        )
    }
}
