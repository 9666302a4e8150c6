-- An issuer's licenses of one holder (GET /v1/licenses?holder_id= by an
-- issuing unit: sqlstore's FindLicenses with Issuer and HolderID), as on
-- SQLite (its migration 0007). Before autovacuum has analysed the table
-- (a fresh or freshly restored database) the planner combined
-- licenses_holder with all of the issuer's entries in licenses_issuer
-- (BitmapAnd) and sorted; this index answers page and count from the one
-- holder's entries, in seq order, with or without statistics.
CREATE INDEX licenses_issuer_holder ON licenses (issuer, holder_id, seq);
