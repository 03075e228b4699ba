-- Foundation schema (SQLite). Keep in step with ../../postgres/ (same names, same columns).
-- ids: UUID v7 as lowercase text; money: BIGINT minor units; timestamps: UTC.

CREATE TABLE enterprises (
    id            TEXT PRIMARY KEY NOT NULL,
    slug          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('producer', 'hub', 'producer_hub', 'currency_association')),
    description   TEXT NOT NULL DEFAULT '',
    email         TEXT,
    phone         TEXT,
    address_line  TEXT NOT NULL DEFAULT '',
    postcode      TEXT NOT NULL DEFAULT '',
    city          TEXT NOT NULL DEFAULT '',
    country_code  TEXT NOT NULL DEFAULT 'FR',
    siren         TEXT,
    vat_number    TEXT,
    visibility    TEXT NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'hidden')),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id                 TEXT PRIMARY KEY NOT NULL,
    email              TEXT NOT NULL UNIQUE,
    display_name       TEXT NOT NULL,
    password_hash      TEXT,
    locale             TEXT NOT NULL DEFAULT 'fr' CHECK (locale IN ('fr', 'en')),
    is_platform_admin  BOOLEAN NOT NULL DEFAULT FALSE,
    email_verified_at  TIMESTAMP,
    disabled_at        TIMESTAMP,
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);

CREATE TABLE enterprise_roles (
    enterprise_id  TEXT NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role           TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'treasurer', 'member')),
    created_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (enterprise_id, user_id, role)
);
CREATE INDEX enterprise_roles_by_user ON enterprise_roles (user_id);

CREATE TABLE currencies (
    code           TEXT PRIMARY KEY NOT NULL CHECK (length(code) = 3 AND code NOT GLOB '*[^A-Z]*'),
    name           TEXT NOT NULL,
    symbol         TEXT NOT NULL,
    scale          INTEGER NOT NULL CHECK (scale BETWEEN 0 AND 4),
    kind           TEXT NOT NULL CHECK (kind IN ('fiat', 'local')),
    parity_to_eur  TEXT,
    issuer_id      TEXT REFERENCES enterprises (id),
    created_at     TIMESTAMP NOT NULL,
    CHECK ((kind = 'local') = (parity_to_eur IS NOT NULL AND issuer_id IS NOT NULL))
);

CREATE TABLE categories (
    slug         TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    parent_slug  TEXT REFERENCES categories (slug)
);

CREATE TABLE enterprise_relationships (
    producer_id              TEXT NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    hub_id                   TEXT NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    can_add_to_order_cycles  BOOLEAN NOT NULL DEFAULT TRUE,
    can_see_orders           BOOLEAN NOT NULL DEFAULT TRUE,
    created_at               TIMESTAMP NOT NULL,
    PRIMARY KEY (producer_id, hub_id)
);
CREATE INDEX enterprise_relationships_by_hub ON enterprise_relationships (hub_id);

CREATE TABLE products (
    id             TEXT PRIMARY KEY NOT NULL,
    producer_id    TEXT NOT NULL REFERENCES enterprises (id),
    name           TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    category_slug  TEXT NOT NULL REFERENCES categories (slug),
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);
CREATE INDEX products_by_producer ON products (producer_id, id);

CREATE TABLE variants (
    id                   TEXT PRIMARY KEY NOT NULL,
    product_id           TEXT NOT NULL REFERENCES products (id),
    producer_id          TEXT NOT NULL REFERENCES enterprises (id),
    sku                  TEXT NOT NULL,
    display_name         TEXT NOT NULL,
    unit_kind            TEXT NOT NULL CHECK (unit_kind IN ('weight', 'volume', 'items')),
    unit_value           BIGINT NOT NULL CHECK (unit_value > 0),
    unit_name            TEXT,
    price_eur_minor      BIGINT NOT NULL CHECK (price_eur_minor >= 0),
    vat_rate_bp          INTEGER NOT NULL CHECK (vat_rate_bp BETWEEN 0 AND 10000),
    local_share_percent  INTEGER NOT NULL DEFAULT 100 CHECK (local_share_percent BETWEEN 0 AND 100),
    on_demand            BOOLEAN NOT NULL DEFAULT FALSE,
    stock_on_hand        BIGINT CHECK (stock_on_hand >= 0),
    archived_at          TIMESTAMP,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    UNIQUE (producer_id, sku),
    CHECK (on_demand OR stock_on_hand IS NOT NULL)
);
CREATE INDEX variants_by_product ON variants (product_id);

CREATE TABLE order_cycles (
    id          TEXT PRIMARY KEY NOT NULL,
    hub_id      TEXT NOT NULL REFERENCES enterprises (id),
    name        TEXT NOT NULL,
    opens_at    TIMESTAMP NOT NULL,
    closes_at   TIMESTAMP NOT NULL,
    time_zone   TEXT NOT NULL DEFAULT 'Europe/Paris',
    closed_at   TIMESTAMP,
    settled_at  TIMESTAMP,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    CHECK (closes_at > opens_at)
);
CREATE INDEX order_cycles_by_hub ON order_cycles (hub_id, opens_at);

CREATE TABLE order_cycle_variants (
    order_cycle_id         TEXT NOT NULL REFERENCES order_cycles (id) ON DELETE CASCADE,
    variant_id             TEXT NOT NULL REFERENCES variants (id),
    hub_price_eur_minor    BIGINT CHECK (hub_price_eur_minor >= 0),
    PRIMARY KEY (order_cycle_id, variant_id)
);
