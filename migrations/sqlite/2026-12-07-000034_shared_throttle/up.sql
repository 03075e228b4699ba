-- The log-in throttle's counts, shared by every instance on the database (#24): one row per
-- scope (`account`, `address`) and key, the window's start in the database's clock (Unix
-- seconds) and the attempts counted in it. Keep in step with the other backend's copy.
CREATE TABLE login_throttle (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    attempts     INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX login_throttle_by_start ON login_throttle (scope, window_start);
