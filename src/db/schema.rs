//! The one diesel schema shared by SQLite and PostgreSQL (hand-kept; see `migrations/`).

diesel::table! {
    enterprises (id) {
        id -> Text,
        slug -> Text,
        name -> Text,
        kind -> Text,
        description -> Text,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        address_line -> Text,
        postcode -> Text,
        city -> Text,
        country_code -> Text,
        siren -> Nullable<Text>,
        vat_number -> Nullable<Text>,
        visibility -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        siret -> Nullable<Text>,
        uid -> Nullable<Text>,
        iban -> Nullable<Text>,
        bic -> Nullable<Text>,
        order_prefix -> Text,
        time_zone -> Text,
    }
}

diesel::table! {
    order_counters (hub_id, year) {
        hub_id -> Text,
        year -> Integer,
        last_number -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        display_name -> Text,
        password_hash -> Nullable<Text>,
        locale -> Text,
        is_platform_admin -> Bool,
        email_verified_at -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    enterprise_roles (enterprise_id, user_id, role) {
        enterprise_id -> Text,
        user_id -> Text,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    currencies (code) {
        code -> Text,
        name -> Text,
        symbol -> Text,
        scale -> Integer,
        kind -> Text,
        parity_to_eur -> Nullable<Text>,
        issuer_id -> Nullable<Text>,
        created_at -> Timestamp,
        allow_member_to_member -> Bool,
    }
}

diesel::table! {
    categories (slug) {
        slug -> Text,
        name -> Text,
        parent_slug -> Nullable<Text>,
    }
}

diesel::table! {
    enterprise_relationships (producer_id, hub_id) {
        producer_id -> Text,
        hub_id -> Text,
        can_add_to_order_cycles -> Bool,
        can_see_orders -> Bool,
        created_at -> Timestamp,
        hub_accepted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    products (id) {
        id -> Text,
        producer_id -> Text,
        name -> Text,
        description -> Text,
        category_slug -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    variants (id) {
        id -> Text,
        product_id -> Text,
        producer_id -> Text,
        sku -> Text,
        display_name -> Text,
        unit_kind -> Text,
        unit_value -> BigInt,
        unit_name -> Nullable<Text>,
        price_eur_minor -> BigInt,
        vat_rate_bp -> Integer,
        local_share_percent -> Integer,
        on_demand -> Bool,
        stock_on_hand -> Nullable<BigInt>,
        archived_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        name_key -> Text,
    }
}

diesel::table! {
    enterprise_currencies (enterprise_id, currency_code) {
        enterprise_id -> Text,
        currency_code -> Text,
        state -> Text,
        reason -> Text,
        requested_at -> Nullable<Timestamp>,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Text>,
    }
}

diesel::table! {
    order_cycles (id) {
        id -> Text,
        hub_id -> Text,
        name -> Text,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        time_zone -> Text,
        closed_at -> Nullable<Timestamp>,
        settled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        producer_settlement -> Text,
        copied_from_id -> Nullable<Text>,
        close_attempted_at -> Nullable<Timestamp>,
        close_error -> Nullable<Text>,
        settles_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    order_cycle_variants (order_cycle_id, variant_id) {
        order_cycle_id -> Text,
        variant_id -> Text,
        hub_price_eur_minor -> Nullable<BigInt>,
    }
}

diesel::table! {
    ledger_accounts (id) {
        id -> Text,
        currency -> Text,
        kind -> Text,
        owner_kind -> Text,
        owner_id -> Nullable<Text>,
        name -> Text,
        overdraft_limit -> Nullable<BigInt>,
                pays_professionals_only -> Bool,
        for_currency -> Nullable<Text>,
        status -> Text,
        debits_posted -> BigInt,
        credits_posted -> BigInt,
        debits_pending -> BigInt,
        credits_pending -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ledger_entries (id) {
        id -> Text,
        seq -> BigInt,
        code -> Text,
        reference -> Text,
        description -> Text,
        request_hash -> Text,
        reverses_entry_id -> Nullable<Text>,
        created_at -> Timestamp,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    ledger_transfers (id) {
        id -> Text,
        entry_id -> Text,
        position -> Integer,
        debit_account_id -> Text,
        credit_account_id -> Text,
        currency -> Text,
        amount -> BigInt,
        kind -> Text,
        pending_id -> Nullable<Text>,
        expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ledger_head (id) {
        id -> Integer,
        seq -> BigInt,
        hash -> Text,
    }
}

diesel::table! {
    reconversion_rules (currency, account_kind) {
        currency -> Text,
        account_kind -> Text,
        percent_bp -> Integer,
        fixed_minor -> BigInt,
    }
}

diesel::joinable!(ledger_transfers -> ledger_entries (entry_id));
diesel::joinable!(enterprise_roles -> enterprises (enterprise_id));
diesel::joinable!(enterprise_roles -> users (user_id));
diesel::joinable!(products -> enterprises (producer_id));
diesel::joinable!(products -> categories (category_slug));
diesel::joinable!(variants -> products (product_id));
diesel::joinable!(order_cycles -> enterprises (hub_id));
diesel::table! {
    payment_requests (id) {
        id -> Text,
        enterprise_id -> Text,
        wallet_id -> Text,
        currency -> Text,
        amount_minor -> Nullable<BigInt>,
        label -> Text,
        reusable -> Bool,
        expires_at -> Nullable<Timestamp>,
        state -> Text,
        paid_count -> BigInt,
        paid_minor -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    payment_request_payments (entry_id) {
        entry_id -> Text,
        request_id -> Text,
        payer_id -> Text,
        from_account_id -> Text,
        amount_minor -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(payment_request_payments -> payment_requests (request_id));
diesel::joinable!(payment_request_payments -> users (payer_id));
diesel::joinable!(enterprise_currencies -> enterprises (enterprise_id));
diesel::joinable!(order_cycle_variants -> order_cycles (order_cycle_id));
diesel::joinable!(order_cycle_variants -> variants (variant_id));

diesel::table! {
    cycle_shipping_methods (id) {
        id -> Text,
        order_cycle_id -> Text,
        kind -> Text,
        name -> Text,
        address -> Text,
        instructions -> Text,
        at_time -> Timestamp,
        fee_minor -> BigInt,
        vat_rate_bp -> Integer,
        local_share_percent -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    orders (id) {
        id -> Text,
        number -> Nullable<Text>,
        order_cycle_id -> Text,
        hub_id -> Text,
        customer_id -> Text,
        state -> Text,
        shipping_method_id -> Nullable<Text>,
        items_total_minor -> BigInt,
        shipping_fee_minor -> BigInt,
        total_minor -> BigInt,
        vat_total_minor -> BigInt,
        local_currency -> Nullable<Text>,
        local_minor -> BigInt,
        local_eur_minor -> BigInt,
        euro_minor -> BigInt,
        hold_id -> Nullable<Text>,
        euro_state -> Text,
        euro_paid_at -> Nullable<Timestamp>,
        confirmed_at -> Nullable<Timestamp>,
        cancelled_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        fees_total_minor -> BigInt,
        local_held_minor -> BigInt,
        adjusted_at -> Nullable<Timestamp>,
        booked_at -> Nullable<Timestamp>,
        euro_received_minor -> BigInt,
        euro_refunded_minor -> BigInt,
        credit_used_minor -> BigInt,
        weight_tolerance_percent -> Integer,
    }
}

diesel::table! {
    order_lines (order_id, variant_id) {
        order_id -> Text,
        variant_id -> Text,
        position -> Integer,
        quantity -> BigInt,
        producer_id -> Nullable<Text>,
        name -> Text,
        unit -> Text,
        unit_price_minor -> BigInt,
        total_minor -> BigInt,
        vat_rate_bp -> Integer,
        vat_minor -> BigInt,
        local_share_percent -> Integer,
        local_max_minor -> BigInt,
        stock_reserved -> Bool,
        weight_grams -> BigInt,
        delivered_milli -> Nullable<BigInt>,
        local_alloc_minor -> BigInt,
        delivery_status -> Nullable<Text>,
        delivery_note -> Text,
    }
}

diesel::table! {
    cycle_fees (id) {
        id -> Text,
        order_cycle_id -> Text,
        name -> Text,
        fee_type -> Text,
        calculator -> Text,
        charged_to -> Text,
        amount_minor -> BigInt,
        percent_bp -> Integer,
        vat_rate_bp -> Integer,
        local_share_percent -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    order_allocations (order_id) {
        order_id -> Text,
        shipping_vat_minor -> BigInt,
        shipping_local_alloc_minor -> BigInt,
        shipping_vat_local_minor -> BigInt,
    }
}

diesel::table! {
    order_fees (id) {
        id -> Text,
        order_id -> Text,
        fee_id -> Nullable<Text>,
        producer_id -> Nullable<Text>,
        name -> Text,
        fee_type -> Text,
        charged_to -> Text,
        amount_minor -> BigInt,
        vat_rate_bp -> Integer,
        vat_minor -> BigInt,
        local_max_minor -> BigInt,
        local_alloc_minor -> BigInt,
        vat_local_minor -> BigInt,
    }
}

diesel::table! {
    producer_settlements (order_cycle_id, producer_id, currency) {
        order_cycle_id -> Text,
        producer_id -> Text,
        currency -> Text,
        goods_minor -> BigInt,
        fees_minor -> BigInt,
        paid_minor -> BigInt,
        entry_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (user_id, idem_key) {
        user_id -> Text,
        idem_key -> Text,
        route -> Text,
        request_hash -> Text,
        status -> Integer,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(order_lines -> orders (order_id));
diesel::joinable!(orders -> order_cycles (order_cycle_id));
diesel::joinable!(cycle_shipping_methods -> order_cycles (order_cycle_id));

diesel::joinable!(order_fees -> orders (order_id));
diesel::joinable!(cycle_fees -> order_cycles (order_cycle_id));

diesel::table! {
    chart_mappings (id) {
        id -> Text,
        account_kind -> Text,
        currency -> Text,
        ledger_account_id -> Text,
        code -> Text,
        label -> Text,
        auxiliary -> Bool,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    accounting_journals (entry_code) {
        entry_code -> Text,
        journal_code -> Text,
        journal_label -> Text,
    }
}

diesel::table! {
    accounting_moves (ledger_entry_id) {
        ledger_entry_id -> Text,
        ledger_seq -> BigInt,
        journal_code -> Text,
        journal_label -> Text,
        fiscal_year -> Integer,
        number -> BigInt,
        entry_date -> Date,
        piece_ref -> Text,
        label -> Text,
        validated_at -> Timestamp,
    }
}

diesel::table! {
    accounting_lines (ledger_entry_id, position) {
        ledger_entry_id -> Text,
        position -> Integer,
        account_code -> Text,
        account_label -> Text,
        aux_code -> Text,
        aux_label -> Text,
        label -> Text,
        debit_minor -> BigInt,
        credit_minor -> BigInt,
        currency_amount -> Text,
        currency -> Text,
        ledger_account_id -> Text,
        letter -> Text,
        lettered_on -> Nullable<Date>,
    }
}

diesel::table! {
    accounting_periods (id) {
        id -> Text,
        starts_on -> Date,
        ends_on -> Date,
        closed_at -> Timestamp,
        closed_by -> Nullable<Text>,
    }
}

diesel::table! {
    accounting_state (id) {
        id -> Integer,
        validated_seq -> BigInt,
        books_version -> Integer,
        language -> Text,
        deployment_id -> Text,
    }
}

diesel::table! {
    odoo_sync (ledger_entry_id) {
        ledger_entry_id -> Text,
        state -> Text,
        odoo_move_id -> Nullable<BigInt>,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        next_attempt_at -> Timestamp,
        updated_at -> Timestamp,
        conflict -> Nullable<Text>,
    }
}

diesel::table! {
    odoo_reconcile_failures (account_code, letter) {
        account_code -> Text,
        letter -> Text,
        error -> Text,
        failed_at -> Timestamp,
    }
}

diesel::joinable!(accounting_lines -> accounting_moves (ledger_entry_id));
diesel::table! {
    odoo_reconciled (account_code, letter) {
        account_code -> Text,
        letter -> Text,
        reconciled_at -> Timestamp,
    }
}

diesel::table! {
    odoo_lease (id) {
        id -> Integer,
        holder -> Nullable<Text>,
        until -> Nullable<Timestamp>,
        taken_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(odoo_sync -> accounting_moves (ledger_entry_id));

diesel::table! {
    chart_books (id) {
        id -> Integer,
        body -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    book_state (enterprise_id) {
        enterprise_id -> Text,
        validated_at -> Timestamp,
        complete_before -> Nullable<Timestamp>,
    }
}

diesel::table! {
    book_moves (id) {
        id -> Text,
        enterprise_id -> Text,
        seq -> BigInt,
        source -> Text,
        journal_code -> Text,
        journal_label -> Text,
        fiscal_year -> Integer,
        number -> Nullable<BigInt>,
        entry_date -> Date,
        piece_ref -> Text,
        label -> Text,
        validated_at -> Timestamp,
    }
}

diesel::table! {
    order_receipts (entry_id) {
        entry_id -> Text,
        order_id -> Text,
        hub_id -> Text,
        amount_minor -> BigInt,
        received_at -> Timestamp,
        method -> Text,
    }
}

diesel::table! {
    order_refunds (entry_id) {
        entry_id -> Text,
        order_id -> Text,
        hub_id -> Text,
        customer_id -> Text,
        kind -> Text,
        amount_minor -> BigInt,
        method -> Nullable<Text>,
        reference -> Text,
        recorded_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    customer_credits (hub_id, user_id) {
        hub_id -> Text,
        user_id -> Text,
        balance_minor -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    book_lines (move_id, position) {
        move_id -> Text,
        position -> Integer,
        account_code -> Text,
        account_label -> Text,
        aux_code -> Text,
        aux_label -> Text,
        label -> Text,
        debit_minor -> BigInt,
        credit_minor -> BigInt,
        currency_amount -> Text,
        currency -> Text,
        letter -> Text,
        lettered_on -> Nullable<Date>,
    }
}

diesel::table! {
    letter_counters (book, account_code) {
        book -> Text,
        account_code -> Text,
        used -> BigInt,
    }
}

diesel::joinable!(book_lines -> book_moves (move_id));

diesel::table! {
    audit_events (id) {
        id -> Text,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        actor -> Text,
        origin -> Text,
        action -> Text,
        subject_kind -> Text,
        subject_id -> Text,
        enterprise_id -> Nullable<Text>,
        ledger_entry_id -> Nullable<Text>,
        details -> Text,
    }
}

diesel::table! {
    deployment (id) {
        id -> Integer,
        legal_currency -> Text,
        country -> Text,
        chosen_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    order_refunds,
    customer_credits,
    payment_requests,
    payment_request_payments,
    audit_events,
    deployment,
    chart_books,
    book_state,
    book_moves,
    book_lines,
    letter_counters,
    order_receipts,
    chart_mappings,
    accounting_journals,
    accounting_moves,
    accounting_lines,
    accounting_periods,
    accounting_state,
    odoo_sync,
    odoo_reconciled,
    odoo_reconcile_failures,
    odoo_lease,
    cycle_fees,
    order_fees,
    producer_settlements,
    cycle_shipping_methods,
    orders,
    order_lines,
    idempotency_keys,
    enterprises,
    enterprise_currencies,
    users,
    enterprise_roles,
    currencies,
    categories,
    enterprise_relationships,
    products,
    variants,
    order_cycles,
    order_cycle_variants,
    ledger_accounts,
    ledger_entries,
    ledger_transfers,
    ledger_head,
    reconversion_rules,
    refresh_tokens,
    account_tokens,
    mail_outbox,
    api_keys,
);

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        family_id -> Text,
        user_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    account_tokens (id) {
        id -> Text,
        user_id -> Text,
        purpose -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> Text,
        recipient -> Text,
        template -> Text,
        locale -> Text,
        payload -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        failed_at -> Nullable<Timestamp>,
        message_id -> Text,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        prefix -> Text,
        key_hash -> Text,
        scopes -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    topup_requests (id) {
        id -> Text,
        number -> BigInt,
        user_id -> Text,
        currency -> Text,
        wallet_id -> Text,
        amount_minor -> BigInt,
        legal_minor -> BigInt,
        method -> Text,
        reference -> Text,
        state -> Text,
        reason -> Text,
        received_reference -> Text,
        ledger_entry_id -> Nullable<Text>,
        created_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Text>,
    }
}

diesel::table! {
    user_addresses (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        line1 -> Text,
        line2 -> Nullable<Text>,
        postcode -> Text,
        city -> Text,
        country -> Text,
        phone -> Text,
        note -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    order_addresses (order_id) {
        order_id -> Text,
        name -> Text,
        line1 -> Text,
        line2 -> Nullable<Text>,
        postcode -> Text,
        city -> Text,
        country -> Text,
        phone -> Text,
        note -> Nullable<Text>,
    }
}

diesel::joinable!(user_addresses -> users (user_id));
diesel::joinable!(order_addresses -> orders (order_id));
diesel::allow_tables_to_appear_in_same_query!(user_addresses, users);
diesel::allow_tables_to_appear_in_same_query!(order_addresses, orders);
diesel::allow_tables_to_appear_in_same_query!(order_allocations, orders);

diesel::table! {
    cycle_unbooked_sums (order_cycle_id, kind, producer_id, currency) {
        order_cycle_id -> Text,
        kind -> Text,
        producer_id -> Text,
        currency -> Text,
        total -> BigInt,
        local -> BigInt,
        counted -> BigInt,
    }
}
