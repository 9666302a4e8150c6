-- An issuer's licenses of one holder (GET /v1/licenses?holder_id= by an
-- issuing unit: sqlstore's FindLicenses with Issuer and HolderID). Without
-- planner statistics, as on every fresh database, SQLite took the
-- licenses_issuer index for this filter and read all of the issuer's
-- licenses for each page and its count (docs/performance.md, soak). With
-- both columns equal here, this index wins with or without statistics;
-- like the others it ends in the rowid (seq), so pages come in storage
-- order without sorting.
CREATE INDEX licenses_issuer_holder ON licenses (issuer, holder_id);
