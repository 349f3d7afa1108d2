-- Version 6: pages of the pull that are committed, known by a hash of their content. Each
-- sync re-reads the last 48 h (watches upload late); a page that comes back byte for byte as
-- it was (apart from its next-page token) holds only samples that are stored already, so it
-- need not be parsed again.
CREATE TABLE pull_page (
    account_id  INTEGER NOT NULL REFERENCES account (id),
    content     BLOB    NOT NULL,   -- XXH3-128 of the page, see source::fingerprint
    chunk_end   INTEGER NOT NULL,   -- end of the window it answered (epoch seconds); for pruning
    samples     INTEGER NOT NULL,   -- valid heart-rate samples on the page
    rejected    INTEGER NOT NULL,   -- points on the page that are not
    next_token  TEXT,               -- its next-page token when the page is hashed whole
    PRIMARY KEY (account_id, content)
) WITHOUT ROWID;
