-- Version 4: state of the Google Health API pull.

-- Accounts with a Google login; the tokens themselves live in the OS keyring (or, when the
-- user chose it, a 0600 file), never in this database.
CREATE TABLE auth_login (
    account_id   INTEGER PRIMARY KEY REFERENCES account (id),
    token_store  TEXT NOT NULL,            -- 'keyring' or 'file'
    scope        TEXT NOT NULL,
    logged_in_at TEXT NOT NULL
);

-- Everything before `cursor` (UTC epoch seconds) has been pulled and committed.
CREATE TABLE pull_state (
    account_id   INTEGER PRIMARY KEY REFERENCES account (id),
    cursor       INTEGER NOT NULL,
    last_pull_at TEXT NOT NULL
);
